"""The API's and sign-in's requests: counted for ``/metrics`` and logged, one line each.

Watched from outside the routes (an ``after_request`` hook), so the API's and the sign-in
page's own code stay as they are and every route, present or added later, is covered. A line
names the route, the status, who asked (the actor's name, never a credential), how long it
took and, for a refusal, the field at fault; never a request's body.
"""

from __future__ import annotations

import logging
import time

import flask
from flask import g, request

from dashboard.ops import metrics

log = logging.getLogger("floorboard.requests")

API = "/api/v1/"
LOGIN = "/login"
REASONS = {
    400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method", 409: "conflict", 413: "too_large", 415: "content_type",
    429: "rate_limited", 503: "unavailable",
}  # fmt: skip


def _started() -> None:
    g.ops_started = time.perf_counter()


def _facts(response: flask.Response) -> dict[str, object]:
    principal = g.get("principal")
    started = g.get("ops_started")
    return {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else "unmatched",
        "status": response.status_code,
        "actor": principal.actor if principal is not None else None,
        "remote": g.get("client_address") or request.remote_addr,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }


def _api(response: flask.Response) -> None:
    facts = _facts(response)
    status = response.status_code
    if status < 400:
        metrics.API_REQUESTS.labels(facts["route"], "accepted", "").inc()
        log.info("api request accepted", extra={"event": "api.accepted", **facts})
        return
    reason = REASONS.get(status, "error")
    metrics.API_REQUESTS.labels(facts["route"], "refused", reason).inc()
    if status == 429:
        metrics.RATE_LIMITED.labels(facts["route"]).inc()
    body = response.get_json(silent=True) if response.is_json else None
    field = body.get("error", {}).get("field") if isinstance(body, dict) else None
    log.info("api request refused", extra={"event": "api.refused", "reason": reason,
                                            "field": field, **facts})  # fmt: skip


def _login(response: flask.Response) -> None:
    facts = {**_facts(response), "user": request.form.get("username", "")[:64]}
    status = response.status_code
    if status in (302, 303):
        metrics.LOGINS.inc()
        log.info("signed in", extra={"event": "login.ok", **facts})
    elif status == 401:
        metrics.LOGIN_FAILURES.inc()
        log.info("sign-in refused: wrong name or password", extra={"event": "login.failed",
                                                                    **facts})  # fmt: skip
    elif status == 429:
        metrics.RATE_LIMITED.labels(LOGIN).inc()
        log.warning("sign-in refused: rate limit", extra={"event": "login.rate_limited", **facts})


def _observe(response: flask.Response) -> flask.Response:
    if request.path.startswith(API):
        _api(response)
    elif request.path == LOGIN and request.method == "POST":
        _login(response)
    return response


def install(server: flask.Flask) -> None:
    """Count and log the API's and sign-in's requests on ``server``."""
    server.before_request_funcs.setdefault(None, []).insert(0, _started)
    server.after_request(_observe)
