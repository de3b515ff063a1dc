"""The agent tab's view-models and hub view spec: pure, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.auth.access import may_view_agent as may_view
from dashboard.auth.principal import Principal
from dashboard.pages.agent.card import Desk
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
from feeds.adapters.producer import heartbeat
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.customers.history import PastContact
from feeds.customers.profiles import Caller
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


def test_the_current_contact_is_the_one_i_answered_else_the_one_ringing_at_me() -> None:
    queued = answered("c2", None, event="offered", answered_at=None)
    ringing = answered("c4", "a01", event="offered", answered_at=None)
    contacts = [answered("c1", "a02"), queued, answered("c3", "a01"), ringing]
    assert current_contact(contacts, "a01").id == "c3"
    assert current_contact([*contacts[:2], ringing], "a01").id == "c4"  # before the answer
    assert current_contact(contacts[:2], "a01") is None


DESK = Desk(CONFIG.moments, CONFIG.customers, TZ, QUEUE_NAMES, {"a02": "Bo Chen"})
PATEL = {
    "name": "Asha Patel", "preferred_name": "Mrs Patel", "segment": "Standard tariff",
    "region": "North East", "postcode_area": "NE", "products": ["Electricity", "Gas"],
    "cases": [{"id": "C-1042", "reason": "billing dispute", "status": "open",
               "priority": "high", "opened_at": None, "eta": T0 + 86400}],
    "callbacks": [{"due": T0 - 86400, "case_id": "C-1042", "status": "pending"}],
    "consent": {"marketing": False}, "tags": [],
}  # fmt: skip
RULES = [
    env("rule", "r-credit", title="Goodwill credit", action="credit", limit=20, allowance=30),
    env("rule", "r-biz", title="Business credit", action="credit", limit=50,
        segments=["Business"]),
]  # fmt: skip


def caller(profile=PATEL, ledger=(), **crm: Any) -> Caller:
    return Caller(dict(profile) if profile else None, "crm", list(ledger), **crm)


def card(contact, history=(), who=None, outages=(), rules=RULES, delay=None, **over: Any):
    args = {"queue": CONFIG.queue(contact.data["queue"]), "history": history and list(history),
            "caller": who if who is not None else caller(), "outages": list(outages),
            "rules": list(rules), "delay": delay, "me": {"team": "North", "state": "on_contact",
            "since": T0 - 5}, "desk": DESK, "now": T0,
            **over}  # fmt: skip
    return contact_item(contact, **args)


def test_the_card_says_who_is_calling_why_they_called_before_and_what_was_promised() -> None:
    contact = answered("c9", "a01", enqueued_at=T0 - 95, answered_at=T0 - 5,
                       reason="billing dispute")  # fmt: skip
    history = [
        PastContact("c7", "completed", "faults", "chat", T0 - 7200, T0 - 7190, T0 - 6900,
                    "a02", 290.0, "billing dispute", "callback promised"),
        PastContact("c8", "abandoned", "billing", "voice", T0 - 3600, ended_at=T0 - 3500,
                    reason="billing dispute"),
    ]  # fmt: skip
    c = card(contact, history)["card"]
    assert c["state"] == "answered" and c["waited"] == "1:30"
    assert c["who"]["greet"] == "Mrs Patel" and c["who"]["name"] == "Asha Patel"
    assert c["who"]["facts"] == "Standard tariff · North East (NE) · Electricity, Gas"
    assert c["who"]["consent"] == ["No marketing"]
    assert c["headline"] == (
        "3rd contact in 7 days: billing dispute "
        "(open case C-1042, promised callback yesterday, missed)"
    )
    assert [(h["id"], h["where"], h["outcome"], h["why"]) for h in c["history"]] == [
        ("c8", "Billing · Voice", "gave up after 1:40", "billing dispute"),
        ("c7", "Faults & Outages · Chat", "handled by Bo Chen in 4:50",
         "billing dispute → callback promised"),
    ]  # fmt: skip
    assert c["history"][0]["when"] == "today 11:13"  # one time per contact
    e = c["expect"]
    assert e["priority"] == "high" and e["issue"] == "billing dispute (case C-1042)"
    assert e["wording"].startswith("I'm sorry we didn't call back yesterday as we promised.")
    assert "we expect to resolve it by tomorrow" in e["wording"]
    assert [f["kind"] for f in c["flags"]] == ["callback", "waited", "repeat"]
    assert all(f["suggestion"] for f in c["flags"])


def test_the_card_says_what_may_be_given_and_how_much_is_used_today() -> None:
    gave = {"id": "k1", "type": "gave", "rule_id": "r-credit", "amount": 10.0, "text": "credit",
            "agent_id": "a02", "at": T0 - 600}  # fmt: skip
    c = card(answered("c9", "a01"), who=caller(ledger=[gave]))["card"]
    (rule,) = c["give"]["rules"]  # the Business rule is not for a Standard tariff customer
    assert rule["title"] == "Goodwill credit"
    assert rule["allows"] == "up to £20 (more: a supervisor)"
    assert rule["used"] == "£10 of £30 used today"
    assert c["give"]["choices"] == [
        {"label": "Goodwill credit (up to £20 (more: a supervisor))", "value": "rule:r-credit"}
    ]
    assert [h["outcome"] for h in c["history"]] == ["Bo Chen gave: credit"]


def test_an_outage_that_hits_the_caller_is_said_once_with_why_and_its_offer() -> None:
    hit = outage("o1", ["faults"], regions=["North East"], services=["Electricity"],
                 offer="£25 credit", offer_amount=25, eta=T0 + 3600)  # fmt: skip
    elsewhere = outage("o2", ["billing"], regions=["Scotland"])
    c = card(answered("c9", "a01"), outages=[hit, elsewhere])["card"]
    (flag,) = [f for f in c["flags"] if f["kind"] == "outage"]
    assert flag["detail"] == "Major · lives in North East; has Electricity"
    assert {"wording", "offer", "workaround"}.isdisjoint(flag)  # said once, below
    assert c["expect"]["wording"].endswith(". wording o1") and c["outages"] == ["o1"]
    (offer,) = c["give"]["offers"]
    assert (
        offer["note"]
        == "£25 is above your standing limit (Goodwill credit): approved for this outage"
    )
    assert {"label": "Outage offer: service o1", "value": "outage:o1"} in c["give"]["choices"]


def test_in_wrap_up_the_card_stays_and_its_talk_time_stops() -> None:
    c = card(answered("c9", "a01"), me={"team": "North", "state": "wrap", "since": T0 - 2})
    assert c["card"]["state"] == "wrap" and c["card"]["talked_until"] == T0 - 2


def test_a_ringing_contact_has_its_card_before_the_answer() -> None:
    ringing = answered("c9", "a01", event="offered", answered_at=None)
    c = card(ringing)["card"]
    assert c["state"] == "ringing" and c["answered_at"] is None and c["waited"] is None
    assert c["who"]["greet"] == "Mrs Patel"
    assert "waited" not in {f["kind"] for f in c["flags"]}  # not answered yet


@pytest.mark.parametrize(
    ("crm", "says"),
    [("pending", "Looking up the customer in the CRM"), ("missing", "Not in the CRM"),
     ("failed", "The CRM is not answering")],
)  # fmt: skip
def test_without_a_profile_the_card_says_why_and_keeps_everything_else(crm, says) -> None:
    who = caller(None, crm=crm, crm_detail="no answer within 1.5 s" if crm == "failed" else "")
    c = card(answered("c9", "a01", reason="high bill"), who=who)["card"]
    assert c["who"]["greet"] == "" and c["who"]["lookup"]["state"] == crm
    assert c["who"]["lookup"]["text"].startswith(says)
    assert [r["title"] for r in c["give"]["rules"]] == ["Goodwill credit"]  # still there
    assert c["expect"]["promise"].startswith("Call back by")


def test_the_card_without_history_or_customer_still_shows_what_it_can() -> None:
    contact = answered("c9", "a01", enqueued_at=T0 - 95, answered_at=T0 - 5)
    c = card(contact, history=None, who=None, caller=None)["card"]
    assert c["history_missing"] is True and c["who"]["lookup"]["state"] == "none"
    assert [f["kind"] for f in c["flags"]] == ["waited"]


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
    assert v.affected(heartbeat("pbx", T0, 5.0, 1.0)) == {QUEUES}  # it may feed my queues


def test_my_queues_stand_on_the_producers_of_their_figures_as_the_walls_do() -> None:
    v = view()
    stats = make_envelope("queue", "billing", queue_stats("billing").data, ts=T0, source="pbx")
    state = mirror(agent_env("a01", "Ann", "North", ["billing"]), stats,
                   heartbeat("pbx", T0 - 60, 5.0, 3.0, connected=True))  # fmt: skip
    (billing,) = v.compute(QUEUES, state, T0)["list"]
    assert [(s["name"], s["late_at"], s["down_at"]) for s in billing["sources"]] == [
        ("pbx", T0 - 50, T0 - 35)
    ]  # the browser says "pbx silent for 1 min" by then (render.js sourceSilence)
    assert view("a09").affected(heartbeat("pbx", T0, 5.0, 1.0)) == set()  # no queues yet


class Customers:
    """The cards' customer reads, recorded: what was read and what was dropped."""

    def __init__(self, crm: str = "") -> None:
        self.read: list[str] = []
        self.forgotten: list[str] = []
        self.crm = crm

    def __call__(self, customer_id: str, contact_id: str) -> Caller:
        self.read.append(customer_id)
        return Caller(None, "", [], self.crm)

    def forget(self, customer_id: str) -> None:
        self.forgotten.append(customer_id)


def test_changes_to_my_customer_redraw_my_card_and_others_do_not_touch_it() -> None:
    customers = Customers(crm="pending")
    v = AgentView(CONFIG, "a01", dict, None, customers)
    m = mirror(agent_env("a01", "Ann", "North", ["billing"]), answered("c1", "a01", "AC1"))
    assert v.compute(CONTACT, m, T0)["card"]["who"]["lookup"]["state"] == "pending"
    mine = env("customer", "AC1", name="Asha Patel")
    assert v.affected(mine) == {CONTACT} and customers.forgotten == ["AC1"]
    assert v.affected(env("customer", "AC2", name="Someone Else")) == set()
    given = dict(customer_id="AC1", agent_id="a02", type="gave", text="£10", at=T0)
    assert v.affected(env("commitment", "k1", **given)) == {CONTACT}
    other = {**given, "customer_id": "AC2"}
    assert v.affected(env("commitment", "k2", **other)) == set()
    crm = env("system", "crm", component="crm", status="down", detail="no answer")
    assert v.affected(crm) == {CONTACT}  # my card waits for the CRM's answer
    assert v.affected(env("rule", "r1", title="Credit", action="credit")) == {CONTACT}
    assert customers.read == ["AC1"] and customers.forgotten == ["AC1", "AC1", "AC1"]


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
    assert [p["outcome"] for p in card["history"]] == ["handled by Bo Chen", "handled by you"]


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


def test_the_agent_quotes_the_published_estimated_wait_when_there_is_one() -> None:
    # The aggregator's figure counts callers who give up and blended agents' shares: an agent
    # resets a caller's expectation with it, not with a simpler sum of their own.
    entry = queue_entry(
        CONFIG.queue("billing"), queue_stats("billing", estimated_wait=95.0), None, 30
    )
    assert entry["fields"]["ewt"]["text"] == "1:35"
