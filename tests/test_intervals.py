"""Interval history: what the producer keeps live equals a from-scratch pandas computation over
the contacts stream, on simulated days (a plain day, both daylight-saving days), with contacts
that span an interval boundary counted where they were offered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from feeds.adapters.producer import Producer
from feeds.config import load_config
from feeds.intraday import frame, rows
from feeds.intraday.grid import Day
from feeds.intraday.store import IntradayStore, stream_range
from feeds.simulator.simulation import Simulation

LONDON = ZoneInfo("Europe/London")
STEP = 60.0  # simulated seconds between producer flushes
# Comparable without agent time (not in the stream): the counters and what they give.
COMPARED = [*rows.COUNTERS, "service_level", "asa", "aht", "abandon_rate", "longest_wait"]
WINDOWS = {
    "plain day": (datetime(2026, 11, 24, 9, 40), 2.0),
    # The clocks go forward at 01:00 (no 01:00-02:00) and back at 02:00 (01:00-02:00 twice).
    "spring forward": (datetime(2026, 3, 29, 0, 20), 2.5),
    "fall back": (datetime(2026, 10, 25, 0, 20), 3.0),
}


@pytest.fixture(scope="module")
def config():
    """Retention long enough to keep this year's days (keys expire by the real clock)."""
    config = load_config("floorboard.toml")
    return config.model_copy(update={"history": config.history.model_copy(
        update={"retention_days": 400})})  # fmt: skip


def play(bus, config, start: float, hours: float) -> float:
    """Simulate ``hours`` from ``start`` through a producer (real Redis); returns the end."""
    clock = [start]
    producer = Producer(bus, config, "sim", queues=[q.id for q in config.queues],
                        stats_every=1.0, clock=lambda: clock[0])  # fmt: skip
    sim = Simulation(config, seed=7, start=start, agents=16)
    end = start + hours * 3600
    while clock[0] < end:
        clock[0] += STEP
        producer.add(sim.advance(clock[0]), now=clock[0])
        assert producer.flush(now=clock[0])
    producer.flush(now=clock[0], final=True)
    return clock[0]


def from_stream(bus, config, now: float) -> pd.DataFrame:
    legs = frame.legs(frame.events(stream_range(bus.client, bus.contacts_key, 0)), config)
    return legs, frame.intervals(legs, config, now)


def stored(bus, config, days: set) -> pd.DataFrame:
    store = IntradayStore(bus, config)
    found = [{"queue": q.id, **r} for d in days for q in config.queues
             for r in store.rows(q.id, store.day(d))]  # fmt: skip
    return pd.DataFrame(found)


@pytest.mark.parametrize("window", list(WINDOWS))
def test_live_intervals_equal_pandas_over_the_contacts_stream(bus, config, window):
    local, hours = WINDOWS[window]
    start = local.replace(tzinfo=LONDON).timestamp()
    now = play(bus, config, start, hours)
    legs, expected = from_stream(bus, config, now)
    day = Day.of(start, config.tz, config.history.step)
    actual = stored(bus, config, {day.date, Day.of(now, config.tz, 900).date})

    # Not vacuous: many contacts, some answered in a later interval than they were offered in.
    starts = frame.interval_starts(legs["enqueued_at"], config.centre.timezone, 900)
    later = frame.interval_starts(legs["answered_at"].fillna(0), config.centre.timezone, 900)
    assert len(legs) > 100
    assert ((legs["answered"] == 1) & (later > starts)).sum() > 3

    key = ["queue", "start"]
    expected = expected.set_index(key).sort_index()
    actual = actual.set_index(key).sort_index()
    # Every interval with contacts is stored (the store may also hold empty running ones).
    assert set(expected.index) <= set(actual.index)
    got = actual.loc[expected.index].reindex(columns=COMPARED)
    want = expected.reindex(columns=COMPARED)
    pd.testing.assert_frame_equal(got.fillna(-1).astype(float), want.fillna(-1).astype(float),
                                  check_exact=False, atol=0.01)  # fmt: skip


def test_the_daylight_saving_days_have_their_own_number_of_intervals(config):
    spring = Day.on(datetime(2026, 3, 29).date(), LONDON, 900)
    autumn = Day.on(datetime(2026, 10, 25).date(), LONDON, 900)
    assert (spring.slots, autumn.slots) == (92, 100)
    assert spring.label(4) == "02:00"  # 01:00 never happens
    assert [autumn.label(s) for s in (4, 8)] == ["01:00", "01:00"]  # the repeated hour


def test_days_expire_after_the_retention(bus, config):
    """Memory is bounded: each day's hash expires ``retention_days`` after the day ends."""
    store = IntradayStore(bus, config)
    day = store.day(datetime(2026, 11, 24).date())
    store.save({("billing", day.start): {"start": day.start, "offered": 1}})
    left = bus.client.ttl(store.history_key("billing", day.text))
    assert abs(left - (day.end + 400 * 86400 - bus.client.time()[0])) < 5
    assert store.rows("billing", day) == [{"start": day.start, "offered": 1}]


def test_a_blended_agents_staffed_time_is_shared_among_its_queues(config):
    """One agent working billing and faults, another billing only, for a whole interval: the
    intervals' staffed agents add up to the two people (each queue's row is worked out on its
    own, as the producer does: the demo's charts showed twice the agents working)."""
    from feeds.bus.schema import make_envelope
    from feeds.intraday.live import Intraday
    from feeds.metrics.aggregator import Aggregator

    aggregator = Aggregator(config)
    intraday = Intraday(config, aggregator)
    day = Day.of(datetime(2026, 11, 24, 9, 0, tzinfo=LONDON).timestamp(), LONDON, 900)
    start = day.start + 36 * 900  # 09:00
    for aid, skills in (("a1", ["billing", "faults"]), ("a2", ["billing"])):
        data = {"name": aid, "state": "available", "since": start - 60, "skills": skills}
        aggregator.apply(make_envelope("agent", aid, data, ts=start - 60), now=start - 60)
    now = start + 900  # the interval has closed
    staffed = {q: intraday.row(q, start, now).get("staffed") for q in ("billing", "faults")}
    assert staffed == {"billing": 1.5, "faults": 0.5}
