"""``floorboard message | outage | delay`` as a supervisor runs them, against a real Redis."""

from __future__ import annotations

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from test_cli import floorboard

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.notices.audit import AuditLog
from feeds.notices.messages import Messages


@pytest.fixture
def env(redis_server, prefix, make_config) -> dict[str, str]:
    return {
        "REDIS_URL": redis_server.url,
        "FLOORBOARD_CONFIG": str(make_config(prefix)),
        "USER": "sam",
    }


def run(env: dict[str, str], *args: str) -> str:
    r = floorboard(*args, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def posted_id(out: str) -> str:
    found = re.search(r"\b([mo]-[0-9a-f]{10})\b", out)
    assert found, out
    return found.group(1)


@pytest.fixture
def north(bus: Bus) -> None:
    for agent_id, name in (("a1", "Ann"), ("a2", "Bob")):
        data = {"name": name, "state": "available", "since": time.time(), "team": "North",
                "skills": ["billing"]}  # fmt: skip
        bus.publish(make_envelope("agent", agent_id, data, ts=time.time()))


def test_message_post_with_every_option(env, bus: Bus) -> None:
    out = run(
        env, "message", "post", "Storm tonight\nexpect outage calls", "--priority", "urgent",
        "--audience", "queue:billing", "--starts", "2031-06-01T09:00",
        "--expires", "2031-06-01T10:30+00:00", "--ack",
    )  # fmt: skip
    m = bus.snapshot(["message"])[1]["message"][posted_id(out)].data
    assert m["text"] == "Storm tonight\nexpect outage calls"
    assert m["priority"] == "urgent" and m["ack_required"] is True
    assert m["audience"] == {"kind": "queue", "value": "billing"}
    london = ZoneInfo("Europe/London")  # the example config's centre: naive times are local
    assert m["starts_at"] == datetime(2031, 6, 1, 9, 0, tzinfo=london).timestamp()
    assert m["expires_at"] == datetime(2031, 6, 1, 10, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert m["author"] == "cli: sam"
    assert "scheduled, urgent, queue:billing" in out


def test_message_relative_times_list_edit_expire(env, bus: Bus, north) -> None:
    before = time.time()
    mid = posted_id(run(env, "message", "post", "Team huddle at 3", "--expires", "+2h"))
    expires = bus.snapshot(["message"])[1]["message"][mid].data["expires_at"]
    assert before + 7200 <= expires <= time.time() + 7200
    assert re.search(rf"^{mid}  active +info +all .* no ack  Team huddle at 3$", run(
        env, "message", "list"), re.M)  # fmt: skip

    run(env, "message", "edit", mid, "--text", "Huddle moved to 4", "--audience", "team:North",
        "--ack")  # fmt: skip
    m = bus.snapshot(["message"])[1]["message"][mid].data
    assert m["text"] == "Huddle moved to 4" and m["ack_required"] is True
    assert m["audience"] == {"kind": "team", "value": "North"}

    assert "expired message" in run(env, "message", "expire", mid)
    assert re.search(rf"^{mid}  expired ", run(env, "message", "list"), re.M)
    actions = [e["action"] for e in AuditLog(bus.client, bus.prefix).read()]
    assert actions == ["expire", "edit", "post"]
    assert {e["actor"] for e in AuditLog(bus.client, bus.prefix).read()} == {"cli: sam"}


def test_message_acks_lists_who_acknowledged_and_who_has_not(env, bus, north) -> None:
    mid = posted_id(run(env, "message", "post", "Read me", "--audience", "team:North", "--ack"))
    Messages(bus, load_config(env["FLOORBOARD_CONFIG"])).ack(mid, "a2", "session:a2")
    out = run(env, "message", "acks", mid)
    assert out.splitlines()[0] == "1 of 2 targeted agents acknowledged"
    assert re.search(r"acknowledged  a2  Bob", out) and re.search(r"pending +a1  Ann", out)


def test_outage_declare_update_resolve_list(env, bus: Bus) -> None:
    out = run(
        env, "outage", "declare", "--service", "Broadband", "--severity", "major",
        "--wording", "Engineers are on site", "--note", "Fibre cut", "--workaround", "Use 4G",
        "--eta", "+2h", "--queues", "faults,billing", "--offer", "credit up to £10",
    )  # fmt: skip
    oid = posted_id(out)
    o = bus.snapshot(["outage"])[1]["outage"][oid].data
    assert (o["status"], o["queues"], o["offer"]) == ("investigating", ["faults", "billing"],
                                                     "credit up to £10")  # fmt: skip
    assert o["eta"] > time.time() + 7000

    run(env, "outage", "update", oid, "--status", "identified", "--severity", "critical")
    assert bus.snapshot(["outage"])[1]["outage"][oid].data["severity"] == "critical"
    listed = run(env, "outage", "list")
    assert listed.startswith("1 active") and f"{oid}  critical identified" in listed

    assert "resolved" in run(env, "outage", "resolve", oid)
    assert bus.snapshot(["outage"])[1]["outage"] == {}
    listed = run(env, "outage", "list")
    assert listed.startswith("0 active") and f"{oid}  critical resolved" in listed


def test_delay_set_list_clear(env, bus: Bus) -> None:
    run(env, "delay", "set", "faults", "Storm damage: high volume", "--wait", "8m",
        "--expires", "+1h")  # fmt: skip
    d = bus.snapshot(["delay"])[1]["delay"]["faults"].data
    assert d["reason"] == "Storm damage: high volume" and d["expected_wait"] == 480
    assert d["expires_at"] > time.time() + 3500
    assert re.search(r"^faults  active  Storm damage: high volume  expect 480s", run(
        env, "delay", "list"), re.M)  # fmt: skip
    assert "cleared delay on faults" in run(env, "delay", "clear", "faults")
    assert bus.snapshot(["delay"])[1]["delay"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["message", "post", "x" * 501], "text: String should have at most 500 characters"),
        (["message", "post", "x", "--expires", "2001-01-01T00:00"],
         "expires_at: must be in the future"),
        (["message", "post", "x", "--audience", "queue:nope"],
         "audience.value: unknown queue 'nope'"),
        (["message", "post", "x", "--audience", "agent:a99"],
         "audience.value: unknown agent 'a99'"),
        (["message", "post", "x", "--audience", "everyone"], "--audience: expected all, team:"),
        (["message", "post", "x", "--starts", "tomorrow"], "--starts: expected ISO 8601"),
        (["message", "edit", "m-0000000000", "--text", "y"], "id: no message 'm-0000000000'"),
        (["message", "expire", "m-0000000000"], "id: no message 'm-0000000000'"),
        (["outage", "declare", "--service", "x", "--severity", "major", "--queues", "nope"],
         "queues.0: unknown queue 'nope'"),
        (["outage", "declare", "--service", "x", "--severity", "major", "--eta", "2001-01-01"],
         "eta: must be in the future"),
        (["outage", "declare", "--severity", "major"], "the following arguments are required"),
        (["outage", "resolve", "o-0000000000"], "id: no outage 'o-0000000000'"),
        (["delay", "set", "nope", "Busy"], "queue: unknown queue 'nope'"),
        (["delay", "set", "faults", "Busy", "--wait", "soon"], "--wait: expected seconds"),
        (["delay", "clear", "faults"], "queue: queue 'faults' has no delay reason"),
    ],
)  # fmt: skip
def test_bad_input_exits_nonzero_with_field_and_reason_and_changes_nothing(
    env, bus: Bus, args, message
) -> None:
    r = floorboard(*args, env=env)
    assert r.returncode != 0
    assert message in r.stderr
    assert bus.current_seq() == 0 and AuditLog(bus.client, bus.prefix).read() == []


def test_without_a_redis_url_it_says_so(make_config, prefix) -> None:
    r = floorboard("message", "list", env={"FLOORBOARD_CONFIG": str(make_config(prefix))})
    assert r.returncode != 0 and "REDIS_URL is not set" in r.stderr
