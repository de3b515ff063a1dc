"""Playing the simulation onto the bus in real time, for the demo and load runs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from feeds.adapters.producer import Producer, day_start
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.simulator.model import OUTAGE_AFTER, SOURCE
from feeds.simulator.simulation import Simulation

log = logging.getLogger(__name__)

MAX_PENDING = 50_000  # envelopes kept for retry while Redis is unreachable
BACKFILL = 6 * 3600.0  # of the centre's day played at start, so today's totals are believable


def run(
    bus: Bus,
    config: Config,
    *,
    seed: int = 1,
    speed: float = 1.0,
    outage: bool = False,
    agents: int = 24,
    stop: threading.Event,
    tick: float = 0.25,
    stats_every: float = 1.0,
    clock: Callable[[], float] = time.time,
) -> None:
    """Play the simulation onto the bus in real time (times ``speed``) until ``stop`` is set.

    It first plays up to six hours of the centre's day so far (not before local midnight), so
    the day's totals, the contact history and the agents' stats look like a real afternoon;
    the outage scenario still starts a minute after launch.

    Queue statistics come from an aggregator fed with the same events, as they would for a
    real ACD that only sends raw events, through the :class:`Producer` every adapter uses: a
    Redis failure never ends the run (the events are kept and published on a later tick, so
    the board catches up once Redis is back), and a heartbeat says how many events a second
    the simulator makes.
    """
    began = clock()
    history_from = max(began - BACKFILL, day_start(began, config))
    sim = Simulation(
        config, seed=seed, start=history_from, agents=agents, outage=outage,
        outage_after=began - history_from + OUTAGE_AFTER,
    )  # fmt: skip
    producer = Producer(
        bus, config, SOURCE, queues=[q.id for q in config.queues], stats_every=stats_every,
        max_pending=MAX_PENDING, clock=clock,
    )  # fmt: skip
    producer.add(sim.advance(began), now=began)  # today so far, published on the first tick
    log.info("simulating %d agents on %d queues at speed %g", agents, len(config.queues), speed)
    while True:
        real = clock()
        now = began + (real - began) * speed
        producer.add(sim.advance(now), now=now)
        producer.flush(now, real=real)
        if stop.wait(tick):
            return
