"""The ordering rule, in Python and in the bus's Lua, against the real Redis of the fixtures:
the live state keeps the greatest key whatever the arrival order, like the aggregator does."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.bus import ordering
from feeds.bus.bus import Bus
from feeds.bus.ordering import FutureEvent, Key
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.metrics.aggregator import Aggregator

NOW = time.time() - 600  # the stamps below are all in the receiver's past


def agent(aid: str, state: str, ts: float, skills=("billing",)):
    data = {"name": aid.upper(), "state": state, "since": ts, "skills": list(skills)}
    return make_envelope("agent", aid, data, ts=ts, source="test")


def gone(kind: str, id: str, ts: float):
    return make_envelope(kind, id, {}, ts=ts, source="test", deleted=True)


def contact(cid: str, event: str, ts: float, leg: int = 1, queue: str = "billing"):
    data = {"event": event, "leg": leg, "queue": queue, "channel": "voice",
            "customer_id": "AC1", "enqueued_at": NOW}  # fmt: skip
    if event in ("answered", "completed"):
        data["answered_at"] = NOW + 5
    return make_envelope("contact", cid, data, ts=ts, source="test")


def live(bus: Bus, kind: str) -> dict:
    return bus.snapshot([kind])[1][kind]


keys = st.builds(
    Key,
    st.integers(0, 3),
    st.sampled_from([NOW, NOW + 1, NOW + 0.001, NOW + 9]),
    st.integers(0, 1),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(new=keys, old=keys, new_digest=st.sampled_from(["a", "b"]), old_digest=st.just("a"))
def test_the_lua_comparison_is_the_python_one(bus: Bus, new, old, new_digest, old_digest) -> None:
    script = ordering.SUPERSEDES_LUA + "return supersedes(ARGV[1], ARGV[2], tonumber(ARGV[3]))"
    trust_until = NOW + 5
    lua = bus.client.eval(script, 0, ordering.encode(new, new_digest),
                          ordering.encode(old, old_digest), repr(trust_until))  # fmt: skip
    python = ordering.supersedes(new, old, NOW, 5) and (new, new_digest) != (old, old_digest)
    assert bool(lua) is python


def test_the_bus_keeps_the_latest_stamp_not_the_last_arrival(bus: Bus) -> None:
    assert bus.publish(agent("a1", "away", NOW + 60)) > 0
    assert bus.publish(agent("a1", "available", NOW)) == 0  # older: not written, not published
    assert live(bus, "agent")["a1"].data["state"] == "away"
    assert bus.current_seq() == 1  # subscribers see no gap: nothing was published


def test_a_deleted_agent_stays_deleted_against_late_events(bus: Bus) -> None:
    bus.publish(agent("a1", "available", NOW))
    bus.publish(gone("agent", "a1", NOW + 100))
    assert bus.publish(agent("a1", "on_contact", NOW + 50)) == 0
    assert "a1" not in live(bus, "agent")
    assert bus.publish(agent("a1", "available", NOW + 200)) > 0  # a later login
    assert "a1" in live(bus, "agent")


def test_a_finished_contact_is_not_reopened_and_its_legs_move_on(bus: Bus) -> None:
    bus.publish(contact("c1", "offered", NOW))
    bus.publish(contact("c1", "completed", NOW + 300))
    assert bus.publish(contact("c1", "answered", NOW + 5)) == 0  # overtaken by "completed"
    assert bus.publish(contact("c1", "offered", NOW)) == 0  # re-delivered
    assert "c1" not in live(bus, "contact")
    assert bus.publish(contact("c1", "offered", NOW + 200, leg=2, queue="faults")) > 0
    assert live(bus, "contact")["c1"].data["queue"] == "faults"  # the transfer waits
    stream = [json.loads(e[1][b"e"]) for e in bus.client.xrange(bus.contacts_key)]
    assert [(e["data"]["event"], e["seq"] > 0) for e in stream] == [
        ("offered", True), ("completed", True), ("answered", False), ("offered", False),
        ("offered", True),
    ]  # fmt: skip


def test_an_identical_redelivery_changes_nothing(bus: Bus) -> None:
    env = agent("a1", "available", NOW)
    first = bus.publish(env)
    assert bus.publish(env) == 0
    assert bus.publish(env.model_copy(update={"source": "acd-2"})) == 0  # relayed elsewhere
    edited = agent("a1", "away", NOW)  # the same instant, another value: the last one wins
    assert bus.publish(edited) == first + 1
    assert live(bus, "agent")["a1"].data["state"] == "away"


def test_future_stamps_are_refused_past_the_skew_and_clamped_within(bus: Bus) -> None:
    now = time.time()
    with pytest.raises(FutureEvent) as err:
        bus.publish(agent("a1", "available", now + 3600))
    assert err.value.field == "ts" and "ahead" in err.value.reason
    with pytest.raises(FutureEvent) as err:
        bus.publish_many([agent("a2", "available", now - 1), agent("a1", "away", now + 3600)])
    assert err.value.field == "1.ts"
    assert live(bus, "agent") == {}  # nothing of the batch was written
    assert bus.publish(agent("a1", "available", now + 3)) > 0  # within 5 s: taken as now
    assert bus.publish(agent("a1", "away", now + 1)) > 0  # so a correct clock can follow
    assert live(bus, "agent")["a1"].data["state"] == "away"


def test_a_stored_stamp_from_a_clock_that_ran_ahead_does_not_pin_the_item(bus: Bus) -> None:
    ahead = time.time() + 7200
    bus.publish(agent("a1", "away", ahead), now=ahead)  # e.g. a simulator run at --speed 10
    assert bus.publish(agent("a1", "available", time.time())) > 0
    assert live(bus, "agent")["a1"].data["state"] == "available"


def test_a_call_forgets_up_to_a_hundred_gone_keys_a_write_once_remember_has_passed(
    redis_server,
) -> None:
    bus = Bus.from_url(redis_server.url, f"t{uuid.uuid4().hex[:8]}:", remember=3600)
    went = [gone("agent", f"a{i}", NOW + 1) for i in range(1200)]
    for i in range(0, len(went), 400):
        bus.publish_many(went[i : i + 400], now=NOW + 1)
    assert bus.client.zcard(bus.gone_key("agent")) == 1200
    later = NOW + 3600 + 60
    bus.publish_many([agent(f"b{i}", "available", later) for i in range(7)], now=later)
    assert bus.client.zcard(bus.gone_key("agent")) == 500  # 7 writes: 700 forgotten
    bus.publish_many([agent(f"c{i}", "available", later) for i in range(6)], now=later)
    assert bus.client.zcard(bus.gone_key("agent")) == 0  # 600 more: the rest
    assert sorted(bus.client.hkeys(bus.order_key("agent"))) == sorted(
        [f"b{i}".encode() for i in range(7)] + [f"c{i}".encode() for i in range(6)]
    )
    bus.client.close()


def test_gone_items_are_remembered_for_a_bounded_time(redis_server) -> None:
    bus = Bus.from_url(redis_server.url, f"t{uuid.uuid4().hex[:8]}:", remember=3600)
    bus.publish(agent("a1", "available", NOW), now=NOW)
    bus.publish(gone("agent", "a1", NOW + 10), now=NOW + 10)
    assert bus.client.zcard(bus.gone_key("agent")) == 1
    assert bus.publish(agent("a1", "available", NOW + 5), now=NOW + 20) == 0
    later = NOW + 3600 + 60
    bus.publish(agent("a2", "available", later), now=later)  # any write forgets what is due
    assert bus.client.zcard(bus.gone_key("agent")) == 0
    assert bus.client.hkeys(bus.order_key("agent")) == [b"a2"]
    bus.client.close()


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["a1", "a2"]),
        st.sampled_from(["available", "on_contact", "away", None]),  # None: a deletion
        st.integers(0, 6),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, order=st.randoms(use_true_random=False))
def test_the_bus_and_the_aggregator_agree_on_every_agent(redis_server, events, order) -> None:
    """Any arrival order, duplicates and deletions included: the bus's live state and the
    aggregator's latest state are the same agents in the same states."""
    envs = [gone("agent", a, NOW + t) if s is None else agent(a, s, NOW + t) for a, s, t in events]
    envs += envs[: len(envs) // 2]  # re-deliveries
    order.shuffle(envs)
    bus = Bus.from_url(redis_server.url, f"t{uuid.uuid4().hex[:8]}:")
    agg = Aggregator(load_config("floorboard.toml"))
    for env in envs:
        bus.publish(env, now=NOW + 10)
        agg.apply(env, NOW + 10)
    on_bus = {aid: e.data["state"] for aid, e in live(bus, "agent").items()}
    counts = agg.stats("billing", NOW + 10)["agents"]
    assert sum(counts.values()) == len(on_bus)
    for state, n in counts.items():
        assert n == sum(s == state for s in on_bus.values())
    bus.client.close()
