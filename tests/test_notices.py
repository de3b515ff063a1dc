"""Messages, acknowledgements, outages, delay reasons and the audit log against a real Redis.

Every write must land in the live state (what screens show), in the audit log, and in its side
keys (acks, timeline, history) together, or not at all.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator

import pytest

from dashboard.pages.items import message_ticker, queue_tile
from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope
from feeds.config import Config, load_config
from feeds.errors import SchemaError
from feeds.notices.audit import AuditLog
from feeds.notices.delays import Delays
from feeds.notices.messages import RETAIN_EXPIRED, Messages, targets
from feeds.notices.outages import Outages
from feeds.notices.service import Conflict, NotFound

ME = "cli: tester"


@pytest.fixture
def config(make_config, prefix) -> Config:
    return load_config(make_config(prefix))


@pytest.fixture
def messages(bus: Bus, config: Config) -> Messages:
    return Messages(bus, config)


@pytest.fixture
def outages(bus: Bus, config: Config) -> Outages:
    return Outages(bus, config)


@pytest.fixture
def delays(bus: Bus, config: Config) -> Delays:
    return Delays(bus, config)


def agent(bus: Bus, agent_id: str, team: str, skills: list[str], name: str = "") -> None:
    data = {
        "name": name or agent_id.upper(),
        "state": "available",
        "since": time.time(),
        "team": team,
        "skills": skills,
    }
    bus.publish(make_envelope("agent", agent_id, data, ts=time.time(), source="test"))


@pytest.fixture
def floor(bus: Bus) -> None:
    """Four agents on the bus, in two teams with different skills."""
    agent(bus, "a1", "North", ["billing", "faults"], "Ann")
    agent(bus, "a2", "North", ["faults"], "Bob")
    agent(bus, "a3", "South", ["billing", "chat"], "Cy")
    agent(bus, "a4", "Digital", ["chat", "email"], "Di")


def live(bus: Bus, kind: str) -> dict:
    return bus.snapshot([kind])[1][kind]


def audit(bus: Bus, **kw) -> list[dict]:
    return AuditLog(bus.client, bus.prefix).read(**kw)


@pytest.fixture
def unchanged(bus: Bus) -> Iterator[None]:
    """Asserts that the test body wrote nothing: no bus write, no audit entry."""
    seq, entries = bus.current_seq(), len(audit(bus))
    yield
    assert bus.current_seq() == seq
    assert len(audit(bus)) == entries


# -- messages -------------------------------------------------------------------------------------


def test_post_stores_publishes_and_audits_a_message(bus: Bus, messages: Messages) -> None:
    pubsub = bus.client.pubsub()
    pubsub.subscribe(bus.channel)
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    before = time.time()
    m = messages.post({"text": "Storm tonight.\nExpect calls\r\nabout outages."}, ME)

    assert m["id"].startswith("m-") and m["status"] == "active"
    stored = live(bus, "message")[m["id"]]
    assert (
        stored.data["text"] == "Storm tonight.\nExpect calls\nabout outages."
    )  # one kind of break
    assert stored.data["author"] == ME and stored.data["priority"] == "info"
    assert stored.data["audience"] == {"kind": "all", "value": None}
    assert before + 3600 <= stored.data["expires_at"] <= time.time() + 3600
    notified = pubsub.get_message(timeout=2)
    assert json.loads(notified["data"])["id"] == m["id"]
    pubsub.close()
    [entry] = audit(bus)
    assert entry["action"] == "post" and entry["kind"] == "message" and entry["id"] == m["id"]
    assert entry["actor"] == ME and entry["before"] is None and entry["after"] == stored.data


def test_default_expiry_is_an_hour_after_a_scheduled_start(messages: Messages) -> None:
    start = time.time() + 7200
    m = messages.post({"text": "Shift change", "starts_at": start}, ME)
    assert m["status"] == "scheduled" and m["expires_at"] == start + 3600


def test_list_computes_status_from_times_and_orders_by_priority(messages: Messages) -> None:
    now = time.time()
    info = messages.post({"text": "info"}, ME)
    urgent = messages.post({"text": "urgent", "priority": "urgent"}, ME)
    later = messages.post({"text": "later", "starts_at": now + 600, "expires_at": now + 900}, ME)
    gone = messages.post({"text": "gone", "priority": "urgent"}, ME)
    messages.expire(gone["id"], ME)
    listed = [(m["id"], m["status"]) for m in messages.list()]
    assert listed == [
        (urgent["id"], "active"),
        (info["id"], "active"),
        (later["id"], "scheduled"),
        (gone["id"], "expired"),
    ]


def test_edit_keeps_id_and_author_and_audits_before_and_after(bus, messages) -> None:
    m = messages.post({"text": "v1", "ack_required": True}, ME)
    edited = messages.edit(m["id"], {"text": "v2", "priority": "important"}, "token: other")
    assert edited["id"] == m["id"] and edited["author"] == ME
    assert live(bus, "message")[m["id"]].data["text"] == "v2"
    entry = audit(bus, limit=1)[0]
    assert (entry["action"], entry["actor"]) == ("edit", "token: other")
    assert entry["before"]["text"] == "v1" and entry["after"]["text"] == "v2"
    assert entry["after"]["priority"] == "important" and entry["after"]["ack_required"] is True


def test_expire_drops_it_from_screens_but_keeps_it_listed(bus, messages, config) -> None:
    m = messages.post({"text": "soon gone", "audience": {"kind": "queue", "value": "billing"}}, ME)
    assert message_ticker(live(bus, "message").values(), ["billing"], time.time())["list"]
    expired = messages.expire(m["id"], ME)
    assert expired["status"] == "expired"
    assert message_ticker(live(bus, "message").values(), ["billing"], time.time())["list"] == []
    assert [x["status"] for x in messages.list()] == ["expired"]
    assert audit(bus, limit=1)[0]["action"] == "expire"
    with pytest.raises(Conflict) as err:
        messages.expire(m["id"], ME)
    assert err.value.field == "id" and "already expired" in err.value.reason


def test_long_expired_messages_and_their_acks_are_purged_on_list(bus, messages, floor) -> None:
    now = time.time()
    old = {"text": "last week", "expires_at": now - RETAIN_EXPIRED - 60, "ack_required": True}
    bus.publish(make_envelope("message", "m-old", old, ts=now - 8 * 86400))
    bus.client.hset(messages.acks_key("m-old"), "a1", now - 8 * 86400)
    bus.publish(make_envelope("ack", "m-old:a1", {"message_id": "m-old", "agent_id": "a1",
                                                  "at": now - 8 * 86400}, ts=now))  # fmt: skip
    recent = messages.post({"text": "today"}, ME)
    messages.expire(recent["id"], ME)

    assert [m["id"] for m in messages.list()] == [recent["id"]]
    assert set(live(bus, "message")) == {recent["id"]}
    assert live(bus, "ack") == {}
    assert not bus.client.exists(messages.acks_key("m-old"))


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({}, "body", "no fields given"),
        ({"priority": "urgent"}, "text", "is required"),
        ({"text": "x" * 501}, "text", "at most 500 characters"),
        ({"text": "  \n "}, "text", "must not be blank"),
        ({"text": "x", "expires_at": time.time() - 60}, "expires_at", "must be in the future"),
        # (an hour ahead, not minutes: these are computed when the suite is collected)
        ({"text": "x", "starts_at": time.time() + 7200, "expires_at": time.time() + 3600},
         "expires_at", "must be after starts_at"),
        ({"text": "x", "priority": "shouting"}, "priority", "must be one of"),
        ({"text": "x", "audience": {"kind": "queue", "value": "nope"}},
         "audience.value", "unknown queue 'nope'"),
        ({"text": "x", "audience": {"kind": "agent", "value": "a99"}},
         "audience.value", "unknown agent 'a99'"),
        ({"text": "x", "audience": {"kind": "team", "value": "East"}},
         "audience.value", "unknown team 'East'"),
        ({"text": "x", "audience": {"kind": "queue"}}, "audience", "value is required"),
        ({"text": "x", "author": "someone else"}, "author", "unknown field"),
    ],
)  # fmt: skip
def test_bad_messages_are_refused_naming_the_field(
    messages, floor, unchanged, fields, field, reason
) -> None:
    with pytest.raises(SchemaError) as err:
        messages.post(fields, ME)
    assert err.value.field == field and reason in err.value.reason


def test_a_refused_edit_changes_nothing(bus, messages) -> None:
    m = messages.post({"text": "keep me"}, ME)
    seq = bus.current_seq()
    with pytest.raises(SchemaError) as err:
        messages.edit(m["id"], {"text": "x" * 501}, ME)
    assert err.value.field == "text"
    with pytest.raises(SchemaError) as err:
        messages.edit(m["id"], {"expires_at": time.time() - 1}, ME)
    assert err.value.field == "expires_at"
    with pytest.raises(NotFound):
        messages.edit("m-missing", {"text": "x"}, ME)
    assert bus.current_seq() == seq and live(bus, "message")[m["id"]].data["text"] == "keep me"


def test_an_agent_user_without_a_state_on_the_bus_is_a_known_agent(bus, messages) -> None:
    Accounts(bus.client, bus.prefix).add_user("zoe", "agent", "password123", team="West")
    m = messages.post({"text": "hi", "audience": {"kind": "agent", "value": "zoe"}}, ME)
    assert m["audience"]["value"] == "zoe"
    t = messages.post({"text": "hi", "audience": {"kind": "team", "value": "West"}}, ME)
    assert messages.ack_status(t["id"])["targeted"] == ["zoe"]


# -- audience and acknowledgements ----------------------------------------------------------------


def test_audiences_target_the_right_agents(messages, floor) -> None:
    agents = messages.agents(messages.client)
    assert targets({"kind": "all", "value": None}, agents) == ["a1", "a2", "a3", "a4"]
    assert targets({"kind": "team", "value": "North"}, agents) == ["a1", "a2"]
    assert targets({"kind": "queue", "value": "billing"}, agents) == ["a1", "a3"]
    assert targets({"kind": "agent", "value": "a4"}, agents) == ["a4"]


def test_acks_are_counted_against_the_targeted_agents(bus, messages, floor) -> None:
    m = messages.post(
        {"text": "Read me", "ack_required": True, "audience": {"kind": "queue", "value": "faults"}},
        ME,
    )
    status = messages.ack_status(m["id"])
    assert status["targeted"] == ["a1", "a2"] and status["pending"] == ["a1", "a2"]
    assert status["acknowledged"] == {} and status["names"] == {"a1": "Ann", "a2": "Bob"}

    ack = messages.ack(m["id"], "a2", "session:a2")
    assert ack["message_id"] == m["id"] and ack["agent_id"] == "a2"
    status = messages.ack_status(m["id"])
    assert status["pending"] == ["a1"] and status["acknowledged"] == {"a2": ack["at"]}
    assert live(bus, "ack")[f"{m['id']}:a2"].data == ack
    entry = audit(bus, limit=1)[0]
    assert (entry["action"], entry["kind"], entry["id"]) == ("ack", "ack", f"{m['id']}:a2")
    [listed] = messages.list()
    assert listed["acks"] == {"targeted": 2, "acknowledged": 1}


def test_the_first_ack_wins(bus, messages, floor) -> None:
    m = messages.post({"text": "Read me", "ack_required": True}, ME)
    first = messages.ack(m["id"], "a1", ME)
    seq = bus.current_seq()
    time.sleep(0.01)
    assert messages.ack(m["id"], "a1", ME)["at"] == first["at"]
    assert bus.current_seq() == seq
    assert messages.ack_status(m["id"])["acknowledged"] == {"a1": first["at"]}


def test_concurrent_acks_by_one_agent_record_one(bus, messages, floor) -> None:
    m = messages.post({"text": "Read me", "ack_required": True}, ME)
    threads = [threading.Thread(target=messages.ack, args=(m["id"], "a3", ME)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(audit(bus, kind="ack")) == 1


@pytest.mark.parametrize(
    ("case", "agent_id", "error", "field", "reason"),
    [
        ("unknown", "a1", NotFound, "message_id", "no message"),
        ("expired", "a1", Conflict, "message_id", "is expired"),
        ("scheduled", "a1", Conflict, "message_id", "is scheduled"),
        ("no-ack", "a1", Conflict, "message_id", "does not ask for acknowledgement"),
        ("team", "a3", SchemaError, "agent_id", "not addressed to that agent"),
        ("team", "a99", SchemaError, "agent_id", "unknown agent 'a99'"),
    ],
)
def test_acks_that_cannot_be_are_refused(
    bus, messages, floor, case, agent_id, error, field, reason
) -> None:
    now = time.time()
    fields = {
        "unknown": {"text": "x", "ack_required": True},
        "expired": {"text": "x", "ack_required": True},
        "scheduled": {"text": "x", "ack_required": True, "starts_at": now + 600},
        "no-ack": {"text": "x"},
        "team": {"text": "x", "ack_required": True, "audience": {"kind": "team", "value": "North"}},
    }[case]
    m = messages.post(fields, ME)
    if case == "expired":
        messages.expire(m["id"], ME)
    message_id = "m-nothere" if case == "unknown" else m["id"]
    seq = bus.current_seq()
    with pytest.raises(error) as err:
        messages.ack(message_id, agent_id, ME)
    assert err.value.field == field and reason in err.value.reason
    assert bus.current_seq() == seq and not bus.client.exists(messages.acks_key(message_id))


def test_concurrent_edits_leave_an_unbroken_audit_chain(bus, messages) -> None:
    """WATCH makes each edit's ``before`` the value it replaced, however edits interleave."""
    m = messages.post({"text": "0"}, ME)
    threads = [
        threading.Thread(target=messages.edit, args=(m["id"], {"text": str(i)}, ME))
        for i in range(1, 13)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    chain = list(reversed(audit(bus, kind="message")))
    assert len(chain) == 13
    for earlier, later in itertools.pairwise(chain):
        assert later["before"] == earlier["after"]
    assert live(bus, "message")[m["id"]].data == chain[-1]["after"]


# -- outages --------------------------------------------------------------------------------------


def test_outage_lifecycle_timeline_and_history(bus, outages) -> None:
    eta = time.time() + 7200
    o = outages.declare(
        {
            "service": "Broadband — North East",
            "severity": "major",
            "customer_wording": "Engineers are on site.",
            "internal_note": "Fibre cut at the exchange",
            "workaround": "Mobile hotspot",
            "eta": eta,
            "queues": ["faults", "billing"],
            "offer": "credit up to £10",
        },
        ME,
    )
    assert o["id"].startswith("o-") and o["status"] == "investigating"
    assert live(bus, "outage")[o["id"]].data["queues"] == ["faults", "billing"]

    updated = outages.update(o["id"], {"status": "identified", "severity": "critical"}, "t:2")
    assert updated["status"] == "identified"
    assert live(bus, "outage")[o["id"]].data["severity"] == "critical"
    resolved = outages.resolve(o["id"], "t:3")
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "t:3"

    assert o["id"] not in live(bus, "outage")
    listed = outages.list()
    assert listed["active"] == [] and [r["id"] for r in listed["resolved"]] == [o["id"]]
    got = outages.get(o["id"])
    assert got["internal_note"] == "Fibre cut at the exchange" and got["eta"] == eta
    timeline = got["timeline"]
    assert [t["actor"] for t in timeline] == [ME, "t:2", "t:3"]
    assert timeline[0]["changes"]["service"] == {"from": None, "to": "Broadband — North East"}
    assert timeline[1]["changes"] == {
        "status": {"from": "investigating", "to": "identified"},
        "severity": {"from": "major", "to": "critical"},
    }
    assert timeline[2]["changes"] == {"status": {"from": "identified", "to": "resolved"}}
    assert [e["action"] for e in audit(bus, kind="outage")] == ["resolve", "update", "declare"]

    with pytest.raises(Conflict):
        outages.resolve(o["id"], ME)
    with pytest.raises(Conflict):
        outages.update(o["id"], {"status": "monitoring"}, ME)


def test_active_outages_are_listed_most_severe_first(outages) -> None:
    minor = outages.declare({"service": "Email", "severity": "minor"}, ME)
    critical = outages.declare({"service": "Voice", "severity": "critical"}, ME)
    major = outages.declare({"service": "Web", "severity": "major"}, ME)
    ids = [o["id"] for o in outages.list()["active"]]
    assert ids == [critical["id"], major["id"], minor["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"severity": "major"}, "service", "is required"),
        ({"service": "x", "severity": "apocalyptic"}, "severity", "must be one of"),
        ({"service": "x", "severity": "major", "status": "resolved"}, "status", "cannot be"),
        ({"service": "x", "severity": "major", "queues": ["faults", "nope"]},
         "queues.1", "unknown queue 'nope'"),
        ({"service": "x", "severity": "major", "eta": time.time() - 60}, "eta", "in the future"),
        ({"service": "x", "severity": "major", "started_at": 2e9}, "started_at", "unknown field"),
        ({"service": "x", "severity": "major", "offer": "x" * 301}, "offer", "at most 300"),
    ],
)  # fmt: skip
def test_bad_outages_are_refused_naming_the_field(outages, unchanged, fields, field, reason):
    with pytest.raises(SchemaError) as err:
        outages.declare(fields, ME)
    assert err.value.field == field and reason in err.value.reason


def test_a_refused_outage_update_changes_nothing(bus, outages) -> None:
    o = outages.declare({"service": "Voice", "severity": "major"}, ME)
    seq = bus.current_seq()
    for fields, field in [({"queues": ["nope"]}, "queues.0"), ({"eta": 1e9}, "eta")]:
        with pytest.raises(SchemaError) as err:
            outages.update(o["id"], fields, ME)
        assert err.value.field == field
    with pytest.raises(NotFound):
        outages.update("o-missing", {"severity": "minor"}, ME)
    assert bus.current_seq() == seq and len(outages.get(o["id"])["timeline"]) == 1


# -- delays ---------------------------------------------------------------------------------------


def test_delay_is_keyed_by_queue_and_shows_on_its_tile(bus, delays, config) -> None:
    set_ = delays.set("faults", {"reason": "Storm damage: high volume", "expected_wait": 480}, ME)
    assert set_["queue"] == "faults" and set_["author"] == ME and set_["active"]
    tile = queue_tile(config.queue("faults"), None, live(bus, "delay")["faults"], 30)
    assert tile["fields"]["delay"]["text"] == "Storm damage: high volume · expect 8:00"

    delays.set("faults", {"reason": "Still stormy", "expires_at": time.time() + 600}, "t:2")
    assert [d["reason"] for d in delays.list()] == ["Still stormy"]
    entry = audit(bus, limit=1)[0]
    assert entry["before"]["reason"] == "Storm damage: high volume"
    assert entry["after"]["reason"] == "Still stormy" and entry["actor"] == "t:2"

    delays.clear("faults", ME)
    assert live(bus, "delay") == {} and delays.list() == []
    entry = audit(bus, limit=1)[0]
    assert entry["action"] == "clear" and entry["after"] is None
    with pytest.raises(NotFound):
        delays.clear("faults", ME)


@pytest.mark.parametrize(
    ("queue", "fields", "field", "reason"),
    [
        ("nope", {"reason": "x"}, "queue", "unknown queue 'nope'"),
        ("faults", {}, "body", "no fields given"),
        ("faults", {"expected_wait": 60}, "reason", "is required"),
        ("faults", {"reason": "x" * 201}, "reason", "at most 200"),
        ("faults", {"reason": "x", "expected_wait": -1}, "expected_wait", "greater than or equal"),
        ("faults", {"reason": "x", "expires_at": time.time() - 1}, "expires_at", "in the future"),
        ("faults", {"reason": "x", "queue": "billing"}, "queue", "unknown field"),
    ],
)
def test_bad_delays_are_refused_naming_the_field(delays, unchanged, queue, fields, field, reason):
    with pytest.raises(SchemaError) as err:
        delays.set(queue, fields, ME)
    assert err.value.field == field and reason in err.value.reason


# -- audit log ------------------------------------------------------------------------------------


def test_audit_reads_newest_first_with_limit_and_kind_across_pages(bus: Bus) -> None:
    log = AuditLog(bus.client, bus.prefix)
    pipe = bus.client.pipeline()
    log.append(pipe, actor=ME, action="set", kind="delay", id="faults", before=None, after={}, at=1)
    for i in range(1200):
        log.append(pipe, actor=ME, action="post", kind="message", id=f"m{i}", before=None,
                   after={"n": i}, at=2 + i)  # fmt: skip
    pipe.execute()
    newest = log.read(limit=3)
    assert [e["id"] for e in newest] == ["m1199", "m1198", "m1197"]
    [delay] = log.read(limit=5, kind="delay")  # older than two whole pages of messages
    assert delay["id"] == "faults" and delay["actor"] == ME
    assert len(log.read(limit=2000, kind="message")) == 1200


# -- durability -----------------------------------------------------------------------------------


def test_everything_survives_a_redis_restart(own_redis: EmbeddedRedis, config: Config) -> None:
    bus = Bus.from_url(own_redis.url, config.redis.prefix)
    agent(bus, "a1", "North", ["billing"])
    messages, outages, delays = Messages(bus, config), Outages(bus, config), Delays(bus, config)
    m = messages.post({"text": "durable", "ack_required": True}, ME)
    messages.ack(m["id"], "a1", ME)
    o = outages.declare({"service": "Voice", "severity": "minor"}, ME)
    gone = outages.declare({"service": "Web", "severity": "minor"}, ME)
    outages.resolve(gone["id"], ME)
    delays.set("billing", {"reason": "Busy"}, ME)
    before = (messages.list(), messages.ack_status(m["id"]), outages.get(gone["id"]), audit(bus))

    own_redis.stop()
    own_redis.start()
    bus = Bus.from_url(own_redis.url, config.redis.prefix)
    messages, outages, delays = Messages(bus, config), Outages(bus, config), Delays(bus, config)
    assert (messages.list(), messages.ack_status(m["id"]), outages.get(gone["id"]), audit(bus)) == (
        before
    )
    assert [x["id"] for x in outages.list()["active"]] == [o["id"]]
    assert [d["queue"] for d in delays.list()] == ["billing"]
    after = messages.post({"text": "written after the restart"}, ME)  # scripts reloaded
    assert after["id"] in live(bus, "message")
    bus.client.close()
