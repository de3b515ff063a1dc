"""The floor's view-model and its limits, as pure functions: no server, no Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.pages.floor.card import gap_field, queue_cards
from dashboard.pages.floor.model import (
    AGENTS,
    BACKLOG,
    BLENDED,
    QUEUES,
    FloorView,
    ack_backlog,
    agent_cell,
    agent_key,
    floor_cells,
)
from dashboard.pages.streams import view_factory
from feeds.bus.schema import make_envelope
from feeds.config import ConfigError, load_config, parse_config
from feeds.floor import Floor
from feeds.notices.audience import Agent

NOW = 1_763_900_000.0
CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")
NAMES = {q.id: q.name for q in CONFIG.queues}


def agent(agent_id: str, state: str = "available", ago: float = 10, **data: object):
    base = {"name": f"Agent {agent_id}", "state": state, "since": NOW - ago, "team": "North",
            "skills": ["billing"]}  # fmt: skip
    return make_envelope("agent", agent_id, {**base, **data}, ts=NOW)


def contact(contact_id: str, agent_id: str | None, event: str = "answered", **data: object):
    base = {"event": event, "queue": "billing", "channel": "voice", "customer_id": "c1",
            "enqueued_at": NOW - 60, "agent_id": agent_id}  # fmt: skip
    if event == "answered":
        base["answered_at"] = NOW - 30
    return make_envelope("contact", contact_id, {**base, **data}, ts=NOW)


def message(message_id: str, audience: dict, ack_required: bool = True, **data: object):
    base = {"text": "Read this", "priority": "urgent", "audience": audience,
            "starts_at": None, "expires_at": NOW + 3600, "ack_required": ack_required,
            "author": "sam"}  # fmt: skip
    return make_envelope("message", message_id, {**base, **data}, ts=NOW)


def test_limits_wrap_and_a_break_against_its_plan() -> None:
    floor = Floor()
    assert floor.status("wrap", None, 119) == "ok"
    assert floor.status("wrap", None, 121) == "warn"  # wrap over 2 min
    assert floor.status("wrap", None, 301) == "alert"
    assert floor.status("away", "Lunch", 1700) == "ok"  # within its 30-min plan
    assert floor.status("away", "lunch", 1801) == "warn"  # overrunning the plan
    assert floor.status("away", "lunch", 1800 + 301) == "alert"
    assert floor.status("away", "training", 901) == "warn"  # no plan: the away limit
    assert floor.status("available", None, 10**6) == "ok"  # no limit on being ready


def test_floor_config_is_checked_with_the_key_and_the_reason() -> None:
    base = {"queues": [{"id": "q", "name": "Q"}], "boards": [{"id": "b", "title": "B"}]}
    with pytest.raises(ConfigError, match=r"states\.napping: not an agent state"):
        parse_config({**base, "floor": {"states": {"napping": {"warn": 1, "alert": 2}}}})
    with pytest.raises(ConfigError, match="warn must be below alert"):
        parse_config({**base, "floor": {"states": {"wrap": {"warn": 9, "alert": 2}}}})
    parsed = parse_config({**base, "floor": {"collapse_at": 50, "breaks": {"coffee": 300}}})
    assert parsed.floor.collapse_at == 50 and parsed.floor.limit("away", "coffee").warn == 300


def test_a_cell_says_who_where_since_when_and_its_limits() -> None:
    cell = agent_cell(agent("a1", "wrap", ago=150), None, Floor(), NAMES)
    assert cell["name"] == "Agent a1" and cell["team"] == "North"
    assert (cell["state"], cell["label"], cell["icon"]) == ("wrap", "Wrap-up", "✎")
    assert cell["since"] == NOW - 150 and (cell["warn"], cell["alert"]) == (120, 300)
    assert cell["contact"] is None and cell["queues"] == ["billing"]
    on_call = agent_cell(agent("a2", "on_contact"), contact("c-9", "a2"), Floor(), NAMES)
    assert on_call["contact"]["channel"] == "voice" and on_call["contact"]["icon"] == "☎\ufe0e"
    assert on_call["contact"]["queue_name"] == "Billing" and not on_call["contact"]["ringing"]
    teamless = agent_cell(agent("a3", team=None), None, Floor(), NAMES)
    assert teamless["team"] == "No team" and teamless["warn"] is None


def test_every_agent_is_a_cell_with_their_current_contact() -> None:
    agents = [agent("a2", team="South"), agent("a1", "on_contact")]
    contacts = [contact("c-1", "a1"), contact("c-2", None, "offered")]
    cells = floor_cells(agents, contacts, Floor(collapse_at=3), NAMES)
    assert [c["id"] for c in cells["list"]] == ["a1", "a2"]  # by team, then name
    assert cells["list"][0]["contact"]["id"] == "c-1" and cells["list"][1]["contact"] is None
    assert cells["collapse_at"] == 3


def test_backlog_counts_active_messages_owed_by_each_agent() -> None:
    agents = {a: Agent(a, a, "North" if a != "a3" else "South", frozenset({"billing"}))
              for a in ("a1", "a2", "a3")}  # fmt: skip
    messages = [
        message("m1", {"kind": "team", "value": "North"}),
        message("m2", {"kind": "all", "value": None}),
        message("m3", {"kind": "all", "value": None}, ack_required=False),
        message("m4", {"kind": "all", "value": None}, expires_at=NOW - 1),  # expired
    ]
    acks = [make_envelope("ack", "m1:a1", {"message_id": "m1", "agent_id": "a1", "at": NOW},
                          ts=NOW)]  # fmt: skip
    assert ack_backlog(messages, acks, lambda: agents, NOW) == {"a1": 1, "a2": 2, "a3": 1}


def test_the_view_recomputes_one_cell_per_agent_change() -> None:
    view = FloorView(CONFIG, dict)
    assert view.affected(agent("a1")) == {agent_key("a1"), BACKLOG, QUEUES}
    assert view.affected(queue_stats("billing")) == {QUEUES}
    assert view.affected(contact("c-1", "a1")) == {agent_key("a1"), BLENDED}
    assert view.affected(contact("c-2", None, "offered")) == {BLENDED}
    mirror = {"agent": {"a1": agent("a1", "on_contact")}, "contact": {"c-1": contact("c-1", "a1")}}
    one = view.compute(agent_key("a1"), mirror, NOW)
    assert one["cell"]["contact"]["id"] == "c-1"
    assert view.compute(agent_key("gone"), mirror, NOW) == {**one, "cell": None, "id": "gone"}
    assert [c["id"] for c in view.compute(AGENTS, mirror, NOW)["list"]] == ["a1"]


def test_only_supervisors_open_the_floor_view() -> None:
    from dashboard.auth.access import VIEW_ROLES

    assert VIEW_ROLES["floor"] == "supervisor"
    assert view_factory(CONFIG)("floor", {}, None).key == "floor"


def queue_stats(queue_id: str, ts: float = NOW, **data: object):
    base = {"waiting": 3, "longest_wait_since": NOW - 70, "offered": 10, "answered": 9,
            "answered_in_threshold": 6, "service_level": 0.66, "service_level_30m": 0.4,
            "sl_formula": "abandons_ignored", "window": "today",
            "staffing": {"model": "erlang_c", "window": "30m", "gap": 2}}  # fmt: skip
    return make_envelope("queue", queue_id, {**base, **data}, ts=ts)


def test_a_queue_card_says_what_a_supervisor_acts_on() -> None:
    mirror = {
        "queue": {"billing": queue_stats("billing")},
        "agent": {"a1": agent("a1"), "a2": agent("a2", "on_contact"), "a3": agent("a3", "offline"),
                  "a4": agent("a4", skills=["chat"])},
        "delay": {"billing": make_envelope("delay", "billing", {"queue": "billing",
                  "reason": "Storm damage", "expected_wait": 480}, ts=NOW)},
        "outage": {"o1": make_envelope("outage", "o1", {"service": "Payments", "severity":
                   "major", "status": "identified", "queues": ["billing"], "started_at": NOW},
                   ts=NOW)},
    }  # fmt: skip
    cards = queue_cards(CONFIG, mirror)
    billing = next(c for c in cards["list"] if c["id"] == "billing")
    assert [c["id"] for c in cards["list"]] == [q.id for q in CONFIG.queues]  # config order
    assert billing["agents"] == {"logged_in": 2, "available": 1}  # a3 offline, a4 not skilled
    assert billing["fields"]["waiting"]["text"] == "3"
    assert billing["timers"]["longest"]["since"] == NOW - 70
    assert billing["fields"]["sl"]["text"] == "66%" and billing["fields"]["sl_30m"]["text"] == "40%"
    assert billing["fields"]["sl_30m"]["status"] == "alert"  # under 65 %: the queue's alert
    assert billing["fields"]["gap"] == {"text": "+2", "status": "alert"}
    assert billing["delay"] == "Storm damage" and billing["outages"][0]["service"] == "Payments"
    assert billing["status"] == "alert" and cards["status"] == "alert"
    faults = next(c for c in cards["list"] if c["id"] == "faults")
    assert faults["fields"]["gap"]["text"] == "—" and faults["outages"] == []  # no data yet
    voice = next(c for c in cards["channels"] if c["id"] == "voice")
    assert voice["waiting"] == 3 and voice["sl"] == "67%"  # 6 of 9 answered, re-derived
    assert voice["gap"] == "+2" and voice["longest_since"] == NOW - 70


def test_gap_reads_short_or_spare() -> None:
    assert gap_field(None)["text"] == "—"
    assert gap_field({"staffing": {"gap": -1}}) == {"text": "-1", "status": "ok"}
    assert gap_field({"staffing": {"gap": 1}}) == {"text": "+1", "status": "warn"}
