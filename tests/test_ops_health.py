"""``/healthz`` and ``/readyz`` against a real Redis that is up, lagging behind, stopped and
back, and holding data newer than the app: what a load balancer and an orchestrator see.
"""

from __future__ import annotations

import json
import threading
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.data.keys import SCHEMA


def probe(app, path: str) -> tuple[int, dict]:
    status, body = app.get(path)
    return status, json.loads(body)


def until_status(app, path: str, status: int, failing: str = "", timeout: float = 20) -> dict:
    """The body once ``path`` answers ``status`` (and, if named, readiness check ``failing``
    fails)."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = probe(app, path)
        if got == status and (not failing or not body["checks"][failing]["ok"]):
            return body
        assert time.monotonic() < deadline, f"{path} still {got}: {body}"
        time.sleep(0.1)


def test_readiness_follows_redis_and_the_hub_while_liveness_stays(
    own_redis: EmbeddedRedis, prefix, start_app
) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    app = start_app(own_redis.url, prefix, settings={"max_lag": 50})

    # Up: every check passes.
    status, ready = probe(app, "/readyz")
    assert status == 200 and ready["status"] == "ready", ready
    assert {name: c["ok"] for name, c in ready["checks"].items()} == {
        "hub": True, "redis": True, "lag": True, "schema": True,
    }  # fmt: skip
    schema = ready["checks"]["schema"]
    assert (
        schema["data"] is None and schema["app"] == 1 and "floorboard migrate" in schema["detail"]
    )
    status, alive = probe(app, "/healthz")
    assert status == 200 and alive["status"] == "alive" and alive["bus"]["up"]

    # Lagging: Redis's sequence runs ahead of what the hub has (writes it was never told of).
    stop = threading.Event()

    def run_ahead() -> None:
        while not stop.is_set():
            bus.client.incrby(bus.seq_key, 1000)
            time.sleep(0.05)

    ahead = threading.Thread(target=run_ahead, daemon=True)
    ahead.start()
    try:
        lagging = until_status(app, "/readyz", 503, failing="lag")
        assert not lagging["checks"]["lag"]["ok"] and lagging["checks"]["lag"]["behind"] > 50
        assert lagging["checks"]["redis"]["ok"]
        assert app.get("/healthz")[0] == 200
    finally:
        stop.set()
        ahead.join()
    until_status(app, "/readyz", 200)  # the hub resnapshots and catches up

    # Data newer than this release: not ready, and it says why.
    bus.client.set(prefix + SCHEMA, 99)
    newer = until_status(app, "/readyz", 503, failing="schema")
    assert "newer than this release" in newer["checks"]["schema"]["detail"]
    bus.client.set(prefix + SCHEMA, 1)
    assert probe(app, "/readyz")[1]["checks"]["schema"]["detail"] == "current"

    # Redis stopped: not ready (Redis and the hub say so); alive; metrics still answer.
    own_redis.stop()
    down = until_status(app, "/readyz", 503, failing="hub")  # noticed within 2 s
    assert not down["checks"]["redis"]["ok"]
    assert "cannot reach Redis" in down["checks"]["redis"]["detail"]
    status, alive = probe(app, "/healthz")
    assert status == 200 and not alive["bus"]["up"]
    scraped = requests.get(f"{app.base}/metrics", timeout=5)
    assert scraped.status_code == 200 and "floorboard_bus_up 0.0" in scraped.text
    own_redis.start()
    back = until_status(app, "/readyz", 200)
    assert all(c["ok"] for c in back["checks"].values())
    counted = {s.name: s.value for f in text_string_to_metric_families(
        requests.get(f"{app.base}/metrics", timeout=5).text) for s in f.samples}  # fmt: skip
    assert counted["floorboard_bus_lost_total"] >= 1
    assert counted["floorboard_redis_reconnects_total"] >= 1 and counted["floorboard_bus_up"] == 1
    bus.client.close()
