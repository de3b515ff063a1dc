"""Runs the app under gunicorn with gevent workers: many open streams, no thread each.

The embedded Redis (when ``REDIS_URL`` is unset) is started here, in the master, before the
workers fork; its stop handler only acts in the process that started it, so a worker exiting
never takes the shared server down. The graceful timeout is short because SSE streams never
end on their own: browsers reconnect by themselves (``retry:``) and resynchronise.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication

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
    """Follow the bus as soon as a worker boots, so its first page gets a synced snapshot."""
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
        "loglevel": os.environ.get("FLOORBOARD_LOG_LEVEL", "info"),
        "proc_name": "floorboard",
        "worker_int": _quit_now,
        "post_worker_init": _start_hub,
        "control_socket_disable": True,  # several servers per machine (tests, scale-out)
    }


def serve(host: str, port: int, workers: int) -> None:
    """Block serving until stopped (SIGINT / SIGTERM)."""
    FloorboardServer(gunicorn_options(host, port, workers)).run()
