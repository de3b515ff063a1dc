"""``floorboard simulate`` and ``floorboard publish``: producers that feed the bus at ``REDIS_URL``.

``publish`` is the shell's door onto the bus, so it refuses exactly what the API refuses, with
the schema's own parser and the API's check of a message's audience: every event is parsed and
validated before the first is written, and a bad one (not JSON, nested too deeply, not a valid
envelope, or a message for a team, queue or agent that does not exist) names its number, the
field and the reason, and publishes nothing.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from dashboard.cli.context import Runtime, pass_runtime, positive, speed_option
from feeds.errors import SchemaError
from feeds.simulator.simulation import ROUTINGS

T = TypeVar("T")


@click.command()
@click.option("--seed", type=int, default=1, show_default=True)
@speed_option
@click.option("--agents", type=int, default=24, show_default=True, callback=positive)
@click.option("--outage", is_flag=True, help="declare an outage a minute in")
@click.option("--featured", metavar="AGENT", help="keep this agent on the floor, on contacts")
@click.option(
    "--routing",
    type=click.Choice(ROUTINGS),
    help="which waiting contact a freed agent takes: the most overdue against its queue's "
    "target, the first to arrive whatever its channel (blended), or queue by queue "
    "(default: the config's [routing] rule)",
)
@click.option("--forecast", is_flag=True, help="load the simulated centre's forecast for today")
@pass_runtime
def simulate(
    runtime: Runtime,
    seed: int,
    speed: float,
    agents: int,
    outage: bool,
    featured: str | None,
    forecast: bool,
    routing: str | None,
) -> None:
    """Run the contact-centre simulator against REDIS_URL (until Ctrl-C or SIGTERM)."""
    from feeds.simulator.playback import run

    bus = runtime.bus()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run(bus, runtime.load_config(), seed=seed, speed=speed, outage=outage, agents=agents,
            featured=featured, forecast=forecast, stop=stop, routing=routing)  # fmt: skip
    except KeyboardInterrupt:
        stop.set()


@click.command()
@click.argument("events", nargs=-1)
@pass_runtime
def publish(runtime: Runtime, events: tuple[str, ...]) -> None:
    """Publish JSON envelopes given as arguments, or one per line on stdin.

    e.g. '{"kind":"message","id":"m1","data":{"text":"Storm tonight","expires_at":1893456000}}'
    """
    from feeds.bus.schema import loads, parse_envelope
    from feeds.notices.messages import Messages

    config = runtime.load_config()
    lines: list[str | bytes] = list(events) or [b for b in sys.stdin.buffer if b.strip()]
    envs = [_event(n, lambda raw=raw: parse_envelope(_defaults(loads(raw)))) for n, raw in
            enumerate(lines, 1)]  # fmt: skip
    bus = runtime.bus()  # the schema first: bad input is refused without a Redis
    check = Messages(bus, config).feed_check()
    for n, env in enumerate(envs, 1):
        _event(n, lambda env=env: check(env))
    for env, seq in zip(envs, bus.publish_many(envs), strict=True):
        print(f"published {env.kind}/{env.id} as seq {seq}")


def _defaults(obj: Any) -> Any:
    """``ts`` and ``source`` default to now and ``cli``."""
    if isinstance(obj, dict):
        obj.setdefault("ts", time.time())
        obj.setdefault("source", "cli")
    return obj


def _event(n: int, step: Callable[[], T]) -> T:
    """A step on event ``n`` (parsing with the schema's own reader, which never raises a
    RecursionError nor fails on bytes that are not UTF-8; checking its references), whose
    refusal names the event: ``event 2: data.waiting: …``."""
    try:
        return step()
    except SchemaError as exc:
        raise SchemaError(f"event {n}", str(exc)) from None


COMMANDS = (simulate, publish)
