"""The ``floorboard`` command: serve, simulate, publish, demo.

``REDIS_URL`` unset means the embedded Redis: ``serve`` and ``demo`` start it (data under
``.state/``), ``simulate`` and ``publish`` need a server to talk to and say so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.cli import accounts as cli_accounts
from dashboard.cli.notices import add_commands as add_notice_commands

if TYPE_CHECKING:
    from feeds.config import Config

# Imports of redis and the app are inside the commands: the gunicorn master of `serve` and
# `demo` must not import redis-py (and ssl) before gevent patches the workers it forks.

log = logging.getLogger("floorboard")
EXIT_USAGE = 2


def _config(args: argparse.Namespace) -> Config:
    """Load the config (exit 2 with file, key and reason) and pin its path for child processes."""
    from feeds.config import ConfigError, load_config

    path = Path(args.config or os.environ.get("FLOORBOARD_CONFIG") or "floorboard.toml").resolve()
    os.environ["FLOORBOARD_CONFIG"] = str(path)
    try:
        return load_config(path)
    except ConfigError as exc:
        sys.exit(f"floorboard: config error: {exc}")


@contextlib.contextmanager
def _redis_url(args: argparse.Namespace) -> Iterator[str]:
    """``REDIS_URL`` if set, else an embedded Redis for as long as the block runs."""
    from feeds.bus.embedded import DEFAULT_STATE_DIR, EmbeddedRedis

    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    state = Path(os.environ.get("FLOORBOARD_STATE_DIR", DEFAULT_STATE_DIR))
    server = EmbeddedRedis(state / "redis", port=args.redis_port)
    try:
        server.start()
    except RuntimeError as exc:
        sys.exit(f"floorboard: {exc}")
    os.environ["REDIS_URL"] = server.url
    log.info("embedded Redis %s, data in %s", server.url, server.data_dir)
    try:
        yield server.url
    finally:
        server.stop()


def _require_redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        sys.exit("floorboard: REDIS_URL is not set (start `floorboard serve` or a Redis first)")
    return url


def cmd_serve(args: argparse.Namespace) -> None:
    from dashboard.serving import serve

    _config(args)
    with _redis_url(args):
        print(f"Floorboard on http://{args.host}:{args.port}/", flush=True)
        serve(args.host, args.port, args.workers)


def cmd_simulate(args: argparse.Namespace) -> None:
    from feeds.bus.bus import Bus
    from feeds.simulator.playback import run

    config = _config(args)
    bus = Bus.from_url(_require_redis_url(), config.redis.prefix, config.moments.history_days)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run(
            bus,
            config,
            seed=args.seed,
            speed=args.speed,
            outage=args.outage,
            agents=args.agents,
            stop=stop,
        )
    except KeyboardInterrupt:
        stop.set()


def cmd_publish(args: argparse.Namespace) -> None:
    """Validate and publish envelopes given as arguments, or one JSON object per stdin line."""
    from feeds.bus.bus import Bus
    from feeds.bus.schema import SchemaError, parse_envelope

    config = _config(args)
    lines = args.events or [line for line in sys.stdin if line.strip()]
    envs = []
    for n, raw in enumerate(lines, 1):
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            sys.exit(f"floorboard: event {n}: not valid JSON: {exc}")
        if isinstance(obj, dict):
            obj.setdefault("ts", time.time())
            obj.setdefault("source", "cli")
        try:
            envs.append(parse_envelope(obj))
        except SchemaError as exc:
            sys.exit(f"floorboard: event {n}: {exc}")
    bus = Bus.from_url(_require_redis_url(), config.redis.prefix, config.moments.history_days)
    for env, seq in zip(envs, bus.publish_many(envs), strict=True):
        print(f"published {env.kind}/{env.id} as seq {seq}")


def cmd_demo(args: argparse.Namespace) -> None:
    """Embedded Redis + simulator + app in one command; Ctrl-C stops all three."""
    from dashboard.serving import serve

    _config(args)
    with _redis_url(args):
        # In a child process, as the simulator: this process must not import redis-py.
        seeded = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "user", "seed-demo", "--seed", str(args.seed)],
            capture_output=True, text=True,
        )  # fmt: skip
        if seeded.returncode:
            sys.exit(f"floorboard: demo users: {seeded.stderr.strip()}")
        sim = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "simulate", "--seed", str(args.seed),
             "--speed", str(args.speed), "--outage"],
        )  # fmt: skip
        try:
            print(
                f"\n  Floorboard demo: http://{args.host}:{args.port}/wall/main"
                f"\n  (Redis {os.environ['REDIS_URL']}; Ctrl-C stops everything)\n"
                f"\n  Sign in at http://{args.host}:{args.port}/login\n"
                f"{textwrap.indent(seeded.stdout, '  ')}"
                f"\n  An agent lands on their tab, e.g. http://{args.host}:{args.port}/agent/a01:"
                f"\n  the outage starts a minute in; callers on Billing and Faults get cards.\n",
                flush=True,
            )
            serve(args.host, args.port, args.workers)
        finally:
            sim.terminate()
            try:
                sim.wait(5)
            except subprocess.TimeoutExpired:
                sim.kill()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="floorboard", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="TOML config (default $FLOORBOARD_CONFIG or ./floorboard.toml)")
    sub = p.add_subparsers(dest="command", required=True)

    def server_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8050)
        sp.add_argument("--workers", type=int, default=1)
        sp.add_argument("--redis-port", type=int, default=None, help="embedded Redis port")

    s = sub.add_parser("serve", help="run the app (gunicorn + gevent)")
    server_args(s)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("demo", help="embedded Redis + simulator + app")
    server_args(s)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--speed", type=float, default=1.0)
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("simulate", help="run the contact-centre simulator against REDIS_URL")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    s.add_argument("--agents", type=int, default=24)
    s.add_argument("--outage", action="store_true", help="declare an outage a minute in")
    s.set_defaults(func=cmd_simulate)

    s = sub.add_parser("publish", help="publish JSON envelopes (arguments, or lines on stdin)")
    s.add_argument("events", nargs="*", help='e.g. \'{"kind":"message","id":"m1","data":{...}}\'')
    s.set_defaults(func=cmd_publish)
    add_notice_commands(sub)
    cli_accounts.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=os.environ.get("FLOORBOARD_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    args = parser().parse_args(argv)
    if getattr(args, "speed", 1.0) <= 0:
        sys.exit("floorboard: --speed: must be greater than 0")
    args.func(args)


if __name__ == "__main__":
    main()
