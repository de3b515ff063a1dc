"""Standing rules and the ledger of what agents gave and promised, against a real Redis: every
change is audited, every grant is checked in the transaction that spends the allowance, and a
refusal names the field and the reason and stores nothing."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import test_notices

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import Config
from feeds.customers.ledger import Ledger
from feeds.customers.profiles import Profiles, ledger_key
from feeds.customers.rules import Rules
from feeds.errors import SchemaError
from feeds.notices.audit import AuditLog
from feeds.notices.service import NotFound

NOW = time.time()
config = test_notices.config  # the fixture: the example config under this test's prefix


@pytest.fixture
def rules(bus: Bus, config: Config) -> Rules:
    return Rules(bus, config)


@pytest.fixture
def ledger(bus: Bus, config: Config) -> Ledger:
    return Ledger(bus, config)


def publish(bus: Bus, kind: str, id: str, **data: Any) -> None:
    bus.publish(make_envelope(kind, id, data, ts=time.time(), source="test"))


def on_contact(bus: Bus, agent_id: str = "a01", contact_id: str = "c1", **profile: Any) -> None:
    """Agent a01 (team North) on contact c1 of customer AC1 (a Standard tariff customer in the
    North East) on Billing."""
    publish(bus, "agent", agent_id, name="Ann Lee", state="on_contact", since=NOW, team="North",
            skills=["billing"])  # fmt: skip
    Profiles(bus).put([("AC1", {"name": "Asha Patel", "segment": "Standard tariff",
                                "region": "North East", "products": ["Electricity"],
                                **profile})], "test")  # fmt: skip
    publish(
        bus,
        "contact",
        contact_id,
        event="answered",
        queue="billing",
        channel="voice",
        customer_id="AC1",
        enqueued_at=NOW - 60,
        answered_at=NOW - 5,
        agent_id=agent_id,
    )


def test_rules_are_created_changed_and_retired_with_audit(bus: Bus, rules: Rules) -> None:
    r = rules.create({"title": "Goodwill credit", "action": "credit", "limit": 20}, "sam")
    assert r["id"].startswith("r-") and r["allowance"] is None
    assert bus.snapshot(["rule"])[1]["rule"][r["id"]].data["limit"] == 20
    changed = rules.update(r["id"], {"allowance": 30, "queues": ["billing"]}, "sam")
    assert (changed["limit"], changed["allowance"], changed["queues"]) == (20, 30, ["billing"])
    rules.retire(r["id"], "sam")
    assert bus.snapshot(["rule"])[1]["rule"] == {} and rules.list() == []
    log = AuditLog(bus.client, bus.prefix).read(10, "rule")
    assert [(e["action"], e["actor"]) for e in log] == [("retire", "sam"), ("update", "sam"),
                                                        ("create", "sam")]  # fmt: skip
    assert log[1]["before"]["allowance"] is None and log[1]["after"]["allowance"] == 30
    with pytest.raises(NotFound):
        rules.update(r["id"], {"limit": 5}, "sam")


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [({"title": "", "action": "credit"}, "title", "at least 1 character"),
     ({"title": "Credit", "action": "cash"}, "action", "must be one of"),
     ({"title": "Credit", "action": "credit", "limit": -5}, "limit", "greater than or equal"),
     ({"title": "Credit", "action": "credit", "period": "fortnight"}, "period", "must be one of"),
     ({"title": "Credit", "action": "credit", "queues": ["nowhere"]}, "queues.0",
      "unknown queue 'nowhere'"),
     ({"title": "Credit", "action": "credit", "author": "me"}, "author", "unknown field")],
)  # fmt: skip
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_stored(
    bus: Bus, rules: Rules, fields: dict, field: str, reason: str
) -> None:
    with pytest.raises(SchemaError) as err:
        rules.create(fields, "sam")
    assert err.value.field == field and reason in err.value.reason
    assert bus.client.hlen(bus.state_key("rule")) == 0
    assert AuditLog(bus.client, bus.prefix).read(10) == []


def test_what_an_agent_gives_is_checked_counted_audited_and_heard(
    bus: Bus, rules: Rules, ledger: Ledger
) -> None:
    r = rules.create({"title": "Goodwill credit", "action": "credit", "limit": 20,
                      "allowance": 30}, "sam")  # fmt: skip
    on_contact(bus)
    heard: list[Any] = []
    sub = bus.client.pubsub()
    sub.subscribe(bus.channel)
    given = ledger.record("a01", "c1", {"type": "gave", "rule_id": r["id"], "amount": 20}, "a01")
    assert given["text"] == "Goodwill credit: £20" and given["customer_id"] == "AC1"
    assert [e["id"] for e in ledger.entries("AC1")] == [given["id"]]
    entry = AuditLog(bus.client, bus.prefix).read(1, "commitment")[0]
    assert (entry["action"], entry["actor"], entry["after"]["amount"]) == ("give", "a01", 20)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not heard:
        msg = sub.get_message(timeout=0.1)
        if msg and msg["type"] == "message" and b'"commitment"' in msg["data"]:
            heard.append(msg)
    assert heard  # published: the card of whoever has AC1 on screen is woken
    assert bus.client.hlen(bus.state_key("commitment")) == 0  # an event, never state
    assert 399 * 86400 < bus.client.ttl(ledger_key(bus.prefix, "AC1")) <= 400 * 86400
    with pytest.raises(SchemaError) as err:  # £20 of £30 used today: £10 left
        ledger.record("a01", "c1", {"type": "gave", "rule_id": r["id"], "amount": 15}, "a01")
    assert (err.value.field, err.value.reason) == ("amount", "only £10 may still be given today")
    assert len(ledger.entries("AC1")) == 1


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [({"type": "gave", "amount": 5}, "rule_id", "choose what you gave"),
     ({"type": "gave", "rule_id": "RULE", "amount": 25}, "amount",
      "£25 is above your limit of £20: ask a supervisor"),
     ({"type": "gave", "rule_id": "r-nope", "amount": 5}, "rule", "no rule of yours"),
     ({"type": "gave", "outage_id": "o-nope"}, "outage_id", "no outage affecting"),
     ({"type": "promised", "text": "Call back", "due": NOW - 60}, "due", "in the future"),
     ({"type": "promised", "text": ""}, "text", "at least 1 character"),
     ({"type": "refund", "text": "x"}, "type", "must be one of"),
     ({"type": "gave", "rule_id": "RULE", "amount": 5, "agent_id": "a02"}, "agent_id",
      "unknown field")],
)  # fmt: skip
def test_a_grant_or_promise_the_agent_may_not_make_is_refused_and_nothing_stored(
    bus: Bus, rules: Rules, ledger: Ledger, fields: dict, field: str, reason: str
) -> None:
    r = rules.create({"title": "Goodwill credit", "action": "credit", "limit": 20}, "sam")
    on_contact(bus)
    fields = {k: r["id"] if v == "RULE" else v for k, v in fields.items()}
    with pytest.raises(SchemaError) as err:
        ledger.record("a01", "c1", fields, "a01")
    assert err.value.field == field and reason in err.value.reason
    assert ledger.entries("AC1") == []
    assert AuditLog(bus.client, bus.prefix).read(10, "commitment") == []


def test_only_the_agent_on_the_contact_may_record_on_it(
    bus: Bus, rules: Rules, ledger: Ledger
) -> None:
    r = rules.create({"title": "Goodwill credit", "action": "credit", "limit": 20}, "sam")
    on_contact(bus)
    for agent_id, contact_id in (("a02", "c1"), ("a01", "c-gone")):
        with pytest.raises(SchemaError) as err:
            ledger.record(agent_id, contact_id, {"type": "gave", "rule_id": r["id"],
                                                 "amount": 5}, agent_id)  # fmt: skip
        assert (err.value.field, err.value.reason) == ("contact", "is not a contact you are on")


def test_a_rule_for_another_segment_or_team_is_not_the_agents_to_use(
    bus: Bus, rules: Rules, ledger: Ledger
) -> None:
    biz = rules.create({"title": "Business credit", "action": "credit", "limit": 50,
                        "segments": ["Business"]}, "sam")  # fmt: skip
    south = rules.create({"title": "South credit", "action": "credit", "limit": 50,
                          "teams": ["South"]}, "sam")  # fmt: skip
    on_contact(bus)
    for r in (biz, south):
        with pytest.raises(SchemaError, match="no rule of yours covers this contact"):
            ledger.record("a01", "c1", {"type": "gave", "rule_id": r["id"], "amount": 5}, "a01")


def test_an_outage_offer_above_the_standing_limit_may_be_given_once(
    bus: Bus, rules: Rules, ledger: Ledger
) -> None:
    rules.create({"title": "Goodwill credit", "action": "credit", "limit": 20}, "sam")
    publish(bus, "outage", "o1", service="Power network", severity="major",
            status="investigating", regions=["North East"], offer="£25 credit", offer_amount=25,
            started_at=NOW)  # fmt: skip
    on_contact(bus)
    given = ledger.record("a01", "c1", {"type": "gave", "outage_id": "o1"}, "a01")
    assert (given["amount"], given["outage_id"]) == (25, "o1")
    with pytest.raises(SchemaError, match="already given"):
        ledger.record("a01", "c1", {"type": "gave", "outage_id": "o1"}, "a01")


def test_an_outage_elsewhere_offers_this_customer_nothing(bus: Bus, ledger: Ledger) -> None:
    publish(bus, "outage", "o1", service="Power network", severity="major",
            status="investigating", regions=["Scotland"], queues=["billing"], offer="£25",
            offer_amount=25, started_at=NOW)  # fmt: skip
    on_contact(bus)
    with pytest.raises(SchemaError, match="no outage affecting this customer"):
        ledger.record("a01", "c1", {"type": "gave", "outage_id": "o1"}, "a01")


def test_a_promise_is_recorded_for_the_next_agent(bus: Bus, ledger: Ledger) -> None:
    on_contact(bus)
    due = NOW + 3600
    p = ledger.record("a01", "c1", {"type": "promised", "text": "Call back by 17:00",
                                    "due": due}, "a01")  # fmt: skip
    (entry,) = ledger.entries("AC1")
    assert entry == {"id": p["id"], **p}
    assert (entry["type"], entry["due"], entry["agent_id"]) == ("promised", due, "a01")


def test_two_agents_cannot_both_spend_the_last_of_an_allowance(
    bus: Bus, rules: Rules, ledger: Ledger
) -> None:
    r = rules.create({"title": "Goodwill credit", "action": "credit", "allowance": 20}, "sam")
    on_contact(bus, "a01", "c1")
    on_contact(bus, "a02", "c2")
    results: list[str] = []
    gate = threading.Barrier(2)

    def give(agent_id: str, contact_id: str) -> None:
        gate.wait()
        try:
            ledger.record(agent_id, contact_id, {"type": "gave", "rule_id": r["id"],
                                                 "amount": 15}, agent_id)  # fmt: skip
            results.append("given")
        except SchemaError as exc:
            results.append(exc.reason)

    threads = [threading.Thread(target=give, args=a) for a in (("a01", "c1"), ("a02", "c2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["given", "only £5 may still be given today"]
    assert sum(e["amount"] for e in ledger.entries("AC1")) == 15
