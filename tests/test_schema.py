"""Schema: every kind accepts a valid item and refuses invalid ones, naming the field."""

from __future__ import annotations

import hashlib
import json

import pydantic_core
import pytest

from feeds.bus import ordering
from feeds.bus.schema import KINDS, make_envelope, parse_envelope
from feeds.errors import SchemaError

NOW = 1_763_900_000.0

VALID = {
    "queue": {"waiting": 3, "longest_wait_since": NOW - 40, "service_level": 0.8, "asa": 12.5},
    "agent": {"name": "Sam Patel", "state": "away", "since": NOW, "reason": "lunch",
              "skills": ["billing"], "team": "North"},
    "contact": {"event": "answered", "queue": "billing", "channel": "voice", "customer_id": "C1",
                "enqueued_at": NOW - 30, "answered_at": NOW, "agent_id": "a01", "tags": ["vip"]},
    "outage": {"service": "Broadband", "severity": "major", "status": "identified",
               "customer_wording": "We are fixing it", "queues": ["faults"], "started_at": NOW},
    "message": {"text": "Storm tonight", "priority": "urgent", "expires_at": NOW + 3600,
                "audience": {"kind": "queue", "value": "billing"}, "ack_required": True},
    "delay": {"queue": "faults", "reason": "Storm damage", "expected_wait": 480},
    "ack": {"message_id": "m1", "agent_id": "a01", "at": NOW},
    "heartbeat": {"interval": 5},
    "system": {"component": "acd", "status": "down", "detail": "link lost"},
    "customer": {"name": "Asha Patel", "preferred_name": "Mrs Patel", "segment": "Standard",
                 "region": "North East", "postcode_area": "NE", "products": ["Electricity"],
                 "cases": [{"id": "C-1042", "reason": "billing dispute", "priority": "high",
                            "eta": NOW + 86400}],
                 "callbacks": [{"due": NOW - 3600, "case_id": "C-1042"}],
                 "consent": {"marketing": False}, "tags": ["vip"]},
    "rule": {"title": "Goodwill credit", "action": "credit", "limit": 20, "allowance": 30,
             "queues": ["billing"], "teams": ["North"], "wording": "I've added a credit"},
    "commitment": {"customer_id": "AC1", "contact_id": "c1", "agent_id": "a01",
                   "type": "promised", "text": "Call back by 17:00", "due": NOW + 3600,
                   "at": NOW},
    "intraday": {"day": "2025-11-23", "step": 900,
                 "rows": [{"start": NOW, "offered": 12, "answered": 11, "service_level": 0.9,
                           "staffed": 4.5, "required": 5, "forecast_volume": 13.5}]},
    "alert_rule": {"rule": "state", "state": "wrap", "seconds": 180, "author": "sam"},
}  # fmt: skip

INVALID = {
    "queue": ({"waiting": -1}, "data.waiting"),
    "agent": ({"name": "Sam", "state": "busy", "since": NOW}, "data.state"),
    "contact": (
        {"event": "answered", "queue": "billing", "channel": "voice", "customer_id": "C1",
         "enqueued_at": NOW, "answered_at": NOW - 5},
        "data.answered_at",
    ),
    "outage": ({"service": "x", "severity": "huge", "status": "identified", "started_at": NOW},
               "data.severity"),
    "message": ({"text": "x" * 501, "expires_at": NOW}, "data.text"),
    "delay": ({"queue": "faults"}, "data.reason"),
    "ack": ({"message_id": "m1", "agent_id": "a 1", "at": NOW}, "data.agent_id"),
    "heartbeat": ({"interval": -1}, "data.interval"),
    "system": ({"component": "acd", "status": "sideways"}, "data.status"),
    "customer": ({"name": "A", "cases": [{"id": "C1", "reason": "x", "status": "lost"}]},
                 "data.cases.0.status"),
    "rule": ({"title": "Credit", "action": "credit", "limit": -5}, "data.limit"),
    "commitment": ({"customer_id": "AC1", "agent_id": "a01", "type": "gave", "text": "",
                    "at": NOW}, "data.text"),
    "intraday": ({"day": "2025-11-23", "step": 900, "rows": [{"start": NOW, "offered": -3}]},
                 "data.rows.0.offered"),
    "alert_rule": ({"rule": "wait", "state": "wrap", "seconds": 60}, "data.state"),
}  # fmt: skip


def env(kind: str, data: dict, **over: object) -> dict:
    return {"kind": kind, "id": "x1", "ts": NOW, "source": "test", "data": data, **over}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_accepts_a_valid_item(kind: str) -> None:
    parsed = parse_envelope(env(kind, VALID[kind]))
    assert parsed.kind == kind
    assert parsed.body() is not None
    # Round trip through JSON gives the same envelope.
    assert parse_envelope(parsed.model_dump_json()) == parsed


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("source", "ts", "deleted"), [("test", NOW, False), ('a "quoted"\\ sourcé', int(NOW), True)]
)
def test_what_the_bus_stores_is_the_models_dump_and_the_digest_its_encoding(
    kind: str, source: str, ts: float, deleted: bool
) -> None:
    # the write encodes the data once for both (feeds.bus.bus): the same bytes as the model's
    # own dump, and the same identity as the encoding of [kind, id, ts, deleted, data]
    parsed = parse_envelope(env(kind, VALID[kind], source=source, ts=ts, deleted=deleted,
                                event_id="e:1"))  # fmt: skip
    data = pydantic_core.to_json(parsed.data)
    assert parsed.stored(data) == parsed.model_dump_json(exclude={"seq"}).encode()
    whole = pydantic_core.to_json([parsed.kind, parsed.id, parsed.ts, parsed.deleted, parsed.data])
    expected = hashlib.sha1(whole, usedforsecurity=False).hexdigest()[:16]
    assert ordering.digest(parsed, data) == ordering.digest(parsed) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_refuses_invalid_data_naming_the_field(kind: str) -> None:
    data, field = INVALID[kind]
    with pytest.raises(SchemaError) as err:
        parse_envelope(env(kind, data))
    assert err.value.field == field
    assert err.value.reason


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_field_in_data_is_refused(kind: str) -> None:
    with pytest.raises(SchemaError) as err:
        parse_envelope(env(kind, {**VALID[kind], "colour": "red"}))
    assert (err.value.field, err.value.reason) == ("data.colour", "unknown field")


@pytest.mark.parametrize(
    ("raw", "field", "reason_part"),
    [
        (env("weather", {}), "kind", "unknown kind 'weather'"),
        (env({"a": 1}, {}), "kind", "unknown kind {'a': 1}"),  # was a TypeError (fuzzing)
        (env("queue", {}, ts=NOW * 1000), "ts", "less than"),  # milliseconds, not seconds
        (env("queue", {}, ts=12.0), "ts", "greater than"),
        (env("queue", {}, ts="yesterday"), "ts", "number"),
        (env("queue", {}, id=""), "id", "at least 1"),
        (env("queue", {}, id="has space"), "id", "pattern"),
        ({"kind": "queue", "id": "q", "data": {}}, "ts", "is required"),
        (env("queue", {}, extra=1), "extra", "unknown field"),
        ("{not json", "", "not valid JSON"),
        ("[1, 2]", "", "JSON object"),
        (env("message", {"text": "hi", "expires_at": NOW, "audience": {"kind": "team"}}),
         "data.audience", "required when kind is 'team'"),
        (env("customer", {"name": "A", "consent": {"bad key": True}}), "data.consent.bad key",
         "pattern"),
        (env("contact", {**VALID["contact"], "reason": "x" * 121}), "data.reason", "at most 120"),
        (env("outage", {**VALID["outage"], "regions": [""]}), "data.regions.0", "at least 1"),
    ],
)  # fmt: skip
def test_envelope_errors_name_the_field(raw: object, field: str, reason_part: str) -> None:
    if isinstance(raw, dict):
        raw = json.dumps(raw)
    with pytest.raises(SchemaError) as err:
        parse_envelope(raw)
    assert err.value.field == field
    assert reason_part in err.value.reason


def test_defaults_are_filled_and_seq_starts_unassigned() -> None:
    e = make_envelope("queue", "billing", {"waiting": 2}, ts=NOW)
    assert e.seq == 0
    assert e.data["agents"]["available"] == 0
    assert e.data["service_level"] is None


def test_a_deleted_envelope_needs_no_data() -> None:
    e = parse_envelope(env("message", {}, deleted=True))
    assert e.deleted and e.data == {}


# -- strict bools and text that reads as it is stored ------------------------------------------


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "", None])
def test_bools_are_bools_not_words_or_numbers(value: object) -> None:
    """``ack_required: "yes"`` used to be taken as true: a typo must not change behaviour."""
    with pytest.raises(SchemaError) as err:
        parse_envelope(env("message", {**VALID["message"], "ack_required": value}))
    assert (err.value.field, err.value.reason) == (
        "data.ack_required",
        "Input should be a valid boolean",
    )
    with pytest.raises(SchemaError) as err:
        parse_envelope(env("queue", {}, deleted=value))
    assert err.value.field == "deleted"


def test_every_text_a_person_sees_is_stripped_of_hidden_characters() -> None:
    """U+202E would show "Refund £1000" as "Refund 0001£"; controls and bidi marks go, line
    breaks and tabs stay, in every text field of every kind."""
    trick = "\u202e\u2066\u200f\x07\x1b\x85\u061c"
    outage = parse_envelope(env("outage", {
        **VALID["outage"], "service": f"Broad{trick}band", "customer_wording": f"£1000{trick}",
        "internal_note": trick + "x", "workaround": "a\tb\r\nc" + trick, "offer": trick + "£5",
    })).data  # fmt: skip
    assert (outage["service"], outage["customer_wording"], outage["offer"]) == (
        "Broadband",
        "£1000",
        "£5",
    )
    assert (outage["internal_note"], outage["workaround"]) == ("x", "a\tb\nc")
    message = parse_envelope(
        env(
            "message",
            {
                **VALID["message"],
                "text": f"Refund {trick}£1000",
                "audience": {"kind": "team", "value": f"No{trick}rth"},
            },
        )
    ).data
    assert (message["text"], message["audience"]["value"]) == ("Refund £1000", "North")
    agent = parse_envelope(
        env(
            "agent",
            {
                **VALID["agent"],
                "name": f"{trick}Sam",
                "reason": f"lun{trick}ch",
                "team": "N\u202dorth",
            },
        )
    ).data
    assert (agent["name"], agent["reason"], agent["team"]) == ("Sam", "lunch", "North")
    assert parse_envelope(env("system", VALID["system"], source=f"ac{trick}d")).source == "acd"
    with pytest.raises(SchemaError) as err:  # only hidden characters: as empty as it looks
        parse_envelope(env("message", {**VALID["message"], "text": trick}))
    assert err.value.field == "data.text"


def test_an_event_id_is_accepted_checked_and_never_sent_on() -> None:
    e = parse_envelope(env("queue", {}, event_id="ami:1700000000.12:offered"))
    assert e.event_id == "ami:1700000000.12:offered"
    assert "event_id" not in json.loads(e.model_dump_json())  # write path only
    assert make_envelope("queue", "q", {}, ts=NOW, event_id="k1").event_id == "k1"
    with pytest.raises(SchemaError) as err:
        parse_envelope(env("queue", {}, event_id="has space"))
    assert err.value.field == "event_id"


def test_a_heartbeat_carries_its_rate_and_whether_its_upstream_is_reached() -> None:
    e = make_envelope("heartbeat", "ami", {"interval": 5, "rate": 12.5, "connected": False}, ts=NOW)
    assert (e.data["rate"], e.data["connected"]) == (12.5, False)
    with pytest.raises(SchemaError) as err:
        make_envelope("heartbeat", "ami", {"rate": -1}, ts=NOW)
    assert err.value.field == "data.rate"
