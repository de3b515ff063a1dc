"""``floorboard simulate`` and ``floorboard publish``: producers that feed the bus at ``REDIS_URL``.

``publish`` is the shell's door onto the bus, so it refuses exactly what the API refuses: every
event is parsed and validated before the first is written, and a bad one (not JSON, nested
deeper than the parser goes, or not a valid envelope) names its number, the field and the
reason, and publishes nothing.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import click

from dashboard.cli.context import Runtime, pass_runtime, positive, speed_option
from feeds.errors import SchemaError

if TYPE_CHECKING:
    from feeds.bus.schema import Envelope


@click.command()
@click.option("--seed", type=int, default=1, show_default=True)
@speed_option
@click.option("--agents", type=int, default=24, show_default=True, callback=positive)
@click.option("--outage", is_flag=True, help="declare an outage a minute in")
@pass_runtime
def simulate(runtime: Runtime, seed: int, speed: float, agents: int, outage: bool) -> None:
    """Run the contact-centre simulator against REDIS_URL (until Ctrl-C or SIGTERM)."""
    from feeds.simulator.playback import run

    bus = runtime.bus()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run(bus, runtime.load_config(), seed=seed, speed=speed, outage=outage, agents=agents,
            stop=stop)  # fmt: skip
    except KeyboardInterrupt:
        stop.set()


@click.command()
@click.argument("events", nargs=-1)
@pass_runtime
def publish(runtime: Runtime, events: tuple[str, ...]) -> None:
    """Publish JSON envelopes given as arguments, or one per line on stdin.

    e.g. '{"kind":"message","id":"m1","data":{"text":"Storm tonight","expires_at":1893456000}}'
    """
    runtime.load_config()
    lines: list[str | bytes] = list(events) or [b for b in sys.stdin.buffer if b.strip()]
    envs = [_envelope(n, raw) for n, raw in enumerate(lines, 1)]
    bus = runtime.bus()
    for env, seq in zip(envs, bus.publish_many(envs), strict=True):
        print(f"published {env.kind}/{env.id} as seq {seq}")


def _envelope(n: int, raw: str | bytes) -> Envelope:
    """Event ``n`` parsed and validated; ``ts`` and ``source`` default to now and ``cli``."""
    from feeds.bus.schema import parse_envelope

    field = f"event {n}"
    try:
        obj: Any = json.loads(raw)
    except RecursionError:
        raise SchemaError(field, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError included: stdin that is not UTF-8
        raise SchemaError(field, f"not valid JSON: {exc}") from None
    if isinstance(obj, dict):
        obj.setdefault("ts", time.time())
        obj.setdefault("source", "cli")
    try:
        return parse_envelope(obj)
    except SchemaError as exc:
        raise SchemaError(field, str(exc)) from None


COMMANDS = (simulate, publish)
