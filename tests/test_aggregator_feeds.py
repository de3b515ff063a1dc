"""The aggregator on messy feeds: each defect of issue 10 (every test here failed on the old
aggregator), transfers, clock skew, deletions and the bounded memory that makes them safe."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from test_aggregator import agent, contact

from feeds.bus.schema import make_envelope
from feeds.config import load_config, parse_config
from feeds.metrics.aggregator import Aggregator

LONDON = ZoneInfo("Europe/London")
CONFIG = load_config("floorboard.toml")


def at(day: int, hour: int, minute: int, second: float = 0, month: int = 7) -> float:
    return datetime(2025, month, day, hour, minute, tzinfo=LONDON).timestamp() + second


@pytest.fixture
def agg() -> Aggregator:
    return Aggregator(CONFIG)


def test_a_redelivered_offer_after_midnight_is_no_phantom_waiting_contact(agg):
    offered = contact("c1", "offered", at(1, 23, 50), at(1, 23, 50))
    agg.apply(offered, at(1, 23, 50))
    answered = contact("c1", "answered", at(1, 23, 55), at(1, 23, 50), answered_at=at(1, 23, 55))
    agg.apply(answered, at(1, 23, 55))
    assert agg.stats("billing", at(2, 0, 5))["offered"] == 0  # a new day
    agg.apply(offered, at(2, 0, 6))  # the ACD re-delivers the offer
    s = agg.stats("billing", at(2, 0, 7))
    assert (s["waiting"], s["longest_wait_since"], s["offered"]) == (0, None, 0)


def test_a_completed_that_overtakes_its_answered_leaves_nobody_waiting(agg):
    t0 = at(1, 10, 0)
    agg.apply(contact("c1", "offered", t0, t0), t0)
    done = contact(
        "c1", "completed", t0 + 300, t0, answered_at=t0 + 12, ended_at=t0 + 250,
        talk=200, hold=10, wrap=40,
    )  # fmt: skip
    agg.apply(done, t0 + 300)
    s = agg.stats("billing", t0 + 301)
    assert (s["waiting"], s["answered"], s["handled"], s["answer_wait"]) == (0, 1, 1, 12)
    late = contact("c1", "answered", t0 + 12, t0, answered_at=t0 + 12)
    agg.apply(late, t0 + 302)
    s = agg.stats("billing", t0 + 303)
    assert (s["waiting"], s["offered"], s["answered"], s["handled"]) == (0, 1, 1, 1)
    assert s["aht"] == pytest.approx(250)


def test_a_late_agent_event_does_not_bring_a_deleted_agent_back(agg):
    t0 = at(1, 10, 0)
    agg.apply(agent("a1", "available", t0, ["billing"]), t0)
    agg.apply(make_envelope("agent", "a1", {}, ts=t0 + 100, deleted=True), t0 + 100)
    agg.apply(agent("a1", "on_contact", t0 + 50, ["billing"]), t0 + 101)  # delayed in transit
    assert agg.stats("billing", t0 + 102)["agents"]["on_contact"] == 0
    assert sum(agg.stats("billing", t0 + 102)["agents"].values()) == 0
    agg.apply(agent("a1", "available", t0 + 200, ["billing"]), t0 + 200)  # back tomorrow, say
    assert agg.stats("billing", t0 + 201)["agents"]["available"] == 1


def test_the_latest_stamp_wins_not_the_last_arrival(agg):
    t0 = at(1, 10, 0)
    agg.apply(agent("a1", "away", t0 + 60, ["billing"]), t0 + 60)
    agg.apply(agent("a1", "available", t0, ["billing"]), t0 + 61)
    assert agg.stats("billing", t0 + 62)["agents"]["away"] == 1


def test_an_event_stamped_a_little_after_midnight_does_not_roll_the_day(agg):
    t0 = at(1, 23, 50)
    agg.apply(contact("c1", "offered", t0, t0), t0)
    skewed = contact("c2", "offered", at(2, 0, 0, 3), at(2, 0, 0, 3))  # producer 5 s ahead
    agg.apply(skewed, at(1, 23, 59, 58))
    s = agg.stats("billing", at(1, 23, 59, 59))
    assert (s["offered"], s["waiting"]) == (2, 2)  # still today: clamped to the receiver
    far = contact("c3", "offered", at(2, 0, 30), at(2, 0, 30))  # 30 minutes ahead: refused
    assert agg.apply(far, at(1, 23, 59, 59)) == set()
    assert agg.refused == 1
    assert agg.stats("billing", at(1, 23, 59, 59))["waiting"] == 2


def test_a_transfer_counts_each_leg_on_its_own_queue(agg):
    t0 = at(1, 10, 0)
    legs = [
        contact("c1", "offered", t0, t0),
        contact("c1", "answered", t0 + 10, t0, answered_at=t0 + 10),
        contact("c1", "offered", t0 + 100, t0 + 100, queue="faults", leg=2),
        contact("c1", "completed", t0 + 130, t0, answered_at=t0 + 10, talk=90, wrap=30),
        contact("c1", "answered", t0 + 140, t0 + 100, queue="faults", leg=2,
                answered_at=t0 + 140),
        contact("c1", "completed", t0 + 400, t0 + 100, queue="faults", leg=2,
                answered_at=t0 + 140, talk=200, hold=20, wrap=40),
    ]  # fmt: skip
    for env in legs:
        agg.apply(env, env.ts)
    billing, faults = agg.stats("billing", t0 + 500), agg.stats("faults", t0 + 500)
    assert (billing["offered"], billing["answered"], billing["transferred"]) == (1, 1, 1)
    assert (faults["offered"], faults["answered"], faults["transferred"]) == (1, 1, 0)
    assert (billing["handle_time"], faults["handle_time"]) == (120, 260)  # split by leg
    assert faults["answer_wait"] == 40  # from entering the second queue
    assert billing["waiting"] == faults["waiting"] == 0


def test_a_second_leg_seen_first_still_ends_the_first_legs_wait(agg):
    t0 = at(1, 10, 0)
    agg.apply(contact("c1", "offered", t0, t0), t0)
    agg.apply(contact("c1", "offered", t0 + 90, t0 + 90, queue="faults", leg=2), t0 + 90)
    b, f = agg.stats("billing", t0 + 91), agg.stats("faults", t0 + 91)
    assert (b["waiting"], b["transferred"], f["waiting"]) == (0, 1, 1)


def test_a_deleted_contact_stops_waiting_and_keeps_its_counts(agg):
    t0 = at(1, 10, 0)
    agg.apply(contact("c1", "offered", t0, t0), t0)
    agg.apply(make_envelope("contact", "c1", {}, ts=t0 + 5, deleted=True), t0 + 5)
    s = agg.stats("billing", t0 + 6)
    assert (s["waiting"], s["offered"]) == (0, 1)
    agg.apply(contact("c1", "offered", t0, t0), t0 + 7)  # re-delivered after the deletion
    assert agg.stats("billing", t0 + 8)["waiting"] == 0


def test_finished_contacts_are_remembered_for_a_bounded_time(agg):
    t0 = at(1, 10, 0)
    offered = contact("c1", "offered", t0, t0)
    agg.apply(offered, t0)
    agg.apply(contact("c1", "abandoned", t0 + 40, t0, ended_at=t0 + 40), t0 + 40)
    agg.apply(contact("c2", "offered", t0 + 50, t0 + 50), t0 + 50)  # still waiting
    assert agg.remembered == 2
    agg.apply(offered, t0 + 47 * 3600)  # re-delivered within remember_hours (48): recognised
    assert agg.stats("billing", t0 + 47 * 3600)["waiting"] == 1
    later = t0 + 49 * 3600
    agg.stats("billing", later)
    assert agg.remembered == 1  # the finished one is forgotten, the waiting one is not


def test_a_day_is_23_or_25_hours_on_the_daylight_saving_nights(agg):
    for day, month, length in ((30, 3, 23), (26, 10, 25)):
        start = at(day, 0, 0, month=month)
        t = start + (length - 0.5) * 3600  # 23:30 local, whatever the night did
        agg.apply(contact(f"c{day}", "offered", start + 60, start + 60), start + 60)
        agg.apply(contact(f"d{day}", "offered", t, t), t)
        assert agg.stats("billing", t + 1)["offered"] == 2
        assert agg.stats("billing", start + length * 3600 + 1)["offered"] == 0


def test_rolling_windows_hold_the_last_whole_seconds(agg):
    t0 = at(1, 10, 0)
    for minutes in (5, 20, 45, 70):
        t = t0 - minutes * 60
        agg.apply(contact(f"c{minutes}", "offered", t, t), t0)  # late: counted in its own second
    counts = agg.counts("billing", t0)
    got = {w: counts[w].offered for w in ("15m", "30m", "60m", "today")}
    assert got == {"15m": 1, "30m": 2, "60m": 3, "today": 4}
    assert agg.counts("billing", t0 + 599.9)["15m"].offered == 1  # 899 whole seconds old
    assert agg.counts("billing", t0 + 600)["15m"].offered == 0


def test_the_tile_says_its_window_and_definitions_and_counts_over_it():
    data = CONFIG.model_dump()
    data["queues"][0]["metrics"] = {"window": "15m", "service_level": "abandons_against"}
    agg = Aggregator(parse_config(data))
    t0 = at(1, 10, 0)
    agg.apply(contact("old", "abandoned", t0 - 3600, t0 - 3700, ended_at=t0 - 3600), t0)
    agg.apply(contact("new", "answered", t0 - 60, t0 - 70, answered_at=t0 - 60), t0)
    s = agg.stats("billing", t0)
    assert (s["window"], s["sl_formula"], s["abandon_formula"]) == (
        "15m", "abandons_against", "short_abandons_excluded"
    )  # fmt: skip
    assert (s["offered"], s["abandoned"], s["service_level"]) == (1, 0, 1.0)
