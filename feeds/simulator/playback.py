"""Playing the simulation onto the bus in real time, for the demo and load runs."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

import redis

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import Config
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.windows import day_bounds
from feeds.simulator.model import OUTAGE_AFTER, SOURCE
from feeds.simulator.simulation import Simulation

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # real seconds
MAX_PENDING = 50_000  # envelopes kept for retry while Redis is unreachable
BACKFILL = 6 * 3600.0  # of the centre's day played at start, so today's totals are believable
BACKFILL_BATCH = 2000


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

    Queue statistics come from an :class:`Aggregator` fed with the same events, as they would
    for a real ACD that only sends raw events. A Redis failure never ends the run: the events
    are kept and published on a later tick, so the board catches up once Redis is back.
    """
    began = clock()
    history_from = max(began - BACKFILL, day_bounds(began, config.tz)[0])
    sim = Simulation(
        config, seed=seed, start=history_from, agents=agents, outage=outage,
        outage_after=began - history_from + OUTAGE_AFTER,
    )  # fmt: skip
    aggregator = Aggregator(config)
    pending = sim.advance(began)  # today so far, published on the first tick
    for env in pending:
        aggregator.apply(env, began)
    last_stats = last_beat = -math.inf
    failing, dropped = False, 0
    log.info("simulating %d agents on %d queues at speed %g", agents, len(config.queues), speed)
    while True:
        real = clock()
        now = began + (real - began) * speed
        events = sim.advance(now)
        for env in events:
            aggregator.apply(env, now)
        pending.extend(events)
        if len(pending) > MAX_PENDING:
            dropped += len(pending) - MAX_PENDING
            del pending[: len(pending) - MAX_PENDING]
        batch = list(pending)
        stats_due = real - last_stats >= stats_every
        beat_due = real - last_beat >= HEARTBEAT_EVERY
        if stats_due:
            batch += aggregator.envelopes(now)
        if beat_due:  # liveness is about the wall clock, whatever the simulation speed
            beat = {"interval": HEARTBEAT_EVERY}
            batch.append(make_envelope("heartbeat", SOURCE, beat, ts=real, source=SOURCE))
        try:
            for i in range(0, len(batch), BACKFILL_BATCH):
                # The simulation's clock, not the host's: at --speed above 1 it runs ahead.
                bus.publish_many(batch[i : i + BACKFILL_BATCH], now=max(now, real))
        except redis.RedisError as exc:
            if not failing:
                log.warning("publishing failed, retrying every tick: %s", exc)
            failing = True
        else:
            if failing:
                log.warning("publishing again; %d events dropped while Redis was down", dropped)
            failing, dropped = False, 0
            pending.clear()
            if stats_due:
                last_stats = real
            if beat_due:
                last_beat = real
        if stop.wait(tick):
            return
