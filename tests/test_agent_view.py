"""The agent tab's view-models and hub view spec: pure, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.auth.access import may_view_agent as may_view
from dashboard.auth.principal import Principal
from dashboard.pages.agent.model import (
    CONTACT,
    KEYS,
    ME,
    MESSAGES,
    OUTAGES,
    QUEUES,
    AgentView,
    contact_item,
    current_contact,
    me_item,
    messages_item,
    outages_item,
    queue_entry,
)
from dashboard.pages.streams import view_factory
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.customers.history import PastContact
from feeds.metrics import formulas as metrics
from feeds.notices.audience import Agent

CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")
TZ = ZoneInfo("Europe/London")
T0 = 1_763_900_000.0  # 2025-11-23 12:13:20 London
ANN = Agent("a01", "Ann Lee", "North", frozenset({"billing", "faults"}))
QUEUE_NAMES = {q.id: q.name for q in CONFIG.queues}


def env(kind: str, id: str, ts: float = T0, **data: Any):
    return make_envelope(kind, id, data, ts=ts)


def agent_env(agent_id: str, name: str, team: str, skills: list[str], **data: Any):
    body = {"state": "available", "since": T0 - 90, **data}
    return env("agent", agent_id, name=name, team=team, skills=skills, **body)


def message(mid: str, kind: str, value: str | None = None, ts: float = T0, **data: Any):
    body = {"text": f"text of {mid}", "expires_at": T0 + 3600, **data}
    return env("message", mid, ts, audience={"kind": kind, "value": value}, **body)


def answered(cid: str, agent_id: str, customer: str = "AC1", queue: str = "billing", **data):
    body = {
        "event": "answered",
        "queue": queue,
        "channel": "voice",
        "customer_id": customer,
        "enqueued_at": T0 - 60,
        "answered_at": T0 - 5,
        "agent_id": agent_id,
        **data,
    }
    return env("contact", cid, **body)


def outage(oid: str, queues: list[str], ts: float = T0, **data: Any):
    body = {
        "service": f"service {oid}",
        "severity": "major",
        "status": "identified",
        "customer_wording": f"wording {oid}",
        "queues": queues,
        "offer": f"offer {oid}",
        "started_at": T0 - 600,
        **data,
    }
    return env("outage", oid, ts, **body)


def principal(role: str, agent_id: str | None = None) -> Principal:
    return Principal(agent_id or f"{role}1", role, "session", agent_id)


# -- access -------------------------------------------------------------------------------------


def test_an_agent_sees_only_their_own_tab_and_supervisors_any() -> None:
    assert may_view(principal("agent", "a01"), "a01")
    assert not may_view(principal("agent", "a01"), "a02")
    assert may_view(principal("supervisor"), "a02") and may_view(principal("admin"), "a02")
    assert not may_view(principal("viewer"), "a01")
    assert not may_view(None, "a01")


def test_the_view_factory_refuses_other_agents_and_unknown_ones() -> None:
    roster = lambda: {"a01": ANN}  # noqa: E731
    view = view_factory(CONFIG, roster)("agent", {"agent": "a01"}, principal("agent", "a01"))
    assert view.key == "agent:a01"
    with pytest.raises(PermissionError):
        view_factory(CONFIG, roster)("agent", {"agent": "a02"}, principal("agent", "a01"))
    with pytest.raises(LookupError, match="agent: unknown agent 'zz'"):
        view_factory(CONFIG, roster)("agent", {"agent": "zz"}, principal("supervisor"))
    with pytest.raises(LookupError, match="agent: no agent given"):
        view_factory(CONFIG, roster)("agent", {}, principal("supervisor"))
    # An agent is always known to themselves, even before the roster has caught up.
    assert view_factory(CONFIG, roster)("agent", {"agent": "a09"}, principal("agent", "a09"))


# -- me -----------------------------------------------------------------------------------------


def test_me_shows_state_since_and_my_own_stats() -> None:
    stats = {"handled": 4, "handle_time": 1200.0, "answered": 5, "answer_wait": 100.0}
    state = agent_env("a01", "Ann Lee", "North", ["billing"], state="wrap", stats=stats)
    item = me_item(ANN, state)
    assert item["state"] == "wrap" and item["state_text"] == "Wrap-up"
    assert item["since"] == T0 - 90  # the browser ticks time in state from here
    assert item["stats"] == {"handled": "4", "aht": "5:00", "asa": "0:20"}
    assert (item["name"], item["team"]) == ("Ann Lee", "North")


def test_me_without_a_state_on_the_bus() -> None:
    item = me_item(Agent("a01", "ann", "North"), None)
    assert item["state"] is None and item["since"] is None
    assert item["state_text"] == "Not signed in to the phone system"
    assert item["stats"] == {"handled": "—", "aht": "—", "asa": "—"}


# -- my queues ----------------------------------------------------------------------------------


def queue_stats(qid: str, **data: Any):
    agents = {"available": 1, "on_contact": 5, "wrap": 0}
    base = {"waiting": 4, "longest_wait_since": T0 - 70, "aht": 300.0, "asa": 25.0}
    return env("queue", qid, **{**base, "service_level": 0.75, "agents": agents, **data})


def test_a_queue_entry_is_the_wall_tile_plus_the_estimated_wait() -> None:
    billing = CONFIG.queue("billing")
    delay = env("delay", "billing", queue="billing", reason="Storm", expected_wait=480)
    entry = queue_entry(billing, queue_stats("billing"), delay, 30)
    assert entry["id"] == "billing" and entry["name"] == "Billing"
    assert entry["fields"]["waiting"]["text"] == "4"
    assert entry["fields"]["sl"]["text"] == "75%" and entry["fields"]["sl"]["target"] == "80%"
    assert entry["timers"]["longest"]["since"] == T0 - 70
    assert entry["fields"]["delay"]["text"] == "Storm · expect 8:00"
    # 4 waiting, 1 free: the newcomer waits for 4 of 6 working agents to finish a 300 s AHT
    assert entry["fields"]["ewt"] == {"text": "3:20", "status": "alert"}  # billing: alert 150 s
    assert metrics.estimated_wait(4, 1, 6, 300.0, 25.0) == pytest.approx(200.0)


def test_estimated_wait_edges() -> None:
    assert metrics.estimated_wait(0, 2, 5, 300.0, 25.0) == 0.0  # someone is free
    assert metrics.estimated_wait(2, 2, 5, 300.0, 25.0) == pytest.approx(60.0)
    assert metrics.estimated_wait(3, 0, 5, None, 25.0) == 25.0  # no AHT yet: the day's ASA
    assert metrics.estimated_wait(3, 0, 0, 300.0, 25.0) is None  # nobody on the queue
    no_data = queue_entry(CONFIG.queue("faults"), None, None, 30)
    assert no_data["fields"]["ewt"]["text"] == "—" and no_data["ts"] is None


def test_an_estimated_wait_too_big_to_mean_anything_is_shown_as_a_marked_dash() -> None:
    # The largest figures the schema lets in still multiply into a wait of years: never an
    # OverflowError while formatting, never a number nobody could act on.
    agents = {"available": 0, "on_contact": 1, "wrap": 0}
    huge = queue_stats("billing", waiting=10_000_000, aht=7 * 86400.0, agents=agents)
    entry = queue_entry(CONFIG.queue("billing"), huge, None, 30)
    assert entry["fields"]["ewt"] == {"text": "—", "status": "invalid"}
    assert entry["fields"]["waiting"]["text"] == "10000000"


# -- messages for me ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "for_ann"),
    [
        ("all", None, True),
        ("team", "North", True),
        ("team", "South", False),
        ("queue", "faults", True),
        ("queue", "chat", False),
        ("agent", "a01", True),
        ("agent", "a02", False),
    ],
)
def test_messages_reach_me_by_each_audience_kind(kind: str, value: str | None, for_ann) -> None:
    item = messages_item([message("m1", kind, value)], {}, ANN, QUEUE_NAMES, T0)
    assert [m["id"] for m in item["list"]] == (["m1"] if for_ann else [])


def test_messages_urgent_first_then_newest_with_my_acknowledgement() -> None:
    msgs = [
        message("old-info", "all", ts=T0 - 300),
        message("new-info", "all", ts=T0 - 10),
        message("urgent", "queue", "billing", ts=T0 - 600, priority="urgent", ack_required=True),
        message("gone", "all", expires_at=T0 - 1),
        message("later", "all", starts_at=T0 + 60, expires_at=T0 + 600),
    ]
    acks = {
        "urgent:a01": env("ack", "urgent:a01", message_id="urgent", agent_id="a01", at=T0 - 5),
        "new-info:a02": env("ack", "new-info:a02", message_id="new-info", agent_id="a02", at=T0),
    }
    item = messages_item(msgs, acks, ANN, QUEUE_NAMES, T0)
    ids = [m["id"] for m in item["list"]]
    assert ids == ["urgent", "later", "new-info", "old-info"]  # scheduled: shown at its start
    urgent = item["list"][0]
    assert urgent["acked_at"] == T0 - 5 and urgent["ack_required"] is True
    assert urgent["audience"] == "Queue Billing"
    assert item["list"][2]["acked_at"] is None  # someone else's acknowledgement is not mine


def test_a_message_aimed_at_me_says_so() -> None:
    item = messages_item([message("m1", "agent", "a01")], {}, ANN, QUEUE_NAMES, T0)
    assert item["list"][0]["audience"] == "You"


# -- outages ------------------------------------------------------------------------------------


def test_outages_on_my_queues_or_the_whole_centre_most_severe_then_newest() -> None:
    outages = [
        outage("mine-old", ["billing"], started_at=T0 - 900, workaround="Use the app"),
        outage("elsewhere", ["chat"]),
        outage("centre", [], started_at=T0 - 1200, severity="critical"),
        outage("mine-new", ["faults", "moving"], started_at=T0 - 60),
        outage("over", ["billing"], status="resolved"),
    ]
    item = outages_item(outages, {"billing", "faults"}, QUEUE_NAMES)
    assert [o["id"] for o in item["list"]] == ["centre", "mine-new", "mine-old"]
    assert item["status"] == "alert"  # a critical one
    old = item["list"][2]
    assert (old["wording"], old["offer"], old["workaround"]) == (
        "wording mine-old", "offer mine-old", "Use the app"
    )  # fmt: skip
    assert item["list"][1]["queues"] == ["Faults & Outages", "Moving Home"]


# -- the current contact ------------------------------------------------------------------------


def test_the_current_contact_is_the_one_i_answered() -> None:
    offered = answered("c2", None, event="offered", answered_at=None)
    contacts = [answered("c1", "a02"), offered, answered("c3", "a01")]
    assert current_contact(contacts, "a01").id == "c3"
    assert current_contact(contacts[:2], "a01") is None


def test_the_card_has_the_facts_every_flag_and_its_suggestion() -> None:
    contact = answered("c9", "a01", tags=["vip"], enqueued_at=T0 - 95, answered_at=T0 - 5)
    history = [
        PastContact(
            "c7",
            "completed",
            "faults",
            "voice",
            T0 - 7200,
            T0 - 7190,
            agent_id="a02",
            ended_at=T0 - 6900,
            handle=290.0,
        ),
        PastContact("c8", "abandoned", "billing", "voice", T0 - 3600, ended_at=T0 - 3500),
        PastContact("c9", "answered", "billing", "voice", T0 - 95, T0 - 5, agent_id="a01"),
    ]
    item = contact_item(
        contact,
        CONFIG.queue("billing"),
        history,
        [outage("o1", ["billing"], eta=T0 + 3600)],
        CONFIG.moments,
        {"a02": "Bo Chen"},
        QUEUE_NAMES,
        TZ,
    )
    card = item["card"]
    assert item["status"] == "alert"
    assert (card["customer_id"], card["queue"], card["channel"]) == ("AC1", "Billing", "voice")
    assert card["waited"] == "1:30" and card["answered_at"] == T0 - 5
    assert card["tags"] == ["vip"] and card["history_missing"] is False
    flags = {f["kind"]: f for f in card["flags"]}
    assert list(flags) == ["outage", "callback", "waited", "repeat", "vip"]
    assert flags["outage"]["wording"] == "wording o1" and flags["outage"]["offer"] == "offer o1"
    assert flags["outage"]["eta"] == T0 + 3600 and flags["outage"]["detail"] == "Major"
    assert flags["waited"]["detail"] == "Waited 1:30 (target 0:20)"
    assert flags["callback"]["detail"] == "Gave up at 11:15:00 after 1:40 on Billing"
    assert flags["repeat"]["title"] == "Repeat contact: 3rd in 7 days"
    assert flags["repeat"]["last"] == [
        {"id": "c8", "when": "11:13:20", "where": "Billing", "outcome": "gave up after 1:40"},
        {"id": "c7", "when": "10:13:20", "where": "Faults & Outages",
         "outcome": "handled by Bo Chen in 4:50"},
    ]  # fmt: skip
    assert all(f["suggestion"] for f in card["flags"])


def test_the_card_without_history_still_flags_what_it_can() -> None:
    contact = answered("c9", "a01", enqueued_at=T0 - 95, answered_at=T0 - 5)
    item = contact_item(
        contact, CONFIG.queue("billing"), None, [], CONFIG.moments, {}, QUEUE_NAMES, TZ
    )
    assert item["card"]["history_missing"] is True
    assert [f["kind"] for f in item["card"]["flags"]] == ["waited"]


# -- the hub view: what touches whom ------------------------------------------------------------


def mirror(*envs) -> dict:
    m: dict = {}
    for e in envs:
        m.setdefault(e.kind, {})[e.id] = e
    return m


def view(agent_id: str = "a01", history=None) -> AgentView:
    return AgentView(CONFIG, agent_id, dict, history)


def test_other_agents_changes_never_touch_my_view() -> None:
    v = view()
    for key in KEYS:
        v.compute(key, mirror(agent_env("a01", "Ann", "North", ["billing"])), T0)
    assert v.affected(agent_env("a02", "Bo", "North", ["billing"])) == set()
    assert v.affected(answered("c1", "a02")) == set()
    assert v.affected(env("ack", "m1:a02", message_id="m1", agent_id="a02", at=T0)) == set()
    assert v.affected(queue_stats("chat")) == set()  # not my skill
    assert v.affected(queue_stats("billing")) == {QUEUES}
    mine = agent_env("a01", "Ann", "North", ["billing"])
    assert v.affected(mine) == {ME, QUEUES, MESSAGES, OUTAGES}
    assert v.affected(env("ack", "m1:a01", message_id="m1", agent_id="a01", at=T0)) == {MESSAGES}
    assert v.affected(answered("c1", "a01")) == {CONTACT}
    assert v.affected(outage("o1", ["chat"])) == {OUTAGES, CONTACT}


def test_the_card_clears_when_my_contact_ends_even_from_a_deleted_envelope() -> None:
    v = view()
    m = mirror(agent_env("a01", "Ann", "North", ["billing"]), answered("c1", "a01"))
    assert v.compute(CONTACT, m, T0)["card"]["id"] == "c1"
    gone = make_envelope("contact", "c1", {}, ts=T0, deleted=True)
    assert v.affected(gone) == {CONTACT}  # known by its id: the deletion carries no data
    del m["contact"]["c1"]
    assert v.compute(CONTACT, m, T0)["card"] is None
    assert v.affected(gone) == set()


def test_my_own_earlier_contacts_with_the_customer_say_you() -> None:
    def history(customer: str, contact: str) -> list[PastContact]:
        return [
            PastContact("c1", "completed", "billing", "voice", T0 - 900, agent_id="a01"),
            PastContact("c2", "completed", "billing", "voice", T0 - 600, agent_id="a02"),
        ]

    m = mirror(agent_env("a02", "Bo Chen", "North", ["billing"]), answered("c3", "a01"))
    card = view(history=history).compute(CONTACT, m, T0)["card"]
    (repeat,) = [f for f in card["flags"] if f["kind"] == "repeat"]
    assert [p["outcome"] for p in repeat["last"]] == [
        "handled by Bo Chen",
        "handled by you",
    ]


def test_my_view_holds_nothing_of_another_agent() -> None:
    bo_stats = {"handled": 77, "handle_time": 7777.0, "answered": 77, "answer_wait": 777.0}
    m = mirror(
        agent_env("a01", "Ann", "North", ["billing"]),
        agent_env("a02", "Bo Secret", "North", ["billing"], stats=bo_stats),
        answered("c2", "a02", customer="AC-BO-CUSTOMER"),
        message("for-bo", "agent", "a02"),
        message("for-all", "all"),
    )
    reads: list[str] = []

    def history(customer: str, contact: str) -> list[PastContact]:
        reads.append(customer)
        return []

    v = view(history=history)
    text = repr([v.compute(k, m, T0) for k in KEYS])
    for secret in ("Bo Secret", "7777", "AC-BO-CUSTOMER", "for-bo", "c2"):
        assert secret not in text
    assert "for-all" in text
    assert reads == []  # nobody's history is read for a card that is not mine
