"""``floorboard serve`` and ``floorboard demo``: the app under gunicorn with gevent workers.

``REDIS_URL`` unset means the embedded Redis, started here in the master before the workers
fork (data under ``.state/``). This process becomes the gunicorn master, so redis-py and the
app are imported inside the commands, never here: the master must not load redis-py (and ssl)
before gevent patches the workers (see :mod:`dashboard.cli.context`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import click

from dashboard.cli.context import (
    Runtime,
    options,
    pass_runtime,
    positive,
    redis_for_serving,
    speed_option,
)

log = logging.getLogger("floorboard")

FEATURED = "a01"  # the agent the demo suggests: kept on the floor and on contacts


def _default_workers() -> int:
    from dashboard.serving import default_workers

    return default_workers()


server_options = options(
    click.option("--host", default="127.0.0.1", show_default=True),
    click.option("--port", type=int, default=8050, show_default=True),
    click.option(
        "--workers",
        type=int,
        default=_default_workers,
        show_default="one per core",
        callback=positive,
    ),
    click.option("--redis-port", type=int, help="embedded Redis port (default: a free one)"),
)


@click.command()
@server_options
@pass_runtime
def serve(runtime: Runtime, host: str, port: int, workers: int, redis_port: int | None) -> None:
    """Run the app (gunicorn + gevent)."""
    from dashboard.serving import serve as serve_app

    runtime.load_config()  # a bad config is refused before anything starts
    with redis_for_serving(redis_port):
        log.info("Floorboard on http://%s:%d/", host, port, extra={"event": "serve.start",
                                                                   "workers": workers})  # fmt: skip
        serve_app(host, port, workers)


@click.command()
@server_options
@click.option("--seed", type=int, default=1, show_default=True, help="the simulator's seed")
@speed_option
@pass_runtime
def demo(
    runtime: Runtime,
    host: str,
    port: int,
    workers: int,
    redis_port: int | None,
    seed: int,
    speed: float,
) -> None:
    """Embedded Redis + simulator + app in one command; Ctrl-C stops all three."""
    from dashboard.serving import serve as serve_app
    from feeds.bus.urls import redacted

    runtime.load_config()  # refused if bad; its path is pinned for the children
    with redis_for_serving(redis_port):
        # In child processes, as the simulator is: this process must not import redis-py.
        # The demo's data lives on in .state/: bring it to this release's version (fresh data
        # gets the version stamped, so /readyz is ready), then its users and rules.
        _cli("migrate", "migrate")
        seeded = _cli("demo users", "user", "seed-demo", "--seed", str(seed))
        _cli("demo rules", "rule", "seed-demo")
        sim = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "simulate", "--seed", str(seed),
             "--speed", str(speed), "--outage", "--featured", FEATURED, "--forecast"],
        )  # fmt: skip
        try:
            print(
                f"\n  Floorboard demo: http://{host}:{port}/wall/main"
                f"\n  (Redis {redacted(os.environ['REDIS_URL'])}; Ctrl-C stops everything)\n"
                f"\n  Sign in at http://{host}:{port}/login\n"
                f"{textwrap.indent(seeded.stdout, '  ')}"
                f"\n  An agent lands on their tab, e.g. http://{host}:{port}/agent/{FEATURED}"
                f" (sign in as {FEATURED}),\n  on a contact with its card within a minute; the"
                " outage starts a minute in.\n",
                flush=True,
            )
            serve_app(host, port, workers)
        finally:
            sim.terminate()
            try:
                sim.wait(5)
            except subprocess.TimeoutExpired:
                sim.kill()


def _cli(what: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``floorboard`` command in a child process; refused with its error if it fails."""
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode:
        raise click.ClickException(f"{what}: {done.stderr.strip()}")
    return done


COMMANDS = (serve, demo)
