"""Runs the app under gunicorn with gevent workers: many open streams, no thread each.

The embedded Redis (when ``REDIS_URL`` is unset) is started here, in the master, before the
workers fork; its stop handler only acts in the process that started it, so a worker exiting
never takes the shared server down. The graceful timeout is short because SSE streams never
end on their own: browsers reconnect by themselves (``retry:``) and resynchronise.

Metrics of several workers (:mod:`dashboard.ops.metrics`): the master gives them a fresh
``PROMETHEUS_MULTIPROC_DIR`` before they fork (its own temporary one, removed when it stops,
or the one the environment names, emptied first), and clears a dead worker's open-stream
counts. gunicorn's own log lines take the app's format (:mod:`dashboard.ops.logs`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gunicorn import glogging, util
from gunicorn.app.base import BaseApplication

from dashboard.ops import logs

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"

APP = "app:create_app()"


class FloorboardServer(BaseApplication):
    """A gunicorn application for ``app:server`` with settings chosen for SSE."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # By name, as `gunicorn 'app:create_app()'` would: the composition root is imported by
        # nobody, and each worker builds its app after gevent has patched it.
        return util.import_app(APP).server


def _quit_now(worker: Any) -> None:
    """On SIGINT/SIGQUIT a worker has only open streams to lose, and browsers reconnect.

    gunicorn's gevent worker would ``sys.exit`` inside a greenlet and print a traceback for it;
    leaving at once keeps Ctrl-C quiet and quick.
    """
    os._exit(0)


def _start_hub(worker: Any) -> None:
    """Follow the bus as soon as a worker boots, so its first page gets a synced snapshot.

    First the app's objects built so far (Dash, Plotly, pandas, the layouts: some 130,000) are
    moved out of the garbage collector's sight (``gc.freeze``): they live as long as the worker,
    and without this every full collection walked them all, 60-460 ms measured in a worker
    under 100-5,000 streams, during which no screen got anything."""
    gc.freeze()
    worker.wsgi.extensions["floorboard"].hub.start()


MAX_DEFAULT_WORKERS = 8  # past this, more hubs (a Redis subscription each) cost more than they give


def default_workers() -> int:
    """One worker per core this process may run on: a gevent worker is one thread, so a
    single worker can use one core at most, and the fan-out is CPU-bound."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def _worker_gone(server: Any, worker: Any) -> None:
    """A worker has exited: its open streams are no longer open (its counters stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class Logger(glogging.Logger):
    """gunicorn's error and access logs in the app's format (text or JSON, secrets masked)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = logs.formatter(logs.active()[1])
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)


@contextlib.contextmanager
def metrics_dir() -> Iterator[str]:
    """A ``PROMETHEUS_MULTIPROC_DIR`` for the workers, set in the environment they inherit."""
    given = os.environ.get(METRICS_DIR)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # a previous run's: they must not be counted again
            stale.unlink()
        yield given
        return
    made = tempfile.mkdtemp(prefix="floorboard-metrics-")
    os.environ[METRICS_DIR] = made
    owner = os.getpid()
    try:
        yield made
    finally:
        # A worker leaving (SystemExit unwinds the stack it was forked on, through here) must
        # not take the directory from the master and the next workers: the master removes it.
        if os.getpid() == owner:
            os.environ.pop(METRICS_DIR, None)
            shutil.rmtree(made, ignore_errors=True)


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": 10_000,
        "graceful_timeout": 2,
        "timeout": 30,
        "keepalive": 75,
        "preload_app": False,  # each worker imports the app after gevent has patched it
        "accesslog": os.environ.get("FLOORBOARD_ACCESS_LOG"),
        "errorlog": "-",
        "loglevel": logs.active()[0],
        "logger_class": Logger,
        "proc_name": "floorboard",
        "worker_int": _quit_now,
        "post_worker_init": _start_hub,
        "child_exit": _worker_gone,
        "control_socket_disable": True,  # several servers per machine (tests, scale-out)
    }


def serve(host: str, port: int, workers: int) -> None:
    """Block serving until stopped (SIGINT / SIGTERM)."""
    with metrics_dir():
        FloorboardServer(gunicorn_options(host, port, workers)).run()
