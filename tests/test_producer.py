"""The producer road every adapter shares, against a real Redis; producer health from heartbeats."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.adapters.health import producer_health, source_health
from feeds.adapters.producer import UNREAD, Producer, day_start, heartbeat
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import load_config

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2025, 3, 11, 10, 0, tzinfo=LONDON).timestamp()


@pytest.fixture(scope="module")
def config():
    return load_config("floorboard.toml")


def contact(
    cid: str, event: str, at: float, queue: str = "billing", source: str = "pbx", t0: float = T0
) -> Envelope:
    data = {
        "event": event,
        "queue": queue,
        "channel": "voice",
        "customer_id": f"k-{cid}",
        "enqueued_at": t0,
    }
    if event == "answered":
        data |= {"answered_at": at, "agent_id": "a01"}
    elif event != "offered":
        data["ended_at"] = at
    return make_envelope("contact", cid, data, ts=at, source=source, event_id=f"{cid}:{event}")


def ticking(start: float = T0, step: float = 1.0):
    counter = itertools.count()
    return lambda: start + next(counter) * step


def queue_items(bus: Bus) -> dict[str, Envelope]:
    return bus.snapshot(["queue"])[1]["queue"]


def test_events_stats_of_the_fed_queues_and_a_heartbeat_go_out_together(bus, config) -> None:
    # the wall clock is past the events it publishes (one stamped ahead of it would be refused)
    producer = Producer(bus, config, "pbx", queues=["faults"], clock=ticking(T0 + 60))
    producer.add([contact("c1", "offered", T0), contact("c1", "answered", T0 + 8)])
    assert producer.flush(T0 + 8)
    stats = queue_items(bus)
    assert set(stats) == {"billing", "faults"}  # fed by its events, and named up front
    assert stats["billing"].source == "pbx" and stats["billing"].data["answered"] == 1
    assert stats["billing"].data["asa"] == 8
    beat = bus.snapshot(["heartbeat"])[1]["heartbeat"]["pbx"]
    assert (beat.data["interval"], beat.data["rate"]) == (5, 2.0)  # two events in its 1st second
    producer.add([contact("c1", "completed", T0 + 60)])
    for _ in range(6):
        producer.flush()
    beat = bus.snapshot(["heartbeat"])[1]["heartbeat"]["pbx"]
    assert beat.data["rate"] == 0.5  # three events in the six seconds since it started
    assert producer.published == 3 and producer.duplicates == 0


def test_the_heartbeat_rate_is_the_last_minutes(bus, config) -> None:
    """A quiet floor's few events a minute read as a rate, not as "no events" in each 5 s
    without one; events older than a minute (and a few seconds) leave it."""
    producer = Producer(bus, config, "pbx", queues=["faults"], clock=ticking(T0, step=5.0))
    rates = []
    for beat in range(30):  # a heartbeat every 5 s, for two and a half minutes
        if beat in (1, 4):  # two events a quarter of a minute apart, then none
            producer.add([contact(f"c{beat}", "offered", T0 + 5 * beat)])
        producer.flush()
        rates.append(bus.snapshot(["heartbeat"])[1]["heartbeat"]["pbx"].data["rate"])
    assert rates[1:4] == [0.1, 0.067, 0.05]  # 1 in 10 s, 1 in 15, 1 in 20
    assert rates[4:12] == [round(2 / s, 3) for s in range(25, 65, 5)]  # 2 in 25 s ... 60 s
    assert all(0 < rate < 0.034 for rate in rates[12:16])  # still within the last minute
    assert rates[17:] == [0.0] * 13  # both over a minute ago


def test_a_retry_of_the_same_events_is_not_counted_again(bus, config) -> None:
    first = Producer(bus, config, "pbx", clock=ticking())
    first.add([contact("c1", "offered", T0), contact("c1", "abandoned", T0 + 30)])
    first.flush(T0 + 30)
    again = Producer(bus, config, "pbx", clock=ticking())
    again.add([contact("c1", "offered", T0), contact("c1", "abandoned", T0 + 30)])
    again.flush(T0 + 30)
    assert again.duplicates == 2
    assert len(bus.client.xrange(bus.contacts_key)) == 2


def test_events_wait_out_a_redis_outage_and_none_is_lost(own_redis: EmbeddedRedis, config):
    bus = Bus.from_url(own_redis.url, "p:")
    producer = Producer(bus, config, "pbx", clock=ticking())
    producer.add([contact("c1", "offered", T0)])
    assert producer.flush(T0)
    own_redis.stop()
    producer.add([contact("c1", "answered", T0 + 5), contact("c2", "offered", T0 + 6)])
    assert not producer.flush(T0 + 6)
    assert len(producer.pending) == 2
    own_redis.start()
    bus.client.connection_pool.disconnect()
    assert producer.flush(T0 + 7)
    stats = queue_items(bus)["billing"].data
    assert (stats["offered"], stats["answered"], stats["waiting"]) == (2, 1, 1)
    assert [e[1][b"e"].count(b'"offered"') for e in bus.client.xrange(bus.contacts_key)] == [
        1,
        0,
        1,
    ]


def test_a_flush_that_does_not_wait_is_answered_by_the_next_and_nothing_is_lost(bus, config):
    """``wait=False`` (a flat-out replay) sends and goes on; the next flush reads the answers.
    A link that drops before they are read puts the events back, to be sent again."""
    producer = Producer(bus, config, "pbx", clock=ticking(T0 + 60))
    producer.add([contact("c1", "offered", T0), contact("c2", "offered", T0 + 1)])
    assert producer.flush(T0 + 1, wait=False)
    assert (producer.published, producer.pending) == (0, [])  # sent, not answered yet
    producer.add([contact("c1", "answered", T0 + 5)])
    assert producer.flush(T0 + 5)
    assert (producer.published, producer.duplicates) == (3, 0)
    producer.add([contact("c2", "abandoned", T0 + 40)])
    assert producer.flush(T0 + 40, wait=False)
    bus.client.connection_pool.disconnect()  # the link drops with the answers unread
    assert not producer.flush(T0 + 41)
    assert [e.id for e in producer.pending] == ["c2"]
    assert producer.flush(T0 + 42)
    assert producer.published == 4 and producer.duplicates <= 1  # 1: Redis had written it
    stats = queue_items(bus)["billing"].data
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (2, 1, 1)
    assert len(bus.client.xrange(bus.contacts_key)) == 4  # each event once


def test_batches_left_unread_go_back_in_order_when_the_link_drops(bus, config) -> None:
    """A flat-out replay leaves the answers of its last few batches unread (UNREAD): a link that
    drops then puts every one of them back, oldest first, and sending again loses nothing and
    counts nothing twice."""
    producer = Producer(bus, config, "pbx", clock=ticking(T0 + 60))
    for i in range(UNREAD + 2):  # the oldest two are read as the later ones go out
        producer.add([contact(f"c{i}", "offered", T0 + i)])
        assert producer.flush(T0 + i, wait=False)
    assert producer.published == 2
    bus.client.connection_pool.disconnect()  # the link drops with UNREAD batches unread
    producer.add([contact("c0", "answered", T0 + 20)])
    assert not producer.flush(T0 + 20, wait=False)
    assert [e.id for e in producer.pending] == [f"c{i}" for i in range(2, UNREAD + 2)] + ["c0"]
    assert producer.flush(T0 + 21)
    assert producer.published == UNREAD + 3
    stats = queue_items(bus)["billing"].data
    assert (stats["offered"], stats["answered"]) == (UNREAD + 2, 1)
    assert len(bus.client.xrange(bus.contacts_key)) == UNREAD + 3  # each event once


def test_an_event_stamped_too_far_ahead_is_refused_and_the_rest_go_out(bus, config, caplog):
    producer = Producer(bus, config, "pbx", clock=ticking(T0 + 60))
    ahead = contact("c2", "offered", T0 + 3600, t0=T0 + 3600)
    producer.add([contact("c1", "offered", T0), ahead], now=T0)  # a live feed: counted as now
    assert producer.aggregator.refused == 1
    producer.add([contact("c3", "offered", T0 + 7200, t0=T0 + 7200)])  # a replay's: trusted
    assert producer.flush(T0 + 1)  # its wait has not begun: none yet, on the day's rows
    assert (producer.refused, producer.published) == (2, 1)  # neither goes to the bus
    assert "contact c2 refused" in caplog.text and "ahead" in caplog.text
    assert [e[1][b"e"].count(b'"c1"') for e in bus.client.xrange(bus.contacts_key)] == [1]


def test_pending_events_are_bounded_and_the_oldest_dropped(bus, config) -> None:
    producer = Producer(bus, config, "pbx", max_pending=2, clock=ticking())
    producer.add([contact(f"c{i}", "offered", T0 + i) for i in range(5)])
    assert [e.id for e in producer.pending] == ["c3", "c4"] and producer.dropped == 3
    assert producer.aggregator.stats("billing", T0 + 5)["offered"] == 5  # still counted


def test_a_restarted_producer_rebuilds_the_day_from_the_bus(bus, config) -> None:
    # The stream's entry ids are the server's clock: this test's day is today.
    now = time.time()
    t0 = max(now - 120, day_start(now, config) + 1)
    # Yesterday's stream entries are not today's: written with an id before midnight.
    old = contact("old", "offered", t0 - 86400, t0=t0 - 86400).model_dump_json()
    bus.client.xadd(bus.contacts_key, {"e": old}, id=f"{int(day_start(now, config) * 1000) - 5}-0")
    earlier = Producer(bus, config, "pbx", clock=ticking(t0))
    earlier.add([contact("c1", "offered", t0, t0=t0), contact("c1", "answered", t0 + 10, t0=t0)])
    earlier.add(
        [contact("c2", "offered", t0 + 20, t0=t0), contact("c2", "abandoned", t0 + 50, t0=t0)]
    )
    earlier.add([contact("x1", "offered", t0 + 30, source="other", t0=t0)])  # not this producer's
    agent = {"name": "Ann", "state": "available", "since": t0, "skills": ["billing"]}
    earlier.add([make_envelope("agent", "a01", agent, ts=t0, source="pbx")])
    earlier.flush(t0 + 50)
    restarted = Producer(bus, config, "pbx", clock=ticking(t0 + 60))
    assert restarted.warm_start(now) == 5
    restarted.add([contact("c2", "abandoned", t0 + 50, t0=t0)])  # re-delivered: counted once
    stats = restarted.aggregator.stats("billing", t0 + 60)
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (2, 1, 1)
    assert stats["agents"]["available"] == 1


def test_health_is_live_late_or_down_by_the_age_of_the_last_heartbeat() -> None:
    beat = heartbeat("pbx", T0, 5.0, 12.0, connected=True)
    assert source_health(beat, T0 + 3).status == "live"
    assert source_health(beat, T0 - 2).age == 0  # a clock a little behind: not negative
    late = source_health(beat, T0 + 11)
    assert (late.status, late.age, late.rate) == ("late", 11, 12.0)
    assert "11 s" in late.detail
    assert source_health(beat, T0 + 26).status == "down"
    cut_off = source_health(heartbeat("ami", T0, 5.0, 0.0, connected=False), T0 + 1)
    assert (cut_off.status, cut_off.detail) == ("down", "running but cut off from its upstream")


def test_health_lists_every_producer_worst_first() -> None:
    beats = {
        "simulator": heartbeat("simulator", T0, 5.0, 30.0),
        "asterisk": heartbeat("asterisk", T0 - 60, 5.0, 2.0, connected=True),
        "csv-replay": heartbeat("csv-replay", T0 - 12, 5.0, 500.0),
    }
    health = producer_health(beats, T0 + 1)
    assert [(h.source, h.status) for h in health] == [
        ("asterisk", "down"),
        ("csv-replay", "late"),
        ("simulator", "live"),
    ]
    assert producer_health(list(beats.values()), T0 + 1) == health
    assert producer_health({}, T0) == []
