"""Which producers are live, late or down, from their heartbeats alone.

Every producer (simulator, adapters, HTTP ingest) publishes a ``heartbeat`` item under its
own name every ``interval`` seconds. Whoever shows producer health (the console's sources
panel, a tile saying which source fell silent, a monitoring probe) asks this pure function,
so the limits are the same everywhere and testable without a clock or a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from feeds.bus.schema import Envelope

LATE_AFTER = 2.0  # heartbeat intervals without one: late (one lost beat is not yet news)
DOWN_AFTER = 5.0  # intervals without one: down

Status = Literal["live", "late", "down"]


@dataclass(frozen=True)
class SourceHealth:
    source: str
    status: Status
    age: float  # seconds since its last heartbeat (never negative)
    rate: float | None  # events per second it last reported
    interval: float
    connected: bool | None  # whether it reaches its upstream (None: it has none)
    detail: str  # the reason, in words, for a panel or a log


def source_health(
    beat: Envelope, now: float, late_after: float = LATE_AFTER, down_after: float = DOWN_AFTER
) -> SourceHealth:
    """The health of the producer that sent ``beat`` (its latest heartbeat) as of ``now``.

    A producer that heartbeats but says it is cut off from its upstream (an AMI adapter
    whose Asterisk is unreachable) is down: nothing it feeds can be trusted to be current.
    """
    interval = _interval(beat)
    rate, connected = beat.data.get("rate"), beat.data.get("connected")
    age = max(0.0, now - beat.ts)
    late_at, down_at = deadlines(beat, late_after, down_after)
    status: Status = "live"
    detail = f"heartbeat {age:.0f} s ago"
    if now > down_at:
        status, detail = "down", f"no heartbeat for {age:.0f} s"
    elif connected is False:
        status, detail = "down", "running but cut off from its upstream"
    elif now > late_at:
        status, detail = "late", f"no heartbeat for {age:.0f} s"
    return SourceHealth(beat.id, status, age, rate, interval, connected, detail)


def deadlines(
    beat: Envelope, late_after: float = LATE_AFTER, down_after: float = DOWN_AFTER
) -> tuple[float, float]:
    """When the producer of ``beat`` becomes late and when down, if no heartbeat follows: a
    screen is sent these times and moves a source on by its own clock, with nothing sent."""
    interval = _interval(beat)
    return beat.ts + late_after * interval, beat.ts + down_after * interval


def _interval(beat: Envelope) -> float:
    return float(beat.data.get("interval") or 0) or 5.0


def producer_health(
    heartbeats: Iterable[Envelope] | Mapping[str, Envelope],
    now: float,
    late_after: float = LATE_AFTER,
    down_after: float = DOWN_AFTER,
) -> list[SourceHealth]:
    """The health of every producer with a heartbeat (e.g. a snapshot's ``heartbeat`` items),
    worst first, then by name, so a panel leads with what needs attention."""
    beats = heartbeats.values() if isinstance(heartbeats, Mapping) else heartbeats
    rank = {"down": 0, "late": 1, "live": 2}
    found = [source_health(b, now, late_after, down_after) for b in beats if not b.deleted]
    return sorted(found, key=lambda h: (rank[h.status], h.source))
