"""Fuzzing the API's bodies: every POST, PATCH and PUT route, with generated JSON (and bytes
that are not JSON), as a supervisor. Always an answer below 500; a refusal is a 4xx naming the
field and the reason, and writes nothing. In process (Flask's test client, a real Redis of its
own) for 10^4 inputs; a smaller sample against the real server.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from conftest import write_config
from fuzzing import FUZZ, body, text, writes
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope
from feeds.config import load_config

ROUTES = [
    ("POST", "/messages"), ("PATCH", "/messages/{m}"), ("POST", "/messages/{m}/ack"),
    ("POST", "/messages/{m}/expire"), ("POST", "/outages"), ("PATCH", "/outages/{o}"),
    ("POST", "/outages/{o}/resolve"), ("PUT", "/delays/billing"), ("PUT", "/delays/{q}"),
    ("POST", "/events"), ("PUT", "/customers/{q}"), ("POST", "/customers"), ("POST", "/rules"),
    ("PATCH", "/rules/{r}"), ("POST", "/connect/records"),
]  # fmt: skip
request = st.tuples(
    st.sampled_from(ROUTES),
    st.one_of(body.map(lambda b: json.dumps(b).encode()), st.binary(max_size=64)),
    st.sampled_from(["application/json"] * 8 + ["text/plain", "application/x-www-form-urlencoded"]),
    text,
)


@pytest.fixture(scope="module")
def fuzz_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A Redis of this module's own: its change counter then counts only what the API wrote."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("fuzz-api"), persist=False).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def centre(fuzz_redis: EmbeddedRedis) -> tuple[Bus, str, dict[str, str]]:
    """An agent on the bus and as a user, a message and an outage to aim at, a token."""
    os.environ.setdefault("FLOORBOARD_SECRET_KEY", "fuzz-key-" + "x" * 40)
    bus = Bus.from_url(fuzz_redis.url, "fz:")
    accounts = Accounts(bus.client, "fz:")
    accounts.add_user("a01", "agent", "correct horse battery", team="North")
    bus.publish(
        make_envelope(
            "agent",
            "a01",
            {
                "name": "Ann",
                "state": "available",
                "since": time.time(),
                "team": "North",
                "skills": ["billing"],
            },
            ts=time.time(),
        )
    )
    token = accounts.create_token("fuzz", "supervisor")
    ids = {"m": "m-0000000001", "o": "o-0000000001", "r": "r-0000000001"}
    return bus, token, ids


def check(status: int, payload: bytes, before: int, after: int) -> None:
    assert status < 500, payload
    if status >= 400:
        error = json.loads(payload)["error"]
        assert isinstance(error["field"], str) and error["field"], error
        assert isinstance(error["reason"], str) and error["reason"], error
        assert after == before, f"a refusal ({status}) wrote to Redis"


def path_of(route: tuple[str, str], ids: dict[str, str], word: str) -> str:
    return "/api/v1" + route[1].format(**ids, q=quote(word, safe="") or "x")


def test_api_bodies_in_process(centre, fuzz_redis, tmp_path) -> None:
    from app import create_app

    bus, token, ids = centre
    config = load_config(write_config(tmp_path, "fz:"))
    client = create_app(config, fuzz_redis.url).server.test_client()
    posted = client.post("/api/v1/messages", json={"text": "aim"},
                         headers={"Authorization": f"Bearer {token}"}).get_json()  # fmt: skip
    ids["m"] = posted["id"]
    seen = {"n": 0, "refused": 0}

    @FUZZ
    @given(request)
    def one(req: tuple) -> None:
        route, data, content_type, word = req
        before = writes(bus.client)
        r = client.open(path_of(route, ids, word), method=route[0], data=data, headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type})  # fmt: skip
        check(r.status_code, r.data, before, writes(bus.client))
        seen["n"] += 1
        seen["refused"] += r.status_code >= 400

    one()
    assert seen["n"] >= FUZZ.max_examples and seen["refused"] > seen["n"] // 2


def test_api_bodies_against_the_real_server(centre, fuzz_redis, start_app) -> None:
    bus, token, ids = centre
    app = start_app(fuzz_redis.url, "fz:")

    @settings(FUZZ, max_examples=max(200, FUZZ.max_examples // 10))
    @given(request)
    def one(req: tuple) -> None:
        route, data, content_type, word = req
        before = writes(bus.client)
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        try:
            conn.request(route[0], path_of(route, ids, word), body=data, headers={
                "Authorization": f"Bearer {token}", "Content-Type": content_type})  # fmt: skip
            resp = conn.getresponse()
            status, payload = resp.status, resp.read()
        finally:
            conn.close()
        check(status, payload, before, writes(bus.client))

    one()
    assert app.get("/healthz")[0] == 200
