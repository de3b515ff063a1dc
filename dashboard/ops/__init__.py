"""Running the service: health and readiness, Prometheus metrics, structured logs.

- :mod:`.health`: ``/healthz`` (the process answers), ``/readyz`` (it should take traffic),
  ``/metrics`` (who may read it: ``[metrics]``);
- :mod:`.metrics`: the metrics themselves and the one-line hooks the push path calls;
- :mod:`.traffic`: the API's and sign-in's requests counted and logged, one line each;
- :mod:`.logs`: one line per event, text or JSON, with secrets masked.

Nothing here is imported by the package itself: the CLI's gunicorn master imports :mod:`.logs`
alone, and must not load prometheus-client (or redis-py) before its workers fork.
"""
