"""Queue statistics from raw events: hand-computed days, messy feeds, midnight, agents."""

import tomllib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.bus.kinds import QueueStats
from feeds.bus.schema import make_envelope
from feeds.config import load_config, parse_config
from feeds.metrics.aggregator import Aggregator

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2025, 3, 11, 10, 0, tzinfo=LONDON).timestamp()


@pytest.fixture
def config():
    return load_config("floorboard.toml")


@pytest.fixture
def agg(config):
    return Aggregator(config)


def contact(cid, event, ts, enqueued_at, queue="billing", channel="voice", **fields):
    data = {
        "event": event,
        "queue": queue,
        "channel": channel,
        "customer_id": "AC10000001",
        "enqueued_at": enqueued_at,
        **fields,
    }
    return make_envelope("contact", cid, data, ts=ts, source="test")


def agent(aid, state, ts, skills):
    data = {"name": aid.upper(), "state": state, "since": ts, "skills": skills}
    return make_envelope("agent", aid, data, ts=ts, source="test")


def offer(agg, cid, at, **kw):
    return agg.apply(contact(cid, "offered", at, at, **kw))


def answer(agg, cid, enqueued_at, wait, **kw):
    at = enqueued_at + wait
    return agg.apply(
        contact(cid, "answered", at, enqueued_at, answered_at=at, agent_id="a01", **kw)
    )


def abandon(agg, cid, enqueued_at, wait):
    at = enqueued_at + wait
    return agg.apply(contact(cid, "abandoned", at, enqueued_at, ended_at=at))


def test_hand_computed_day(agg):
    # 10 offered; 7 answered after 5, 10, 20, 25, 30, 8, 12 s (threshold 20 s: 5 in time);
    # 3 abandoned after 3 s (short: under 5 s), 40 s and 60 s.
    waits = [5, 10, 20, 25, 30, 8, 12]
    gave_up = [3, 40, 60]
    for i in range(10):
        assert offer(agg, f"c{i}", T0 + i) == {"billing"}
    for i, wait in enumerate(waits):
        assert answer(agg, f"c{i}", T0 + i, wait) == {"billing"}
    for i, wait in enumerate(gave_up, start=7):
        assert abandon(agg, f"c{i}", T0 + i, wait) == {"billing"}
    agg.apply(contact("c0", "completed", T0 + 300, T0, talk=200, hold=30, wrap=40))
    agg.apply(contact("c1", "completed", T0 + 400, T0 + 1, talk=100, hold=0, wrap=20))

    s = agg.stats("billing", T0 + 500)
    assert QueueStats.model_validate(s)
    assert (s["name"], s["channel"]) == ("Billing", "voice")
    assert (s["offered"], s["answered"], s["answered_in_threshold"]) == (10, 7, 5)
    assert (s["abandoned"], s["short_abandoned"]) == (3, 1)
    assert s["waiting"] == 0
    assert s["longest_wait_since"] is None
    assert s["service_level"] == pytest.approx(5 / 9)  # 5 / (7 + 3 - 1)
    assert s["asa"] == pytest.approx(110 / 7)
    assert s["aht"] == pytest.approx((270 + 120) / 2)
    assert s["abandon_rate"] == pytest.approx(2 / 9)  # (3 - 1) / (10 - 1)


def test_a_fresh_queue_has_no_rates_yet(agg):
    s = agg.stats("faults", T0)
    assert s["offered"] == 0
    assert s["service_level"] is s["asa"] is s["aht"] is s["abandon_rate"] is None


def test_longest_wait_is_the_oldest_contact_still_waiting(agg):
    offer(agg, "c1", T0 + 30)
    offer(agg, "c2", T0 + 10)
    offer(agg, "c3", T0 + 20)
    assert agg.stats("billing", T0 + 40)["longest_wait_since"] == T0 + 10
    answer(agg, "c2", T0 + 10, 35)
    s = agg.stats("billing", T0 + 50)
    assert s["waiting"] == 2
    assert s["longest_wait_since"] == T0 + 20


def test_duplicates_count_once(agg):
    assert offer(agg, "c1", T0) == {"billing"}
    assert offer(agg, "c1", T0) == set()
    answer(agg, "c1", T0, 4)
    assert answer(agg, "c1", T0, 4) == set()
    done = contact("c1", "completed", T0 + 200, T0, talk=150, hold=0, wrap=30)
    agg.apply(done)
    assert agg.apply(done) == set()
    s = agg.stats("billing", T0 + 300)
    assert (s["offered"], s["answered"], s["waiting"]) == (1, 1, 0)
    assert s["aht"] == pytest.approx(180)


def test_a_contact_has_one_outcome(agg):
    offer(agg, "c1", T0)
    answer(agg, "c1", T0, 4)
    assert abandon(agg, "c1", T0, 30) == set()
    s = agg.stats("billing", T0 + 60)
    assert (s["answered"], s["abandoned"], s["service_level"]) == (1, 0, 1.0)


@pytest.mark.parametrize("outcome", [answer, abandon])
def test_an_outcome_before_its_offer_never_makes_waiting_negative(agg, outcome):
    assert outcome(agg, "c1", T0, 30) == {"billing"}
    s = agg.stats("billing", T0 + 31)
    assert s["waiting"] == 0
    assert s["offered"] == 1  # every answered or abandoned contact was offered
    offer(agg, "c1", T0)  # the offer, arriving late
    s = agg.stats("billing", T0 + 32)
    assert (s["waiting"], s["offered"], s["longest_wait_since"]) == (0, 1, None)
    assert s["answered"] + s["abandoned"] == 1


def test_unknown_queues_and_other_kinds_are_ignored(agg):
    assert offer(agg, "c1", T0, queue="nowhere") == set()
    heartbeat = make_envelope("heartbeat", "acd", {"interval": 5}, ts=T0)
    assert agg.apply(heartbeat) == set()
    assert all(agg.stats(q, T0)["offered"] == 0 for q in ("billing", "faults", "chat"))
    with pytest.raises(KeyError):
        agg.stats("nowhere", T0)


def _summer(hour, minute):
    return datetime(2025, 7, 1, hour, minute, tzinfo=UTC).timestamp()


def test_counters_reset_at_local_midnight_not_utc(config):
    # 22:30 UTC is 23:30 in London (BST); 23:10 UTC is 00:10 on the next London day.
    agg = Aggregator(config)
    offer(agg, "c1", _summer(22, 30))
    answer(agg, "c1", _summer(22, 30), 4)
    offer(agg, "c2", _summer(22, 50))
    agg.apply(agent("a01", "available", _summer(22, 0), ["billing"]))
    before = agg.stats("billing", _summer(22, 59))
    assert (before["offered"], before["answered"], before["waiting"]) == (2, 1, 1)

    after = agg.stats("billing", _summer(23, 10))
    assert (after["offered"], after["answered"], after["abandoned"]) == (0, 0, 0)
    assert after["service_level"] is None
    assert after["waiting"] == 1  # still queueing across midnight
    assert after["longest_wait_since"] == _summer(22, 50)
    assert after["agents"]["available"] == 1

    # answered today: counts as offered today too, so today's rates stay within 0..1
    answer(agg, "c2", _summer(22, 50), 25 * 60)
    s = agg.stats("billing", _summer(23, 20))
    assert (s["offered"], s["answered"], s["waiting"], s["service_level"]) == (1, 1, 0, 0.0)


def test_the_day_follows_the_configured_time_zone():
    with open("floorboard.toml", "rb") as f:
        data = tomllib.load(f)
    data["centre"]["timezone"] = "UTC"
    agg = Aggregator(parse_config(data))
    offer(agg, "c1", _summer(22, 30))
    assert agg.stats("billing", _summer(23, 10))["offered"] == 1  # same UTC day


def test_an_event_past_midnight_resets_every_queue(agg):
    offer(agg, "c1", _summer(22, 30))
    offer(agg, "c2", _summer(22, 31), queue="chat", channel="chat")
    changed = offer(agg, "c3", _summer(23, 5), queue="faults")
    assert changed == {"billing", "faults", "moving", "chat", "email"}
    assert agg.stats("chat", _summer(23, 6))["offered"] == 0
    assert agg.stats("faults", _summer(23, 6))["offered"] == 1


def test_late_events_from_yesterday_do_not_count_today(agg):
    offer(agg, "c1", _summer(22, 30))
    answer(agg, "c1", _summer(22, 30), 10)
    agg.stats("billing", _summer(23, 5))  # the new day starts
    late = contact("c1", "completed", _summer(22, 45), _summer(22, 30), talk=600, wrap=30)
    agg.apply(late)
    assert agg.stats("billing", _summer(23, 6))["aht"] is None


def test_agents_by_state_per_queue(agg):
    assert agg.apply(agent("a01", "available", T0, ["billing", "faults"])) == {"billing", "faults"}
    agg.apply(agent("a02", "on_contact", T0, ["billing"]))
    agg.apply(agent("a03", "away", T0, ["chat"]))
    agg.apply(agent("a04", "wrap", T0, ["billing", "chat"]))
    billing = agg.stats("billing", T0)["agents"]
    assert billing == {"available": 1, "on_contact": 1, "wrap": 1, "away": 0, "offline": 0}
    assert agg.stats("chat", T0)["agents"] == {
        "available": 0,
        "on_contact": 0,
        "wrap": 1,
        "away": 1,
        "offline": 0,
    }
    assert agg.stats("email", T0)["agents"]["available"] == 0

    assert agg.apply(agent("a01", "offline", T0 + 60, ["billing", "faults"])) == {
        "billing",
        "faults",
    }
    assert agg.apply(agent("a01", "offline", T0 + 61, ["billing", "faults"])) == set()
    # A stale state changes the past (occupancy), never the present.
    agg.apply(agent("a01", "available", T0 + 30, ["billing", "faults"]))
    assert agg.stats("faults", T0 + 70)["agents"]["offline"] == 1

    assert agg.apply(agent("a02", "on_contact", T0 + 80, ["faults"])) == {"billing", "faults"}
    assert agg.stats("billing", T0 + 90)["agents"]["on_contact"] == 0
    assert agg.stats("faults", T0 + 90)["agents"]["on_contact"] == 1

    gone = make_envelope("agent", "a02", {}, ts=T0 + 100, deleted=True)
    assert agg.apply(gone) == {"faults"}
    assert agg.stats("faults", T0 + 110)["agents"]["on_contact"] == 0


def test_envelopes_are_queue_items_for_the_chosen_queues(agg, config):
    offer(agg, "c1", T0)
    envs = agg.envelopes(T0 + 5)
    assert [e.id for e in envs] == [q.id for q in config.queues]
    assert {(e.kind, e.ts, e.source) for e in envs} == {("queue", T0 + 5, "aggregator")}
    assert envs[0].data["waiting"] == 1
    only = agg.envelopes(T0 + 5, source="sim", queues=["chat"])
    assert [(e.id, e.source) for e in only] == [("chat", "sim")]


def test_a_tally_forgets_old_buckets_and_a_late_one_in_its_turn():
    """Pruning walks the buckets oldest first and stops at the first newer one: a bucket made
    late (behind newer ones) goes once those go, and no rolling window counts it meanwhile."""
    from feeds.metrics.formulas import COUNTERS, WINDOW_SECONDS
    from feeds.metrics.windows import HORIZON, Tally

    offered = COUNTERS.index("offered")
    tally = Tally()
    for s in range(1000, 1100):
        tally.add((float(s), float(offered), 1.0), 1.0, 0.0, 0)
    tally.add((950.0, float(offered), 1.0), 1.0, 0.0, 0)  # late: made after newer buckets
    tally.forget_before(1049)
    assert sorted(tally.recent) == [950, *range(1050, 1100)]  # 950 waits behind 1050…
    now = 950 + HORIZON  # 950 is as old as the longest window: no window counts it
    assert tally.rolling(now)["60m"][offered] == 50  # 1050-1099 only
    tally.forget_before(1099)
    assert tally.recent == {}  # …and goes with them
    assert tally.today[offered] == 101  # the day keeps every contact
    assert WINDOW_SECONDS["60m"] == HORIZON


def test_entries_added_as_columns_wait_until_read_and_read_as_one_at_a_time():
    """A tally keeps entries added a column at a time (a flat-out replay's) as columns until its
    buckets are read; those a window no longer holds by then never make a bucket. Every window
    reads exactly what the same entries added one at a time give, in any order of adding,
    pruning and reading."""
    import random

    import numpy as np

    from feeds.metrics.windows import HORIZON, Tally

    rng = random.Random(7)
    columns, one = Tally(), Tally()
    floor, clock = 0, 1000
    for step in range(60):
        n = rng.randint(0, 40)
        at = np.array(
            [
                clock + rng.choice([rng.uniform(-HORIZON / 2, 600), rng.uniform(0, 3)])
                for _ in range(n)
            ]
        )  # some late, many in the same few seconds
        index = np.array([rng.randrange(2) for _ in range(n)], dtype=np.int64)  # few: they meet
        value = np.array([rng.choice([1.0, 0.1, 0.7, 1e-9]) for _ in range(n)])  # order shows
        columns.add_many(at, index, value, 0.0, floor)
        for t, i, v in zip(at, index, value, strict=True):
            one.add((float(t), float(i), float(v)), 1.0, 0.0, floor)
        if step % 4 == 1 and n:  # a live event in a second just added to: one at a time to both
            live = (float(at[-1]), float(index[-1]), 0.3)
            sign = rng.choice([1.0, -1.0])  # a correction takes one back
            for tally in (columns, one):
                tally.add(live, sign, 0.0, floor)
            assert columns.rolling(clock + 10) == one.rolling(clock + 10)
        clock += rng.randint(0, HORIZON)
        if step % 3 == 0:
            floor = clock - HORIZON
            columns.forget_before(floor)
            one.forget_before(floor)
            waiting = columns._waiting()[0] if columns._pending else np.array([])
            assert (waiting > floor).all()  # what no window holds goes
        if step % 2 == 0:
            assert columns.rolling(clock) == one.rolling(clock)
            assert columns.today == one.today
    assert columns._pending  # entries still waiting as columns at the end…
    assert columns.rolling(clock) == one.rolling(clock)  # …read as the buckets one at a time
    assert not columns._pending
    assert set(columns.recent) <= set(one.recent)  # none made that a window no longer holds
