"""``floorboard aggregate``: the one process that turns raw events on the bus into queue statistics.

Some producers cannot work out queue statistics themselves: Amazon Connect records posted to
``/api/v1/connect/records`` land on whichever app worker takes the post, and figures counted
in each worker would be split between them. So the app only publishes the raw contact and
agent events (the bus is the one record of what happened), and this process follows them on
the bus and publishes the queues' figures through the producer loop every adapter shares
(:mod:`feeds.adapters.producer`): statistics once a second, and a heartbeat that names the
producers it follows, so a tile it feeds says which of them fell silent.

What it reads, of the producers in ``[adapters.aggregate] follow`` only:

- contact events from the contact stream (``<prefix>contacts``), which keeps every contact
  event durably: read on from the last entry taken, so a Redis blip or a slow second loses
  nothing; a start (or restart) first takes the day from the centre's midnight
  (:meth:`Producer.warm_start`), so the figures are the day's, not since the start;
- agent states, the latest of each, read every second (an agent's changes within a second
  cost only that second of its occupancy).

The figures depend only on what is on the bus, so a second one (a standby) publishes the
same figures: harmless, but one is all a centre needs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from feeds.adapters.producer import Producer, day_entry
from feeds.bus.bus import Bus
from feeds.config import Config

log = logging.getLogger(__name__)

TICK = 0.25  # seconds between reads of the contact stream


@dataclass
class FollowReport:
    warm: int = 0  # events taken at the start: the day so far
    events: int = 0  # events taken since
    failures: int = 0  # Redis errors ridden out


class Follower:
    """Aggregates the followed producers' events from the bus; publishes queue statistics."""

    def __init__(self, config: Config, bus: Bus, clock: Callable[[], float] = time.time,
                 stats_every: float = 1.0) -> None:  # fmt: skip
        settings = config.adapters.aggregate
        self.follows = frozenset(settings.follow)
        self.producer = Producer(bus, config, settings.source, clock=clock,
                                 stats_every=stats_every)  # fmt: skip
        self.producer.follows = tuple(sorted(self.follows))
        self.config, self.bus, self.clock = config, bus, clock
        self.report = FollowReport()
        self.last = ""  # the last contact stream entry taken
        self.agents: dict[bytes, bytes] = {}  # agent id -> its state as last taken

    def start(self) -> None:
        """Take the day so far (stamps trusted): the contact stream from the centre's
        midnight, and the agents' states."""
        midnight = day_entry(self.clock(), self.config)
        taken, last = self.producer.take_contacts(midnight, self.follows)
        self.last = last or midnight
        self.report.warm = taken + self._agents(None)

    def step(self) -> None:
        """Take what came since the last step, and publish the figures when due."""
        now = self.clock()
        taken, last = self.producer.take_contacts(f"({self.last}", self.follows, now)
        self.last = last or self.last
        self.report.events += taken + self._agents(now)
        self.producer.flush(now)

    def _agents(self, now: float | None) -> int:
        """Take the agents whose state changed since the last read."""
        states = self.bus.client.hgetall(self.bus.state_key("agent"))
        changed = [raw for agent, raw in states.items() if self.agents.get(agent) != raw]
        self.agents = states
        return sum(self.producer.take(raw, self.follows, now) for raw in changed)


def run_aggregate(
    config: Config,
    bus: Bus,
    stop: threading.Event,
    *,
    clock: Callable[[], float] = time.time,
    tick: float = TICK,
) -> FollowReport:
    """Follow the bus and publish queue statistics until ``stop`` is set; a Redis outage is
    ridden out (retried every second, going on from the last entry taken)."""
    follower = Follower(config, bus, clock)
    started = False
    while not stop.is_set():
        try:
            if not started:
                follower.start()
                started = True
                log.info("aggregating %s: the day so far is %d events",
                         ", ".join(sorted(follower.follows)), follower.report.warm)  # fmt: skip
            follower.step()
        except redis.RedisError as exc:
            follower.report.failures += 1
            log.warning("aggregate: Redis: %s; retrying", exc)
            stop.wait(1.0)
            continue
        stop.wait(tick)
    if started:
        follower.producer.flush(final=True)
    return follower.report
