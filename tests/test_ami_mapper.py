"""The AMI mapper's rules, event by event, without a socket; and fuzzed events never break it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.adapters.ami.mapper import AmiMapper
from feeds.adapters.ami.protocol import Message
from feeds.adapters.ami.resync import Snapshot
from feeds.config import Config, parse_config

T = 1741687200.0
ROOT = Path(__file__).resolve().parent.parent


def make_config(**ami: object) -> Config:
    data = tomllib.loads((ROOT / "floorboard.toml").read_text())
    data["adapters"] = {
        "ami": {
            "queue_map": {"support": "billing", "sales": "moving"},
            "member_map": {"PJSIP/1001": "a01"},
            **ami,
        }
    }
    return parse_config(data)


@pytest.fixture
def mapper() -> AmiMapper:
    return AmiMapper(make_config(wrap_seconds=15))


def msg(event: str, **fields: object) -> Message:
    return Message({"event": event, **{k.lower(): str(v) for k, v in fields.items()}})


def member(
    queue: str,
    status: int = 1,
    paused: int = 0,
    reason: str = "",
    iface="PJSIP/1001",
    name="Alice Smith",
    event="QueueMemberStatus",
) -> Message:
    return msg(
        event,
        Queue=queue,
        MemberName=name,
        Interface=iface,
        Status=status,
        Paused=paused,
        PausedReason=reason,
        Wrapuptime=0,
    )


def contacts(envs) -> list[tuple[str, str]]:
    return [(e.id, e.data["event"]) for e in envs if e.kind == "contact"]


def states(envs) -> list[tuple[str, str, str | None, list[str]]]:
    return [
        (e.id, e.data["state"], e.data["reason"], e.data["skills"])
        for e in envs
        if e.kind == "agent"
    ]


def test_a_leave_then_connect_is_answered_and_a_leave_alone_exits_after_the_grace(mapper):
    assert contacts(
        mapper.handle(
            msg("QueueCallerJoin", Queue="support", Uniqueid="1.1", CallerIDNum="+44 7700 900001"),
            T,
        )
    ) == [("1.1", "offered")]
    join = mapper.handle(msg("QueueCallerJoin", Queue="support", Uniqueid="1.2"), T)
    assert join[0].data["customer_id"] == "anon-1.2"  # no number: a customer seen once
    assert mapper.handle(msg("QueueCallerLeave", Queue="support", Uniqueid="1.1"), T + 8) == []
    answered = mapper.handle(
        msg(
            "AgentConnect",
            Queue="support",
            Uniqueid="1.1",
            HoldTime=8,
            Interface="PJSIP/1001",
            MemberName="Alice Smith",
        ),
        T + 8,
    )
    assert contacts(answered) == [("1.1", "answered")]
    assert answered[0].data["agent_id"] == "a01" and answered[0].event_id == "asterisk:1.1:answered"
    mapper.handle(msg("QueueCallerLeave", Queue="support", Uniqueid="1.2"), T + 30)
    assert mapper.expire(T + 31) == []  # within the grace: an AgentConnect may still come
    (exited,) = mapper.expire(T + 32)
    assert (exited.id, exited.data["event"], exited.data["tags"]) == (
        "1.2",
        "abandoned",
        ["exited"],
    )
    assert exited.data["ended_at"] == T + 30
    assert mapper.expire(T + 99) == []


def test_the_caller_s_number_is_their_customer_id(mapper) -> None:
    (offer,) = mapper.handle(
        msg("QueueCallerJoin", Queue="support", Uniqueid="2.1", CallerIDNum="+44 7700 900001"), T
    )
    assert offer.data["customer_id"] == "447700900001"


def test_an_abandon_is_one_outcome_even_if_told_twice_and_ends_the_wait(mapper) -> None:
    mapper.handle(msg("QueueCallerJoin", Queue="support", Uniqueid="3.1"), T)
    abandon = msg("QueueCallerAbandon", Queue="support", Uniqueid="3.1", HoldTime=12)
    assert contacts(mapper.handle(abandon, T + 12)) == [("3.1", "abandoned")]
    assert mapper.handle(abandon, T + 12) == []
    assert mapper.calls.abandons["support"] == 1


def test_a_caller_first_seen_mid_story_starts_from_their_hold_time(mapper) -> None:
    done = mapper.handle(
        msg(
            "AgentComplete",
            Queue="support",
            Uniqueid="4.1",
            HoldTime=30,
            TalkTime=100,
            Interface="PJSIP/1001",
        ),
        T,
    )
    assert contacts(done) == [("4.1", "answered"), ("4.1", "completed")]
    answered, completed = (e for e in done if e.kind == "contact")
    assert answered.data["enqueued_at"] == T - 130 and answered.data["answered_at"] == T - 100
    assert (completed.data["talk"], completed.data["wrap"]) == (100, 15)  # the config's wrap


def test_unmapped_queues_and_their_members_are_not_the_board_s(mapper) -> None:
    assert mapper.handle(msg("QueueCallerJoin", Queue="internal", Uniqueid="5.1"), T) == []
    assert mapper.handle(member("internal", iface="PJSIP/1099", name="Dave"), T) == []
    # A queue named like a board queue needs no mapping.
    assert contacts(mapper.handle(msg("QueueCallerJoin", Queue="chat", Uniqueid="5.2"), T)) == [
        ("5.2", "offered")
    ]


def test_member_state_follows_device_pause_ringing_and_wrap(mapper) -> None:
    assert states(mapper.handle(member("support"), T)) == [("a01", "available", None, ["billing"])]
    assert states(mapper.handle(member("sales"), T)) == [
        ("a01", "available", None, ["billing", "moving"])
    ]
    # Paused in one queue: serves the other; paused in both: away, with the reason.
    assert states(
        mapper.handle(member("sales", paused=1, reason="Training", event="QueueMemberPause"), T + 1)
    ) == [("a01", "available", None, ["billing"])]
    assert states(
        mapper.handle(member("support", paused=1, reason="Lunch", event="QueueMemberPause"), T + 2)
    ) == [("a01", "away", "Lunch, Training", ["billing", "moving"])]
    for q in ("support", "sales"):
        mapper.handle(member(q, event="QueueMemberPause"), T + 3)
    ring = mapper.handle(
        msg("AgentCalled", Queue="support", Uniqueid="6.1", Interface="PJSIP/1001"), T + 4
    )
    assert states(ring) == [("a01", "on_contact", "ringing", ["billing", "moving"])]
    assert (
        states(mapper.handle(msg("AgentRingNoAnswer", Interface="PJSIP/1001"), T + 20))[0][1]
        == "available"
    )
    mapper.handle(
        msg("AgentConnect", Queue="support", Uniqueid="6.1", HoldTime=5, Interface="PJSIP/1001"),
        T + 25,
    )
    done = mapper.handle(
        msg(
            "AgentComplete",
            Queue="support",
            Uniqueid="6.1",
            HoldTime=5,
            TalkTime=60,
            Interface="PJSIP/1001",
        ),
        T + 85,
    )
    (agent,) = [e for e in done if e.kind == "agent"]
    assert (agent.data["state"], agent.data["since"]) == ("wrap", T + 85)
    assert agent.data["stats"] == {
        "handled": 1,
        "handle_time": 75.0,
        "answered": 1,
        "answer_wait": 5.0,
    }
    assert mapper.expire(T + 99) == []
    assert states(mapper.expire(T + 100)) == [("a01", "available", None, ["billing", "moving"])]
    assert states(mapper.handle(member("support", status=5), T + 200)) == [
        ("a01", "offline", None, ["billing", "moving"])
    ]
    removed = mapper.handle(member("support", status=5, event="QueueMemberRemoved"), T + 300)
    assert states(removed) == [("a01", "offline", None, ["moving"])]
    mapper.handle(member("support", event="QueueMemberAdded"), T + 400)
    assert states(mapper.handle(member("sales", event="QueueMemberRemoved"), T + 401)) == [
        ("a01", "available", None, ["billing"])
    ]


def test_unmapped_members_get_an_id_from_their_interface_or_are_ignored() -> None:
    derived = AmiMapper(make_config())
    (env,) = derived.handle(member("support", iface="Local/1003@agents", name="Chloe"), T)
    assert (env.id, env.data["name"]) == ("Local-1003@agents", "Chloe")
    ignoring = AmiMapper(make_config(unmapped_members="ignore"))
    assert ignoring.handle(member("support", iface="Local/1003@agents"), T) == []


def test_agent_stats_start_again_at_the_centre_s_midnight(mapper) -> None:
    call = {"Queue": "support", "Interface": "PJSIP/1001", "HoldTime": 3, "TalkTime": 10}
    mapper.handle(member("support"), T)
    mapper.handle(msg("AgentConnect", Uniqueid="7.1", **call), T)
    mapper.handle(msg("AgentComplete", Uniqueid="7.1", **call), T + 10)
    midnight = T + 14 * 3600  # 10:00 + 14 h = 00:00 in London
    mapper.handle(msg("AgentConnect", Uniqueid="7.2", **call), midnight + 1)
    envs = mapper.handle(msg("AgentComplete", Uniqueid="7.2", **call), midnight + 11)
    (agent,) = [e for e in envs if e.kind == "agent"]
    assert agent.data["stats"] == {
        "handled": 1,
        "handle_time": 25.0,
        "answered": 1,
        "answer_wait": 3.0,
    }


@pytest.mark.parametrize(
    "event",
    [
        msg("QueueCallerAbandon", Queue="support", Uniqueid="8.1", HoldTime="soon"),
        msg("AgentConnect", Queue="support", Uniqueid="8.1", HoldTime="-5"),
        msg("AgentComplete", Queue="support", Uniqueid="8.1", TalkTime="nan"),
        msg("QueueCallerJoin", Queue="support", Uniqueid=""),
    ],
)
def test_an_event_with_fields_it_cannot_read_is_skipped(mapper, event) -> None:
    assert mapper.handle(event, T) == []
    assert mapper.calls.live == {}


def test_a_resync_after_an_asterisk_restart_settles_the_gone_callers_as_exited(mapper) -> None:
    params = {"support": {"queue": "support", "abandoned": "9", "completed": "50"}}
    mapper.resync(Snapshot(params=params), T)
    mapper.handle(msg("QueueCallerJoin", Queue="support", Uniqueid="9.1"), T + 1)
    restarted = {"support": {"queue": "support", "abandoned": "0", "completed": "0"}}
    (env,) = mapper.resync(Snapshot(params=restarted), T + 60)
    assert (env.id, env.data["event"], env.data["tags"]) == ("9.1", "abandoned", ["resync"])


def test_without_the_status_list_every_known_caller_not_waiting_counts_as_gone(mapper) -> None:
    params = {"support": {"queue": "support", "abandoned": "1", "completed": "5"}}
    mapper.resync(Snapshot(params=params), T)
    mapper.handle(msg("QueueCallerJoin", Queue="support", Uniqueid="10.1"), T + 1)
    later = {"support": {"queue": "support", "abandoned": "2", "completed": "5"}}
    (env,) = mapper.resync(Snapshot(params=later, channels=None), T + 60)
    assert (env.id, env.data["event"], env.data["ended_at"]) == ("10.1", "abandoned", T + 60)


NAMES = st.sampled_from(
    [
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentConnect",
        "AgentComplete",
        "AgentRingNoAnswer",
        "QueueMemberStatus",
        "QueueMemberPause",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "AgentDump",
        "Bogus",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        ["support", "sales", "1.1", "1.2", "PJSIP/1001", "0", "1", "5", "-1", "nan", "1e400", ""]
    ),
    st.text(max_size=12),
)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "queue",
            "uniqueid",
            "interface",
            "membername",
            "holdtime",
            "talktime",
            "status",
            "paused",
            "pausedreason",
            "wrapuptime",
            "calleridnum",
        ]
    ),
    VALUES,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NAMES, FIELDS, st.floats(0, 86400)), max_size=30))
def test_fuzz_any_sequence_of_events_never_breaks_the_mapper(events) -> None:
    mapper = AmiMapper(make_config(wrap_seconds=5))
    for name, fields, dt in sorted(events, key=lambda e: e[2]):
        for env in mapper.handle(Message({"event": name, **fields}), T + dt):
            assert env.source == "asterisk"  # every envelope it makes is a valid one
        mapper.expire(T + dt)
    waiting = sum(c.state != "answered" for c in mapper.calls.live.values())
    assert waiting >= 0
