"""Playing the simulation onto the bus in real time, for the demo and load runs."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import redis

from feeds.adapters.producer import Producer, day_start
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.outages import OUTAGE_FIELDS, Outages
from feeds.simulator.model import OUTAGE_AFTER, SOURCE
from feeds.simulator.simulation import Simulation

log = logging.getLogger(__name__)

MAX_PENDING = 50_000  # envelopes kept for retry while Redis is unreachable
BACKFILL = 6 * 3600.0  # of the centre's day published at start, so today's totals are believable


def run(
    bus: Bus,
    config: Config,
    *,
    seed: int = 1,
    speed: float = 1.0,
    outage: bool = False,
    agents: int = 24,
    featured: str | None = None,
    forecast: bool = False,
    stop: threading.Event,
    routing: str | None = None,
    tick: float = 0.25,
    stats_every: float = 1.0,
    clock: Callable[[], float] = time.time,
) -> None:
    """Play the simulation onto the bus in real time (times ``speed``) until ``stop`` is set.

    It first plays the centre's day so far, from local midnight: the intervals of the day's
    charts (and their forecast, with ``forecast``) have the whole day's shape, and the last
    six hours of it are published too, so the day's totals, the contact history and the agents'
    stats look like a real afternoon; the outage scenario still starts a minute after launch.
    The outage is declared as a supervisor would declare it (:class:`Outages`: audited, on
    its timeline), by ``simulator``;
    ``featured``: an agent kept on the floor and on contacts (the demo's suggested tab);
    ``routing``: how freed agents pick the next contact (:data:`ROUTINGS` of the simulation).

    Queue statistics come from an aggregator fed with the same events, as they would for a
    real ACD that only sends raw events, through the :class:`Producer` every adapter uses: a
    Redis failure never ends the run (the events are kept and published on a later tick, so
    the board catches up once Redis is back), and a heartbeat says how many events a second
    the simulator makes.
    """
    began = clock()
    day_from = day_start(began, config)
    sim = Simulation(
        config, seed=seed, start=day_from, agents=agents, outage=outage,
        outage_after=began - day_from + OUTAGE_AFTER, featured=featured, routing=routing,
    )  # fmt: skip
    producer = Producer(
        bus, config, SOURCE, queues=[q.id for q in config.queues], stats_every=stats_every,
        max_pending=MAX_PENDING, clock=clock,
    )  # fmt: skip
    notices: list[Envelope] = []  # outages to declare through the notices service

    def take(events: list[Envelope], now: float) -> None:
        notices.extend(e for e in events if e.kind == "outage")
        producer.add((e for e in events if e.kind != "outage"), now=now)

    if forecast:
        plan_forecast(bus, config, agents, began)
    # Today so far: counted from midnight, published for the last six hours, starting with
    # the floor as it was then (each agent's state) and every customer who had called (so
    # their later contacts find them), stamped as of then.
    published_from = max(day_from, began - BACKFILL)
    early = sim.advance(published_from)
    producer.add((e for e in early if e.kind in ("contact", "agent")), publish=False, now=began)
    floor = {(e.kind, e.id): e for e in early if e.kind in ("agent", "customer")}
    take([e.model_copy(update={"ts": published_from}) for e in floor.values()], began)
    take(sim.advance(began), began)
    log.info("simulating %d agents on %d queues at speed %g", agents, len(config.queues), speed)
    while True:
        real = clock()
        now = began + (real - began) * speed
        take(sim.advance(now), now)
        if producer.flush(now, real=real):
            with contextlib.suppress(redis.RedisError):  # Redis away: declared on a later tick
                while notices:
                    declare(bus, config, notices[0], clock)
                    del notices[0]
        if stop.wait(tick):
            return


def declare(bus: Bus, config: Config, outage: Envelope, clock: Callable[[], float]) -> None:
    """Declare the scenario's outage through the notices service, so it is audited (by
    ``simulator``) and has a timeline, as one a supervisor declares; not again while one of an
    earlier run is still active. One the service refuses is logged and dropped: the demo goes
    on without it."""
    fields = {k: v for k, v in outage.data.items() if k in OUTAGE_FIELDS}
    outages = Outages(bus, config, clock=clock)
    if any(o["service"] == fields["service"] for o in outages.list()["active"]):
        log.info("the scenario's outage is still active from an earlier run")
        return
    try:
        outages.declare(fields, SOURCE)
    except SchemaError as exc:
        log.warning("the scenario's outage was refused: %s", exc)


def plan_forecast(bus: Bus, config: Config, agents: int, now: float) -> None:
    """The simulated centre's forecast (:mod:`feeds.simulator.plan`) for today and tomorrow,
    as a planner would load it; one the bus cannot take now is left out of the demo."""
    from feeds.intraday.feed import load_forecast
    from feeds.intraday.forecast import read_rows
    from feeds.intraday.grid import Day
    from feeds.simulator.plan import forecast_rows

    today = Day.of(now, config.tz, config.history.step)
    for day in (today, today.following()):
        try:
            load_forecast(bus, config, read_rows(forecast_rows(config, agents), config, day),
                          SOURCE, now)  # fmt: skip
        except (redis.RedisError, SchemaError) as exc:
            log.warning("the demo's forecast for %s was not loaded: %s", day.text, exc)
