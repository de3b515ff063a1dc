"""The config's bounds reach the bus of every door, not only the aggregators: ``[ordering]``
(an event stamped 30 s ahead is refused under the default ``max_skew``, 5 s, and taken under
``max_skew = 60``, by the HTTP API, the app's bus, and by ``floorboard publish``, the CLI's),
and ``[history] stream_events``, the events the contacts stream keeps."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from conftest import write_config
from test_cli import floorboard

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.config import load_config


def ahead(cid: str) -> dict:
    at = time.time() + 30
    return {"kind": "contact", "id": cid, "ts": at, "data": {
        "event": "offered", "queue": "billing", "channel": "voice", "customer_id": f"k-{cid}",
        "enqueued_at": at}}  # fmt: skip


@pytest.mark.parametrize(("skew", "taken"), [(None, False), (60, True)])
def test_the_configs_skew_is_the_apis_and_the_clis(redis_server, tmp_path, monkeypatch, skew,
                                                   taken) -> None:  # fmt: skip
    from app import create_app

    prefix = f"ob{uuid.uuid4().hex[:8]}:"
    settings = {} if skew is None else {"max_skew": skew, "remember_hours": 30}
    path = write_config(tmp_path, prefix, settings=settings)
    config = load_config(path)
    bus = Bus.from_config(redis_server.url, config)
    assert (bus.max_skew, bus.remember) == (
        (5.0, 48 * 3600.0) if skew is None else (60.0, 30 * 3600.0)
    )
    monkeypatch.setenv("FLOORBOARD_SECRET_KEY", "test-key-" + "x" * 40)
    token = Accounts(bus.client, prefix).create_token("feed", "supervisor")
    client = create_app(config, redis_server.url).server.test_client()
    r = client.post("/api/v1/events", json=[ahead("c1")],
                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    if taken:
        assert r.status_code == 200, r.get_json()
    else:
        assert r.status_code == 400 and "ts" in json.dumps(r.get_json())
    env = {"REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(path)}
    cli = floorboard("publish", json.dumps(ahead("c2")), env=env)
    assert (cli.returncode == 0) is taken, cli.stderr
    if not taken:
        assert "ts" in cli.stderr and "ahead" in cli.stderr
    stream = [json.loads(f[b"e"])["id"] for _, f in bus.client.xrange(bus.contacts_key)]
    assert stream == (["c1", "c2"] if taken else [])


def test_the_contacts_stream_keeps_the_configs_stream_events(redis_server, tmp_path) -> None:
    from feeds.bus.schema import make_envelope

    sizes = {}
    for keep in (None, 1000):
        prefix = f"se{uuid.uuid4().hex[:8]}:"
        settings = {} if keep is None else {"stream_events": keep}
        config = load_config(write_config(tmp_path, prefix, settings=settings))
        bus = Bus.from_config(redis_server.url, config)
        now = time.time()
        envs = [make_envelope("contact", f"c{i}", {**ahead("x")["data"], "enqueued_at": now},
                              ts=now, source="t") for i in range(3000)]  # fmt: skip
        bus.publish_many(envs, now=now)
        sizes[keep] = bus.client.xlen(bus.contacts_key)
    assert sizes[None] == 3000  # under the default, 100,000
    assert 1000 <= sizes[1000] < 1300  # about: Redis trims whole nodes of 100 entries
