"""``/api/v1`` on the real app server (gunicorn + gevent) against a real Redis.

Credentials are API tokens made with the account store directly in the test's Redis; bearer
requests need no CSRF token. Every refusal must be a 4xx naming the field, and change nothing.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope

ROLES = ("viewer", "agent", "supervisor", "admin")


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session-signing key for the app, so it does not make one under the repo's .state."""
    monkeypatch.setenv("FLOORBOARD_SECRET_KEY", "test-key-" + "x" * 40)


@dataclass
class Api:
    port: int
    tokens: dict[str, str]

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        role: str | None = "supervisor",
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """(status, parsed JSON body or None) of one request as a token of ``role``."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = content_type
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, f"/api/v1{path}", body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        return resp.status, json.loads(payload) if payload else None


def agent(bus: Bus, agent_id: str, team: str, skills: list[str]) -> None:
    data = {"name": agent_id.upper(), "state": "available", "since": time.time(), "team": team,
            "skills": skills}  # fmt: skip
    bus.publish(make_envelope("agent", agent_id, data, ts=time.time(), source="test"))


def tokens(bus: Bus) -> dict[str, str]:
    """One token per role; the agent's label is its agent id (it acknowledges as ``a1``)."""
    accounts = Accounts(bus.client, bus.prefix)
    return {role: accounts.create_token("a1" if role == "agent" else role, role) for role in ROLES}


@pytest.fixture
def api(start_app, redis_server, prefix, bus: Bus) -> Api:
    agent(bus, "a1", "North", ["billing", "faults"])
    agent(bus, "a2", "North", ["faults"])
    agent(bus, "a3", "South", ["chat"])
    app = start_app(redis_server.url, prefix)
    return Api(app.port, tokens(bus))


def later(seconds: float = 3600) -> float:
    return time.time() + seconds


def field_of(body: Any) -> str:
    return body["error"]["field"]


# -- who may call what ----------------------------------------------------------------------------

ROUTES = [
    # (method, path, body, least role that may call it)
    ("GET", "/messages", None, "viewer"),
    ("POST", "/messages", {"text": "x"}, "supervisor"),
    ("GET", "/messages/m-0000000000", None, "viewer"),
    ("PATCH", "/messages/m-0000000000", {"text": "y"}, "supervisor"),
    ("POST", "/messages/m-0000000000/expire", None, "supervisor"),
    ("GET", "/messages/m-0000000000/acks", None, "supervisor"),
    ("POST", "/messages/m-0000000000/ack", None, "agent"),
    ("GET", "/outages", None, "viewer"),
    ("POST", "/outages", {"service": "x", "severity": "minor"}, "supervisor"),
    ("GET", "/outages/o-0000000000", None, "viewer"),
    ("PATCH", "/outages/o-0000000000", {"severity": "major"}, "supervisor"),
    ("POST", "/outages/o-0000000000/resolve", None, "supervisor"),
    ("GET", "/delays", None, "viewer"),
    ("PUT", "/delays/billing", {"reason": "Busy"}, "supervisor"),
    ("DELETE", "/delays/billing", None, "supervisor"),
    ("GET", "/audit", None, "supervisor"),
    ("POST", "/events", {"kind": "queue", "id": "billing", "data": {"waiting": 1}}, "supervisor"),
]


def test_every_route_refuses_no_credentials_401_and_a_lower_role_403(api: Api, bus: Bus) -> None:
    seq = bus.current_seq()
    for method, path, body, least in ROUTES:
        status, reply = api(method, path, body, role=None)
        assert (status, field_of(reply)) == (401, "authorization"), (method, path)
        for role in ROLES[: ROLES.index(least)]:
            status, reply = api(method, path, body, role=role)
            assert (status, field_of(reply)) == (403, "authorization"), (method, path, role)
    assert bus.current_seq() == seq  # nothing a refused caller sent was written


def test_a_bad_or_revoked_token_is_401(api: Api, bus: Bus) -> None:
    api.tokens["forged"] = api.tokens["supervisor"][:-4] + "AAAA"
    assert api("GET", "/messages", role="forged")[0] == 401
    token_id = api.tokens["supervisor"].split("_")[1]
    Accounts(bus.client, bus.prefix).revoke_token(token_id)
    assert api("POST", "/messages", {"text": "x"})[0] == 401


# -- messages -------------------------------------------------------------------------------------


def test_message_post_list_get_edit_expire(api: Api, bus: Bus) -> None:
    north = {"kind": "team", "value": "North"}
    status, m = api(
        "POST", "/messages", {"text": "Storm\nwarning", "priority": "urgent", "audience": north}
    )
    assert status == 201 and m["status"] == "active" and m["author"] == "token: supervisor"
    assert bus.snapshot(["message"])[1]["message"][m["id"]].data["text"] == "Storm\nwarning"

    # Team North's message is agent a1's (North) to read, not a viewer's (walls never show it).
    status, listed = api("GET", "/messages", role="agent")
    assert status == 200 and [x["id"] for x in listed["messages"]] == [m["id"]]
    assert api("GET", f"/messages/{m['id']}", role="agent") == (200, m)
    assert api("GET", "/messages", role="viewer") == (200, {"messages": []})
    assert api("GET", f"/messages/{m['id']}", role="viewer")[0] == 404

    status, edited = api(
        "PATCH", f"/messages/{m['id']}", {"text": "Storm over", "ack_required": True}
    )
    assert status == 200 and edited["id"] == m["id"] and edited["ack_required"] is True
    assert edited["text"] == "Storm over" and edited["priority"] == "urgent"

    status, expired = api("POST", f"/messages/{m['id']}/expire")
    assert status == 200 and expired["status"] == "expired"
    assert api("GET", "/messages")[1]["messages"][0]["status"] == "expired"
    status, reply = api("POST", f"/messages/{m['id']}/expire")
    assert (status, field_of(reply)) == (409, "id")


def test_acks_by_agents_and_on_their_behalf(api: Api, bus: Bus) -> None:
    _, m = api("POST", "/messages", {"text": "Read me", "ack_required": True,
                                     "audience": {"kind": "queue", "value": "faults"}})  # fmt: skip
    status, acks = api("GET", f"/messages/{m['id']}/acks")
    assert status == 200 and acks["targeted"] == ["a1", "a2"] and acks["pending"] == ["a1", "a2"]

    status, ack = api("POST", f"/messages/{m['id']}/ack", role="agent")  # the a1 token, as itself
    assert status == 200 and ack["agent_id"] == "a1"
    status, reply = api("POST", f"/messages/{m['id']}/ack", {"agent_id": "a2"}, role="agent")
    assert (status, field_of(reply)) == (403, "agent_id")
    status, ack2 = api("POST", f"/messages/{m['id']}/ack", {"agent_id": "a2"})  # a supervisor
    assert status == 200 and ack2["agent_id"] == "a2"

    acks = api("GET", f"/messages/{m['id']}/acks")[1]
    assert acks["pending"] == [] and set(acks["acknowledged"]) == {"a1", "a2"}
    assert api("GET", "/messages")[1]["messages"][0]["acks"] == {"targeted": 2, "acknowledged": 2}
    assert set(bus.snapshot(["ack"])[1]["ack"]) == {f"{m['id']}:a1", f"{m['id']}:a2"}

    for body, code, field in [
        ({"agent_id": "a3"}, 400, "agent_id"),  # not in the faults queue
        ({"agent_id": "a9"}, 400, "agent_id"),  # no such agent
        ({}, 400, "agent_id"),  # a supervisor token is nobody's agent
        ({"agent": "a1"}, 400, "agent"),
    ]:
        status, reply = api("POST", f"/messages/{m['id']}/ack", body)
        assert (status, field_of(reply)) == (code, field), body
    status, reply = api("POST", "/messages/m-0000000000/ack", role="agent")
    assert (status, field_of(reply)) == (404, "message_id")


BAD_MESSAGES = [
    ({"priority": "urgent"}, "text", "is required"),
    ({"text": "x" * 501}, "text", "at most 500 characters"),
    ({"text": "x", "expires_at": time.time() - 60}, "expires_at", "must be in the future"),
    ({"text": "x", "audience": {"kind": "queue", "value": "nope"}}, "audience.value",
     "unknown queue 'nope'"),
    ({"text": "x", "audience": {"kind": "agent", "value": "a99"}}, "audience.value",
     "unknown agent 'a99'"),
    ({"text": "x", "audience": "everyone"}, "audience", "valid dictionary"),
    ({"text": "x", "author": "not me"}, "author", "unknown field"),
    ([{"text": "x"}], "body", "must be a JSON object"),
]  # fmt: skip


def test_bad_messages_get_400_naming_the_field_and_change_nothing(api: Api, bus: Bus) -> None:
    _, m = api("POST", "/messages", {"text": "original"})
    seq = bus.current_seq()
    for body, field, reason in BAD_MESSAGES:
        for method, path in (("POST", "/messages"), ("PATCH", f"/messages/{m['id']}")):
            if method == "PATCH" and field == "text" and reason == "is required":
                continue  # an edit need not repeat the text
            status, reply = api(method, path, body)
            assert status == 400 and field_of(reply) == field, (method, body, reply)
            assert reason in reply["error"]["reason"]
    assert bus.current_seq() == seq
    assert api("GET", "/messages")[1]["messages"][0]["text"] == "original"
    status, reply = api("PATCH", "/messages/m-0000000000", {"text": "x"})
    assert (status, field_of(reply)) == (404, "id")


def test_malformed_too_large_and_non_json_bodies(api: Api, bus: Bus) -> None:
    seq = bus.current_seq()
    cases = [
        (b'{"text": "unterminated', "application/json", 400, "body"),
        (b"", "application/json", 400, "body"),
        (b'{"text": "' + b"x" * 70_000 + b'"}', "application/json", 413, "body"),
        (b"text=hello", "application/x-www-form-urlencoded", 415, "content-type"),
        (b"\xff\xfe\xfa", "application/json", 400, "body"),
    ]
    for path in ("/messages", "/outages", "/events"):
        for raw, content_type, code, field in cases:
            status, reply = api("POST", path, raw=raw, content_type=content_type)
            assert (status, field_of(reply)) == (code, field), (path, raw[:20])
    status, reply = api("PUT", "/delays/billing", raw=b"{", content_type="application/json")
    assert (status, field_of(reply)) == (400, "body")
    assert bus.current_seq() == seq


# -- outages --------------------------------------------------------------------------------------


def test_outage_declare_update_resolve_with_timeline(api: Api, bus: Bus) -> None:
    status, o = api("POST", "/outages", {
        "service": "Broadband", "severity": "major", "customer_wording": "Engineers on site",
        "internal_note": "Fibre cut", "workaround": "Use 4G", "eta": later(7200),
        "queues": ["faults"], "offer": "credit up to £10",
    })  # fmt: skip
    assert status == 201 and o["status"] == "investigating"
    assert [x["id"] for x in api("GET", "/outages", role="viewer")[1]["active"]] == [o["id"]]

    status, updated = api("PATCH", f"/outages/{o['id']}", {"status": "identified"})
    assert status == 200 and updated["status"] == "identified"
    status, resolved = api("POST", f"/outages/{o['id']}/resolve")
    assert status == 200 and resolved["resolved_by"] == "token: supervisor"
    assert bus.snapshot(["outage"])[1]["outage"] == {}

    listed = api("GET", "/outages", role="agent")[1]
    assert listed["active"] == [] and [x["id"] for x in listed["resolved"]] == [o["id"]]
    status, got = api("GET", f"/outages/{o['id']}", role="viewer")
    assert status == 200 and got["offer"] == "credit up to £10"
    assert [list(t["changes"]) for t in got["timeline"][1:]] == [["status"], ["status"]]

    status, reply = api("POST", f"/outages/{o['id']}/resolve")
    assert (status, field_of(reply)) == (409, "id")
    status, reply = api("GET", "/outages/o-0000000000")
    assert (status, field_of(reply)) == (404, "id")


def test_bad_outages_get_400_naming_the_field(api: Api, bus: Bus) -> None:
    seq = bus.current_seq()
    for body, field in [
        ({"severity": "major"}, "service"),
        ({"service": "x", "severity": "huge"}, "severity"),
        ({"service": "x", "severity": "major", "queues": ["nope"]}, "queues.0"),
        ({"service": "x", "severity": "major", "eta": time.time() - 60}, "eta"),
        ({"service": "x", "severity": "major", "customer_wording": "x" * 1001}, "customer_wording"),
    ]:
        status, reply = api("POST", "/outages", body)
        assert (status, field_of(reply)) == (400, field), body
    assert bus.current_seq() == seq


# -- delays ---------------------------------------------------------------------------------------


def test_delay_set_list_clear(api: Api, bus: Bus) -> None:
    status, d = api("PUT", "/delays/faults", {"reason": "Storm damage", "expected_wait": 480})
    assert status == 200 and d["queue"] == "faults" and d["author"] == "token: supervisor"
    assert bus.snapshot(["delay"])[1]["delay"]["faults"].data["expected_wait"] == 480
    assert [x["queue"] for x in api("GET", "/delays", role="viewer")[1]["delays"]] == ["faults"]
    assert api("DELETE", "/delays/faults") == (204, None)
    assert api("GET", "/delays")[1]["delays"] == []
    status, reply = api("DELETE", "/delays/faults")
    assert (status, field_of(reply)) == (404, "queue")

    for path, body, field in [
        ("/delays/nope", {"reason": "x"}, "queue"),
        ("/delays/faults", {"reason": "x" * 201}, "reason"),
        ("/delays/faults", {"reason": "x", "expected_wait": -5}, "expected_wait"),
        ("/delays/faults", {"reason": "x", "expires_at": time.time() - 1}, "expires_at"),
        ("/delays/faults", {}, "body"),
    ]:
        status, reply = api("PUT", path, body)
        assert (status, field_of(reply)) == (400, field), body


# -- audit and ingest -----------------------------------------------------------------------------


def test_audit_lists_who_changed_what_newest_first(api: Api) -> None:
    _, m = api("POST", "/messages", {"text": "one"})
    api("PATCH", f"/messages/{m['id']}", {"text": "two"}, role="admin")
    api("PUT", "/delays/billing", {"reason": "Busy"})
    entries = api("GET", "/audit?limit=2&kind=message")[1]["entries"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("edit", "token: admin"),
        ("post", "token: supervisor"),
    ]
    assert entries[0]["before"]["text"] == "one" and entries[0]["after"]["text"] == "two"
    assert [e["kind"] for e in api("GET", "/audit?limit=1")[1]["entries"]] == ["delay"]
    for query, field in [("limit=0", "limit"), ("limit=lots", "limit"), ("kind=queue", "kind")]:
        status, reply = api("GET", f"/audit?{query}")
        assert (status, field_of(reply)) == (400, field)


def test_ingest_validates_everything_before_publishing_anything(api: Api, bus: Bus) -> None:
    one = {"kind": "queue", "id": "billing", "data": {"waiting": 3}}
    seq = bus.current_seq()
    status, reply = api("POST", "/events", one)
    assert status == 200 and reply["published"] == [
        {"kind": "queue", "id": "billing", "seq": seq + 1}
    ]
    stored = bus.snapshot(["queue"])[1]["queue"]["billing"]
    assert stored.data["waiting"] == 3 and stored.source == "api:supervisor"

    seq = bus.current_seq()
    bad = [one, {"kind": "queue", "id": "faults", "data": {"waiting": "lots"}}]
    status, reply = api("POST", "/events", bad)
    assert (status, field_of(reply)) == (400, "1.data.waiting")
    status, reply = api("POST", "/events", [])
    assert (status, field_of(reply)) == (400, "body")
    status, reply = api("POST", "/events", {"kind": "rumour", "id": "x", "data": {}})
    assert (status, field_of(reply)) == (400, "kind")
    ahead = {**one, "ts": time.time() + 3600}  # a producer whose clock is an hour ahead
    status, reply = api("POST", "/events", [one, ahead])
    assert (status, field_of(reply)) == (400, "1.ts")
    assert bus.current_seq() == seq

    two = [one, {"kind": "queue", "id": "faults", "data": {"waiting": 1}}]
    status, reply = api("POST", "/events", two, role="admin")
    assert status == 200 and [p["seq"] for p in reply["published"]] == [seq + 1, seq + 2]


def test_ingest_refuses_a_message_for_an_audience_that_does_not_exist(api: Api, bus: Bus) -> None:
    """The notice routes' rule, on the feed's door too: no message nobody could be shown."""
    seq = bus.current_seq()
    until = time.time() + 600
    for audience, reason in [
        ({"kind": "team", "value": "Nowhere"}, "unknown team 'Nowhere'"),
        ({"kind": "agent", "value": "a9"}, "unknown agent 'a9'"),
        ({"kind": "queue", "value": "weather"}, "unknown queue 'weather'"),
    ]:
        event = {"kind": "message", "id": "m1", "data": {"text": "Hi", "expires_at": until,
                                                         "audience": audience}}  # fmt: skip
        status, reply = api("POST", "/events", [{"kind": "queue", "id": "q", "data": {}}, event])
        assert (status, reply["error"]) == (
            400,
            {"field": "1.data.audience.value", "reason": reason},
        )
    strict = {"kind": "message", "id": "m1", "data": {"text": "Hi", "expires_at": until,
                                                      "ack_required": "yes"}}  # fmt: skip
    status, reply = api("POST", "/events", strict)
    assert (status, field_of(reply)) == (400, "data.ack_required")
    assert bus.current_seq() == seq
    good = {
        "kind": "message",
        "id": "m1",
        "data": {"text": "Hi", "expires_at": until, "audience": {"kind": "team", "value": "South"}},
    }
    assert api("POST", "/events", good)[0] == 200


# -- live and durable -----------------------------------------------------------------------------


def wall_messages(event: dict) -> list[str]:
    return [m["text"] for m in event["data"]["items"]["messages"]["list"]]


def test_a_posted_message_reaches_the_wall_stream_of_its_queue_only(api: Api, sse) -> None:
    main = sse(api.port, "/stream?view=wall&board=main")
    voice = sse(api.port, "/stream?view=wall&board=voice")
    assert wall_messages(main.next_of("snapshot")) == []
    voice.next_of("snapshot")
    api(
        "POST",
        "/messages",
        {"text": "Chat is busy", "audience": {"kind": "queue", "value": "chat"}},
    )
    assert wall_messages(main.next_of("update", timeout=2)) == ["Chat is busy"]
    with pytest.raises(TimeoutError):
        voice.next_of("update", timeout=1.5)  # the voice board does not show the chat queue


def test_a_message_survives_restarting_the_app_and_redis(own_redis, start_app, prefix, sse):
    bus = Bus.from_url(own_redis.url, prefix)
    app = start_app(own_redis.url, prefix)
    api = Api(app.port, tokens(bus))
    _, m = api("POST", "/messages", {"text": "Still here after a restart", "ack_required": True})
    _, o = api("POST", "/outages", {"service": "Voice", "severity": "minor"})
    api("PUT", "/delays/billing", {"reason": "Busy"})
    before = api("GET", "/messages")[1]
    assert [x["id"] for x in before["messages"]] == [m["id"]]
    bus.client.close()

    app.stop()
    own_redis.stop()
    own_redis.start()
    api = Api(start_app(own_redis.url, prefix).port, api.tokens)

    assert api("GET", "/messages")[1] == before
    assert [x["id"] for x in api("GET", "/outages")[1]["active"]] == [o["id"]]
    assert [d["queue"] for d in api("GET", "/delays")[1]["delays"]] == ["billing"]
    assert [e["action"] for e in api("GET", "/audit")[1]["entries"]] == ["set", "declare", "post"]
    snapshot = sse(api.port, "/stream?view=wall&board=main").next_of("snapshot")
    assert wall_messages(snapshot) == ["Still here after a restart"]
