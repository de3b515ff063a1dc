"""Ingest over HTTP on the real app server and a real Redis: event ids make a retry count once,
a credential over its ingest limit gets 429 with Retry-After, each batch is its producer's
heartbeat, the OpenAPI description covers every route and is valid, and Amazon Connect records
posted over HTTP become the wall's figures through the one ``floorboard aggregate`` process.

One app server for the module (its ingest limit lowered to 5 batches a minute); each test
posts with a token of its own, so none uses up another's limit.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AppServer, write_config
from openapi_spec_validator import validate
from test_cli import until_sigterm
from test_connect import AGENTS, CONTACTS, EVENING, records

from feeds.accounts.store import Accounts
from feeds.adapters.follow import Follower
from feeds.bus.bus import Bus
from feeds.bus.schema import DATA_MODELS
from feeds.config import Config, load_config

LIMIT = 5  # batches a minute per credential, for this module's app


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"i{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="module")
def bus(redis_server, prefix) -> Iterator[Bus]:
    b = Bus.from_url(redis_server.url, prefix)
    yield b
    b.client.close()


@pytest.fixture(scope="module")
def config_path(tmp_path_factory, prefix) -> Path:
    return write_config(tmp_path_factory.mktemp("ingest"), prefix,
                        settings={"ingest_limit": f"{LIMIT}/minute"})  # fmt: skip


@pytest.fixture(scope="module")
def app(redis_server, config_path, monkeypatch_module) -> Iterator[AppServer]:
    server = AppServer(redis_server.url, config_path, config_path.parent / "app.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLOORBOARD_SECRET_KEY", "test-key-" + "x" * 40)
        yield mp


def token(bus: Bus, label: str | None = None) -> str:
    label = label or f"t{uuid.uuid4().hex[:6]}"
    return Accounts(bus.client, bus.prefix).create_token(label, "supervisor")


def post(app: AppServer, path: str, body: Any, tok: str) -> tuple[int, Any, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    try:
        conn.request("POST", f"/api/v1{path}", body=json.dumps(body).encode(), headers={
            "Authorization": f"Bearer {tok}", "Content-Type": "application/json"})  # fmt: skip
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null"), dict(resp.getheaders())
    finally:
        conn.close()


def contact(cid: str, event: str, at: float, event_id: str | None = None) -> dict[str, Any]:
    data = {"event": event, "queue": "billing", "channel": "voice", "customer_id": f"k-{cid}",
            "enqueued_at": at - 30}  # fmt: skip
    if event == "abandoned":
        data["ended_at"] = at
    env = {"kind": "contact", "id": cid, "ts": at, "data": data}
    return {**env, "event_id": event_id} if event_id else env


def test_a_retry_with_event_ids_counts_once_and_says_which_were_duplicates(app, bus) -> None:
    tok, now = token(bus), time.time() - 60
    batch = [contact("r1", "offered", now, "acd:r1:offered"),
             contact("r1", "abandoned", now + 20, "acd:r1:abandoned")]  # fmt: skip
    status, first, _ = post(app, "/events", batch, tok)
    assert status == 200 and first["duplicates"] == 0
    assert all(p["seq"] > 0 and "duplicate" not in p for p in first["published"])
    status, again, _ = post(app, "/events", batch, tok)  # the producer's retry
    assert status == 200 and again["duplicates"] == 2
    assert [(p["seq"], p["duplicate"]) for p in again["published"]] == [(0, True), (0, True)]
    written = [json.loads(e[1][b"e"]) for e in bus.client.xrange(bus.contacts_key)]
    assert [e["data"]["event"] for e in written if e["id"] == "r1"] == ["offered", "abandoned"]


def test_each_batch_is_its_producer_s_heartbeat(app, bus) -> None:
    name = f"acd{uuid.uuid4().hex[:6]}"
    tok = token(bus, name)
    status, _, _ = post(app, "/events", [contact("h1", "offered", time.time() - 5)], tok)
    assert status == 200
    beat = bus.snapshot(["heartbeat"])[1]["heartbeat"][f"api:{name}"]
    assert beat.data["interval"] == 60 and beat.source == f"api:{name}"
    assert time.time() - beat.ts < 10


def test_over_its_limit_a_credential_gets_429_with_retry_after(app, bus) -> None:
    tok, other = token(bus), token(bus)
    bad = {"kind": "queue", "id": "billing", "data": {"waiting": -1}}
    assert post(app, "/events", bad, tok)[0] == 400  # refused: costs nothing of the limit
    for n in range(LIMIT):
        assert post(app, "/events", contact(f"l{n}", "offered", time.time() - 5), tok)[0] == 200
    seq = bus.current_seq()
    status, body, headers = post(app, "/events", contact("lx", "offered", time.time() - 5), tok)
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60
    assert body["error"]["field"] == "rate" and f"{LIMIT}/minute" in body["error"]["reason"]
    assert bus.current_seq() == seq  # nothing of it written
    assert post(app, "/connect/records", records(CONTACTS)[0], tok)[0] == 429  # one limit
    assert post(app, "/events", contact("ly", "offered", time.time() - 5), other)[0] == 200


def test_the_openapi_description_is_valid_and_covers_every_route(app, config_path) -> None:
    status, raw = app.get("/api/v1/openapi.json")  # no credentials needed
    assert status == 200
    doc = json.loads(raw)
    validate(doc)  # a valid OpenAPI 3.1 document
    from app import create_app  # the app's own routes, as Flask knows them
    from dashboard.api.openapi import BODIES, components

    server = create_app(load_config(config_path), "redis://127.0.0.1:1/0").server
    routes = {(r.rule.removeprefix("/api/v1"), m.lower(), r.endpoint.split(".")[-1])
              for r in server.url_map.iter_rules() if r.rule.startswith("/api/v1/")
              for m in r.methods - {"HEAD", "OPTIONS"}}  # fmt: skip
    for rule, method, endpoint in routes:
        path = rule.replace("<", "{").replace(">", "}")
        assert method in doc["paths"][path], (method, path)
        op = doc["paths"][path][method]
        assert op["summary"] and op["responses"]
        if method in ("post", "put", "patch"):
            assert endpoint in BODIES, f"{endpoint}: describe its body in openapi.BODIES"
    events = doc["paths"]["/events"]["post"]
    assert "429" in events["responses"] and "supervisor" in events["description"]
    schemas = components()
    for model in DATA_MODELS.values():  # every kind's fields, as the schema has them
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)


def _aggregated(bus: Bus, config: Config) -> dict[str, dict]:
    start = time.monotonic()
    follower = Follower(config, bus, clock=lambda: EVENING + time.monotonic() - start)
    follower.start()
    follower.step()
    follower.producer.flush(final=True)
    return {q: e.data for q, e in bus.snapshot(["queue"])[1]["queue"].items()
            if e.source == "aggregate"}  # fmt: skip


def test_connect_records_over_http_become_the_wall_s_figures(app, bus, config_path) -> None:
    tok = token(bus)
    batch = records(AGENTS) + records(CONTACTS)
    bad = [*batch[:2], {**records(CONTACTS)[0], "Queue": {"Name": "BasicQueue"}}]
    seq = bus.current_seq()
    status, body, _ = post(app, "/connect/records", bad, tok)
    assert (status, body["error"]["field"]) == (400, "2.Queue.EnqueueTimestamp")
    assert bus.current_seq() == seq  # a bad record: nothing of the batch written

    status, body, _ = post(app, "/connect/records", batch, tok)
    assert status == 200 and (body["records"], body["not_the_boards"]) == (20, 5)
    assert body["duplicates"] == 3  # the contact record Connect delivered twice
    again = post(app, "/connect/records", batch, tok)[1]  # a consumer's retry
    assert again["duplicates"] == len(again["published"])
    beat = bus.snapshot(["heartbeat"])[1]["heartbeat"]["connect"]
    assert beat.data["interval"] == 60

    t = _aggregated(bus, load_config(config_path))  # the one aggregating process
    billing, chat = t["billing"], t["chat"]
    assert (billing["offered"], billing["answered"], billing["abandoned"]) == (3, 1, 2)
    assert (billing["service_level"], billing["abandon_rate"]) == (0.5, 0.5)
    assert (billing["asa"], billing["aht"]) == (12, 200 + 28 + 30)
    assert billing["agents"]["available"] == 1 and billing["agents"]["away"] == 1
    assert (chat["offered"], chat["answered"], chat["asa"], chat["aht"]) == (1, 1, 50, 320)
    follows = bus.snapshot(["heartbeat"])[1]["heartbeat"]["aggregate"].data["follows"]
    assert follows == ["connect"]


def test_floorboard_aggregate_runs_until_sigterm(redis_server, tmp_path) -> None:
    prefix = f"g{uuid.uuid4().hex[:10]}:"
    own = Bus.from_url(redis_server.url, prefix)
    env = {"REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(write_config(tmp_path, prefix))}
    code, out, err = until_sigterm(
        ["aggregate"], env, lambda: "aggregate" in own.snapshot(["heartbeat"])[1]["heartbeat"]
    )
    assert code == 0, err
    assert "events of the day at the start" in out
