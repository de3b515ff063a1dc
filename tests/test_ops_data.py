"""``floorboard backup`` / ``restore`` / ``migrate`` against a real Redis, through the command.

Backup → wipe → restore is compared key by key with a reader of its own (not the backup's),
over data made by the real writers: a simulated half hour of contacts, agents and customers,
messages with acknowledgements, an outage with its timeline and resolved history, a delay
reason, authority rules, a ledger, users and tokens, the audit log; with keys the backup must
leave out (sessions, caches) and keys it has never heard of (which it keeps, and names).
The migration runs from a fixture of the data before schema versions (tests/data/schema-v0.json).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.customers.rules import Rules
from feeds.data.keys import SCHEMA
from feeds.data.restore import restore
from feeds.notices.delays import Delays
from feeds.notices.messages import Messages
from feeds.notices.outages import Outages
from feeds.simulator.customers import DEMO_RULES
from feeds.simulator.simulation import Simulation

ROOT = Path(__file__).resolve().parent.parent
V0 = ROOT / "tests" / "data" / "schema-v0.json"


def floorboard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.fixture
def cli_env(redis_server, make_config, prefix) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": redis_server.url,
            "FLOORBOARD_CONFIG": str(make_config(prefix))}  # fmt: skip


def contents(bus: Bus) -> dict[str, tuple]:
    """Every key under the bus's prefix: (type, value in a comparable form, expiry second)."""
    client, out = bus.client, {}
    for key in client.scan_iter(match=f"{bus.prefix}*"):
        kind = client.type(key).decode()
        value = {
            "string": lambda k: client.get(k),
            "hash": lambda k: sorted(client.hgetall(k).items()),
            "list": lambda k: client.lrange(k, 0, -1),
            "set": lambda k: sorted(client.smembers(k)),
            "zset": lambda k: client.zrange(k, 0, -1, withscores=True),
            "stream": lambda k: client.xrange(k),
        }[kind](key)
        ttl = client.pttl(key)
        ends = round(time.time() + ttl / 1000) if ttl > 0 else None
        out[key.decode()[len(bus.prefix) :]] = (kind, value, ends)
    return out


def populate(bus: Bus, config) -> None:
    now = time.time()
    bus.publish_many(Simulation(config, seed=3, start=now - 1800).advance(now))
    messages = Messages(bus, config)
    posted = messages.post({"text": "Storm tonight", "priority": "urgent", "ack_required": True,
                            "audience": {"kind": "all", "value": None}}, "super")  # fmt: skip
    agent = next(iter(bus.client.hkeys(bus.state_key("agent")))).decode()
    messages.ack(posted["id"], agent, agent)
    outages = Outages(bus, config)
    for service in ("Broadband", "Mobile"):
        found = outages.declare({"service": service, "severity": "major",
                                 "status": "investigating"}, "super")  # fmt: skip
        outages.update(found["id"], {"status": "identified", "eta": now + 3600}, "super")
    outages.resolve(found["id"], "super")
    Delays(bus, config).set("billing", {"reason": "System slow", "expected_wait": 300}, "super")
    rules = Rules(bus, config)
    for fields in DEMO_RULES:
        rules.create(fields, "super")
    bus.client.hset(f"{bus.prefix}ledger:C1", "k-1", json.dumps({"id": "k-1", "amount": 10}))
    bus.client.expire(f"{bus.prefix}ledger:C1", 400 * 86400)
    accounts = Accounts(bus.client, bus.prefix)
    accounts.add_user("super", "supervisor", "a long password 1")
    accounts.create_token("acd", "supervisor")
    accounts.open_session({"kind": "user", "name": "super", "since": 0}, 600)  # transient
    bus.publish(make_envelope("queue", "billing", {"waiting": 3}, ts=now, event_id="e-1"))
    bus.client.set(f"{bus.prefix}cache:snapshot:wall", "{}", ex=60)  # transient
    bus.client.xadd(f"{bus.prefix}history:billing", {"e": '{"interval": 1}'})  # issue 11's kind
    bus.client.sadd(f"{bus.prefix}novel:thing", "a", "b")  # a kind no release lists yet
    bus.client.set(f"{bus.prefix}blob", bytes(range(256)))  # not text


def test_backup_wipe_restore_loses_nothing(bus: Bus, make_config, prefix, cli_env, tmp_path):
    populate(bus, load_config(make_config(prefix)))
    before = contents(bus)
    assert {"contacts", "audit", "users", "tokens", "outages:resolved"} <= set(before)
    # What the issue names: messages, outages, delay reasons, customers, authority rules, history.
    assert {f"state:{kind}" for kind in ("message", "outage", "delay", "customer", "rule")} <= set(
        before)  # fmt: skip
    assert "history:billing" in before and any(k.startswith("ledger:") for k in before)
    assert any(k.startswith("timeline:") for k in before)
    assert any(k.startswith("acks:") for k in before)
    assert any(k.startswith("customer-order:") and v[2] for k, v in before.items())  # expiring

    file = tmp_path / "backup.json"
    made = floorboard("backup", str(file), env=cli_env)
    assert made.returncode == 0, made.stderr
    assert file.stat().st_mode & 0o077 == 0  # password hashes: the owner's only
    report = made.stderr
    assert "left out   1  session:*: sign-ins" in report
    assert "left out   1  cache:*" in report and "left out   1  event:*" in report
    assert "kept, not known to this release: novel:thing" in report
    assert "kept, not known to this release: blob" in report
    saved = json.loads(file.read_text())
    assert {x["pattern"] for x in saved["left_out"]} == {"session:*", "cache:*", "event:*"}
    assert saved["unrecognised"] == ["blob", "novel:thing"]

    bus.client.delete(*(prefix + k for k in before))  # the wipe
    assert contents(bus) == {}
    put = floorboard("restore", str(file), env=cli_env)
    assert put.returncode == 0, put.stderr
    transient = {k for k in before if k.split(":")[0] in ("session", "cache", "event")}
    assert len(transient) == 3
    after = contents(bus)
    assert set(after) == set(before) - transient
    for key in after:
        kind, value, expires = before[key]
        assert after[key][:2] == (kind, value), key
        assert (after[key][2] is None) == (expires is None), key
        assert expires is None or abs(after[key][2] - expires) <= 2, key

    # Never into existing data, never under running apps.
    again = floorboard("restore", str(file), env=cli_env)
    assert again.returncode == 1 and "keys are already under" in again.stderr
    follower = bus.client.pubsub()
    follower.subscribe(bus.channel)
    try:
        busy = floorboard("restore", "--replace", str(file), env=cli_env)
        assert busy.returncode == 1 and "1 app workers follow" in busy.stderr
    finally:
        follower.close()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**saved, "keys": {"x": {"type": "list", "value": "no"}}}))
    refused = floorboard("restore", "--replace", str(bad), env=cli_env)
    assert refused.returncode == 1
    assert "floorboard: keys.x.value: a list must be a JSON list" in refused.stderr


def test_migrate_brings_data_from_before_schema_versions_up_to_date(bus: Bus, cli_env) -> None:
    fixture = json.loads(V0.read_text())
    restore(bus.client, bus.prefix, fixture)
    kept = {k: v for k, v in contents(bus).items() if k not in ("tokens", "users")}

    check = floorboard("migrate", "--check", env=cli_env)
    assert check.returncode == 1
    assert "version none (written before versions: 0); this release: 1" in check.stdout
    assert "would run 1: credentials" in check.stdout
    ran = floorboard("migrate", env=cli_env)
    assert ran.returncode == 0, ran.stderr
    assert "revoked token 0123456789ab (acd-feed)" in ran.stdout
    assert "2 users keep their passwords, stored anew at their next sign-in: a01, ann" in ran.stdout
    assert "removed 1 old failed-sign-in counters" in ran.stdout
    assert bus.client.get(bus.prefix + SCHEMA) == b"1"

    accounts = Accounts(bus.client, bus.prefix)
    assert accounts.list_tokens() == []  # its hash can no longer be checked: issue a new one
    assert accounts.verify_password("ann", "wrong password") is None
    assert accounts.verify_password("ann", "old password 1").role == "supervisor"
    assert json.loads(bus.client.hget(bus.prefix + "users", "ann"))["password"].startswith(
        "scrypt:")  # fmt: skip  # stored anew, in Werkzeug's form
    assert accounts.verify_password("ann", "old password 1") is not None
    now = contents(bus)
    assert "login-failures:ann" not in now
    for key, value in kept.items():  # messages, outages, the audit log: untouched
        if key not in ("login-failures:ann", SCHEMA):
            assert now[key] == value, key

    twice = floorboard("migrate", env=cli_env)
    assert twice.returncode == 0 and "nothing to do: version 1" in twice.stdout
    bus.client.set(bus.prefix + SCHEMA, 7)
    newer = floorboard("migrate", env=cli_env)
    assert newer.returncode == 1 and "version 7; this release knows up to 1" in newer.stderr
