"""The console's view-models: live lists, acknowledgement counts, audit diffs, field errors.

Pure functions tested without a server; one test checks them against the backend's own
``Messages.list`` on a real Redis, since the console must never disagree with the API.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from dashboard.pages.console.common import error_text
from dashboard.pages.console.model import (
    ALERT_RULES,
    ALERTS,
    DELAYS,
    MESSAGES,
    OUTAGES,
    PENDING_SHOWN,
    RULES,
    SOURCES,
    ConsoleView,
    ack_summary,
    audit_changes,
    audit_entry,
    delay_list,
    message_list,
    outage_list,
    source_list,
)
from dashboard.pages.streams import view_factory
from feeds.accounts.store import Accounts
from feeds.adapters.producer import heartbeat
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.errors import SchemaError
from feeds.notices.audience import Agent, Roster, agents_known, audience_text
from feeds.notices.messages import Messages
from feeds.times import parse_when

NOW = 1_763_900_000.0  # 2025-11-23 12:13:20 in London (GMT)
CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")
TZ = CONFIG.tz
NAMES = {q.id: q.name for q in CONFIG.queues}
AGENTS = {
    "a1": Agent("a1", "Ann Lee", "North", frozenset({"billing", "faults"})),
    "a2": Agent("a2", "Bob Roy", "North", frozenset({"faults"})),
    "a3": Agent("a3", "Cat Dee", "South", frozenset({"chat"})),
}


def agent_env(agent_id: str, name: str, team: str | None, skills: list[str]):
    data = {"name": name, "state": "available", "since": NOW, "team": team, "skills": skills}
    return make_envelope("agent", agent_id, data, ts=NOW)


def message(
    mid: str,
    priority: str = "info",
    audience: dict | None = None,
    *,
    posted: float = NOW,
    starts: float | None = None,
    expires: float = NOW + 600,
    ack: bool = False,
):
    data = {"text": f"text of {mid}", "priority": priority, "expires_at": expires,
            "audience": audience or {"kind": "all"}, "starts_at": starts, "ack_required": ack,
            "author": "sam"}  # fmt: skip
    return make_envelope("message", mid, data, ts=posted)


def ack(mid: str, agent_id: str):
    data = {"message_id": mid, "agent_id": agent_id, "at": NOW}
    return make_envelope("ack", f"{mid}:{agent_id}", data, ts=NOW)


def outage(oid: str, severity: str, started: float, queues: list[str], status="investigating"):
    data = {"service": oid, "severity": severity, "status": status, "queues": queues,
            "started_at": started, "customer_wording": "We know."}  # fmt: skip
    return make_envelope("outage", oid, data, ts=started)


def delay(queue: str, reason: str):
    data = {"queue": queue, "reason": reason, "expected_wait": 480, "author": "sam"}
    return make_envelope("delay", queue, data, ts=NOW)


# -- agents and audiences ------------------------------------------------------------------------


def test_live_agent_states_are_laid_over_the_roster() -> None:
    roster = {"a1": Agent("a1", "Ann Lee", "North"), "u9": Agent("u9", "Uma Vos", "West")}
    known = agents_known([agent_env("a1", "Ann Lee", "South", ["chat"])], roster)
    assert known["a1"] == Agent("a1", "Ann Lee", "South", frozenset({"chat"}))  # the bus wins
    assert known["u9"] == roster["u9"]  # a user with no state on the bus yet still counts


@pytest.mark.parametrize(
    ("audience", "label"),
    [({"kind": "all", "value": None}, "Everyone"), ({"kind": "team", "value": "North"},
     "Team North"), ({"kind": "queue", "value": "faults"}, "Queue Faults & Outages"),
     ({"kind": "agent", "value": "a2"}, "Agent Bob Roy"), ({"kind": "agent", "value": "zz"},
     "Agent zz")],
)  # fmt: skip
def test_audiences_read_as_a_person_says_them(audience: dict, label: str) -> None:
    assert audience_text(audience, NAMES, {a.id: a.name for a in AGENTS.values()}) == label


def test_ack_summary_counts_targeted_agents_only_and_names_who_has_not() -> None:
    data = {"audience": {"kind": "queue", "value": "faults"}}
    # a3 acknowledged (say, before the audience was edited) but is not targeted: not counted.
    summary = ack_summary(data, ["a2", "a3"], AGENTS)
    assert summary == {"targeted": 2, "acknowledged": 1, "pending": ["Ann Lee"], "more": 0}


def test_ack_summary_lists_a_bounded_number_of_names() -> None:
    many = {f"x{i:03}": Agent(f"x{i:03}", f"Agent {i:03}") for i in range(PENDING_SHOWN + 12)}
    summary = ack_summary({"audience": {"kind": "all", "value": None}}, ["x000"], many)
    assert summary["targeted"] == PENDING_SHOWN + 12 and summary["acknowledged"] == 1
    assert len(summary["pending"]) == PENDING_SHOWN and summary["more"] == 11
    assert summary["pending"][0] == "Agent 001"


# -- the three lists -----------------------------------------------------------------------------


def test_messages_are_listed_active_scheduled_expired_then_urgent_then_newest() -> None:
    msgs = [
        message("info-new", "info", posted=NOW - 10),
        message("urgent-old", "urgent", posted=NOW - 100),
        message("info-old", "info", posted=NOW - 50),
        message("later", "urgent", starts=NOW + 60, expires=NOW + 120),
        message("gone", "urgent", posted=NOW - 900, expires=NOW - 1),
    ]
    item = message_list(msgs, [], AGENTS, NAMES, NOW)
    assert [(e["id"], e["status"]) for e in item["list"]] == [
        ("urgent-old", "active"), ("info-new", "active"), ("info-old", "active"),
        ("later", "scheduled"), ("gone", "expired"),
    ]  # fmt: skip
    first = item["list"][0]
    assert first["audience"] == "Everyone" and first["acks"] is None  # no ack asked for
    assert (first["starts_at"], first["expires_at"]) == (None, NOW + 600)  # the browser's clock


def test_messages_carry_live_ack_counts_from_the_ack_items() -> None:
    faults = {"kind": "queue", "value": "faults"}
    msgs = [message("m1", audience=faults, ack=True), message("m2", ack=True)]
    item = message_list(msgs, [ack("m1", "a1"), ack("m2", "a3")], AGENTS, NAMES, NOW)
    acks = {e["id"]: e["acks"] for e in item["list"]}
    assert acks["m1"] == {"targeted": 2, "acknowledged": 1, "pending": ["Bob Roy"], "more": 0}
    assert acks["m2"]["acknowledged"] == 1 and acks["m2"]["pending"] == ["Ann Lee", "Bob Roy"]


def test_outages_most_severe_then_newest_with_queue_names_and_no_resolved_ones() -> None:
    outages = [
        outage("minor", "minor", NOW, []),
        outage("major-old", "major", NOW - 50, ["faults"]),
        outage("critical", "critical", NOW - 100, ["billing", "faults"]),
        outage("major-new", "major", NOW - 10, []),
        outage("done", "critical", NOW, [], status="resolved"),
    ]
    item = outage_list(outages, NAMES)
    assert [o["id"] for o in item["list"]] == ["critical", "major-new", "major-old", "minor"]
    assert item["list"][0]["queues"] == ["Billing", "Faults & Outages"]
    assert item["list"][0]["customer_wording"] == "We know."


def test_delays_in_the_config_queue_order_with_names() -> None:
    item = delay_list({"chat": delay("chat", "Slow system"), "billing": delay("billing", "Bills")},
                      CONFIG)  # fmt: skip
    assert [(d["queue"], d["name"], d["reason"]) for d in item["list"]] == [
        ("billing", "Billing", "Bills"), ("chat", "Web Chat", "Slow system")
    ]  # fmt: skip
    assert item["list"][0]["expected_wait"] == 480


def test_console_view_routes_each_change_to_the_list_it_touches() -> None:
    view = view_factory(CONFIG, lambda: AGENTS)("console", {}, None)
    assert isinstance(view, ConsoleView) and view.key == "console"
    assert view.keys() == [MESSAGES, OUTAGES, DELAYS, RULES, SOURCES, ALERTS, ALERT_RULES]
    assert view.affected(message("m1")) == {MESSAGES}
    assert view.affected(ack("m1", "a1")) == {MESSAGES}
    assert view.affected(agent_env("a9", "Ed Ng", "North", ["faults"])) == {MESSAGES, ALERTS}
    assert view.affected(outage("o", "minor", NOW, [])) == {OUTAGES}
    assert view.affected(delay("chat", "x")) == {DELAYS}
    assert view.affected(make_envelope("queue", "chat", {}, ts=NOW)) == {ALERTS}
    rule = make_envelope("rule", "r1", {"title": "Credit", "action": "credit"}, ts=NOW)
    assert view.affected(rule) == {RULES}
    listed = view.compute(RULES, {"rule": {"r1": rule}}, NOW)["list"]
    assert [(r["id"], r["title"], r["queues"]) for r in listed] == [("r1", "Credit", [])]
    alert = make_envelope("alert_rule", "al-1", {"rule": "wait", "seconds": 60}, ts=NOW)
    assert view.affected(alert) == {ALERTS, ALERT_RULES}
    customer = make_envelope("customer", "AC1", {"name": "Asha Patel"}, ts=NOW)
    assert view.affected(customer) == set()  # customers never reach the console's stream
    beat = heartbeat("pbx", NOW, 5.0, 3.0)
    assert view.affected(beat) == {SOURCES}
    assert view.compute(SOURCES, {"heartbeat": {"pbx": beat}}, NOW)["list"][0]["name"] == "pbx"


def test_sources_worst_first_with_rate_interval_and_whom_they_aggregate() -> None:
    beats = {
        "simulator": heartbeat("simulator", NOW - 1, 5.0, 31.5),
        "asterisk": heartbeat("asterisk", NOW - 60, 5.0, 2.0, connected=True),
        "csv-replay": heartbeat("csv-replay", NOW - 12, 5.0, 500.0),
        "ami-b": heartbeat("ami-b", NOW, 5.0, 0.0, connected=False),
        "aggregate": heartbeat("aggregate", NOW, 5.0, None, follows=["connect"]),
    }
    listed = source_list(beats, NOW)["list"]
    assert [s["name"] for s in listed] == [
        "ami-b",
        "asterisk",
        "csv-replay",
        "aggregate",
        "simulator",
    ]  # fmt: skip  (down: cut off, silent; late; live)
    sim = listed[-1]
    assert (sim["seen"], sim["late_at"], sim["down_at"]) == (NOW - 1, NOW + 9, NOW + 24)
    assert (sim["rate"], sim["interval"], sim["follows"]) == (31.5, 5.0, [])
    assert listed[0]["cut_off"] and listed[3]["follows"] == ["connect"]
    assert source_list({}, NOW)["list"] == []


def test_console_view_counts_agents_from_the_bus_and_the_roster() -> None:
    roster = {"u9": Agent("u9", "Uma Vos", "North")}  # an agent user not on the bus yet
    view = ConsoleView(CONFIG, lambda: roster)
    team = {"kind": "team", "value": "North"}
    mirror = {
        "message": {"m1": message("m1", audience=team, ack=True)},
        "ack": {"m1:u9": ack("m1", "u9")},
        "agent": {"a1": agent_env("a1", "Ann Lee", "North", ["faults"])},
    }
    acks = view.compute(MESSAGES, mirror, NOW)["list"][0]["acks"]
    assert (acks["targeted"], acks["acknowledged"], acks["pending"]) == (2, 1, ["Ann Lee"])
    assert view.compute(OUTAGES, {}, NOW)["list"] == []
    with pytest.raises(KeyError):
        view.compute("console:nope", mirror, NOW)


def test_the_console_view_agrees_with_the_messages_api(bus: Bus, prefix: str) -> None:
    """The same messages, acks and agents in Redis: the console's counts and order are the
    backend's (``Messages.list``, what ``GET /api/v1/messages`` answers)."""
    for agent_id, team, skills in [("a1", "North", ["faults"]), ("a2", "North", ["billing"])]:
        bus.publish(agent_env(agent_id, agent_id.upper(), team, skills))
    Accounts(bus.client, prefix).add_user("u9", "agent", "password-1", team="North")
    messages = Messages(bus, CONFIG)
    north = {"kind": "team", "value": "North"}
    first = messages.post({"text": "one", "audience": north, "ack_required": True}, "t")
    messages.post({"text": "two", "priority": "urgent"}, "t")
    messages.post({"text": "three", "ack_required": True}, "t")
    messages.ack(first["id"], "a1", "t")
    messages.ack(first["id"], "u9", "t")

    _, mirror = bus.snapshot(["message", "ack", "agent"])
    view = ConsoleView(CONFIG, Roster(lambda: messages.agents(bus.client)))
    item = view.compute(MESSAGES, mirror, messages.clock())
    listed = messages.list()
    assert [e["id"] for e in item["list"]] == [m["id"] for m in listed]
    for entry, m in zip(item["list"], listed, strict=True):
        ours = entry["acks"] and {k: entry["acks"][k] for k in ("targeted", "acknowledged")}
        assert ours == m["acks"], m["text"]


def test_the_roster_is_read_at_most_once_per_period_and_survives_redis_errors() -> None:
    reads = []
    clock = [0.0]

    def read() -> dict[str, Agent]:
        reads.append(clock[0])
        if len(reads) == 3:
            raise redis.ConnectionError("gone")
        return {"a1": AGENTS["a1"]} if len(reads) == 1 else {"a2": AGENTS["a2"]}

    roster = Roster(read, ttl=30, clock=lambda: clock[0])
    assert roster() == {"a1": AGENTS["a1"]}
    clock[0] = 29.0
    assert roster() == {"a1": AGENTS["a1"]} and reads == [0.0]
    clock[0] = 30.0
    assert roster() == {"a2": AGENTS["a2"]}
    clock[0] = 60.0
    assert roster() == {"a2": AGENTS["a2"]}  # the read failed: the last roster stays
    assert reads == [0.0, 30.0, 60.0]


# -- the audit log --------------------------------------------------------------------------------


def test_an_edit_shows_only_what_changed_with_times_as_clock_times() -> None:
    before = {"text": "Storm\nwarning", "priority": "info", "expires_at": NOW + 600,
              "starts_at": None, "ack_required": False, "author": "sam"}  # fmt: skip
    after = {**before, "priority": "urgent", "expires_at": NOW + 1200, "ack_required": True}
    assert audit_changes(before, after, TZ, NOW) == [
        ("priority", "info", "urgent"), ("expires_at", "12:23:20", "12:33:20"),
        ("ack_required", "no", "yes"),
    ]  # fmt: skip


def test_a_creation_lists_what_was_set_and_a_removal_what_was_there() -> None:
    created = {"service": "Broadband", "severity": "major", "internal_note": "", "queues": [],
               "eta": None, "started_at": NOW, "text": "x" * 200}  # fmt: skip
    rows = audit_changes(None, created, TZ, NOW)
    assert rows[:2] == [("service", None, "Broadband"), ("severity", None, "major")]
    assert ("text", None, "x" * 79 + "…") in rows  # long values are clipped
    assert {r[0] for r in rows} == {"service", "severity", "text"}  # empty and system fields out
    removed = {"queue": "chat", "reason": "Slow", "expected_wait": 480, "author": "cli: jo"}
    assert audit_changes(removed, None, TZ, NOW) == [
        ("queue", "chat", None), ("reason", "Slow", None), ("expected_wait", "8:00", None)
    ]  # fmt: skip


def test_audit_entries_read_as_sentences() -> None:
    entry = {"at": NOW, "actor": "sam", "action": "update", "kind": "outage",
             "id": "o-1", "before": {"status": "investigating"},
             "after": {"status": "identified"}}  # fmt: skip
    assert audit_entry(entry, TZ, NOW) == {
        "time": "12:13:20", "actor": "sam", "verb": "updated outage", "subject": "o-1",
        "rows": [("status", "investigating", "identified")],
    }  # fmt: skip
    acked = {**entry, "action": "ack", "kind": "ack", "id": "m-1:a7", "before": None,
             "after": {"message_id": "m-1", "agent_id": "a7", "at": NOW}}  # fmt: skip
    shown = audit_entry(acked, TZ, NOW + 86400 * 3)  # days later: the date is shown
    assert (shown["verb"], shown["subject"], shown["rows"]) == ("acknowledged", "m-1 for a7", [])
    assert shown["time"] == "23 Nov 12:13"
    assert audit_entry(acked, TZ, NOW + 86400 * 365)["time"] == "23 Nov 2025 12:13"


# -- what supervisors type ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["tomorrow", "25:00", "9.30"])
def test_a_time_that_cannot_be_read_names_the_field(text: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_when("eta", text, TZ, NOW)
    assert caught.value.field == "eta"
    assert error_text(caught.value).startswith("ETA: ")


def test_errors_name_the_field_as_the_form_does() -> None:
    assert error_text(SchemaError("audience.value", "unknown team 'X'")) == (
        "Audience: unknown team 'X'"
    )
    assert error_text(SchemaError("queues.1", "unknown queue 'q'")) == (
        "Affected queues: unknown queue 'q'"
    )
