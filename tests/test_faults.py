"""Never frozen: bad data on the bus, a hung or dead Redis, and a stuck path, against real
processes (the embedded Redis, the real ``floorboard serve``).

Each test here reproduces a way the live path used to stop for good, silently: walls kept
saying LIVE and ``/healthz`` answered 200 with a frozen sequence number.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import SchemaError, make_envelope, parse_envelope

WALL = "/stream?view=wall&board=main"


def queue(qid: str, waiting: int, **extra: object):
    return make_envelope("queue", qid, {"waiting": waiting, **extra}, ts=time.time())


def raw_envelope(bus: Bus, kind: str, item_id: str, data_json: str) -> str:
    """An envelope as a third party could write it, bypassing validation, with the next seq."""
    seq = bus.client.incr(bus.seq_key)
    return (
        f'{{"kind":"{kind}","id":"{item_id}","seq":{seq},"ts":{time.time()},'
        f'"source":"rogue","data":{data_json}}}'
    )


def tile_waiting(event: dict) -> str | None:
    item = event["data"].get("items", {}).get("tile:billing")
    return item["fields"]["waiting"]["text"] if item else None


def until_waiting(stream, text: str, timeout: float = 10) -> None:
    """Read snapshots and updates until the billing tile says ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tile_waiting(stream.next(timeout)) == text:
            return
    raise TimeoutError(f"the billing tile never said {text}")


@pytest.fixture
def wall(redis_server, prefix, start_app, sse):
    """A running app and an open wall stream past its snapshot: (bus, app, stream)."""
    bus = Bus.from_url(redis_server.url, prefix)
    app = start_app(redis_server.url, prefix)
    stream = sse(app.port, WALL)
    stream.next_of("snapshot")
    yield bus, app, stream
    bus.client.close()


def test_deeply_nested_json_on_the_channel_does_not_stop_the_stream(wall) -> None:
    bus, app, stream = wall
    bus.client.publish(bus.channel, "[" * 100_000)
    deep = '{"a":' * 60 + "1" + "}" * 60
    bus.client.publish(bus.channel, raw_envelope(bus, "queue", "billing", deep))
    bus.publish(queue("billing", 7))  # a snapshot may come first: the seq moved on
    until_waiting(stream, "7")
    status, body = app.get("/healthz")
    assert status == 200 and json.loads(body)["bus"]["up"]


def test_a_non_finite_number_in_a_stored_item_is_skipped_and_the_rest_applies(wall) -> None:
    bus, app, stream = wall
    bus.client.hset(
        bus.state_key("queue"), "faults", raw_envelope(bus, "queue", "faults", '{"asa": 1e999}')
    )
    bus.publish(queue("billing", 3))  # seq gap: the app resnapshots and meets the bad item
    got = {}
    deadline = time.monotonic() + 10
    while "tile:billing" not in got and time.monotonic() < deadline:
        ev = stream.next(10)
        if ev["event"] in ("snapshot", "update"):
            got.update(ev["data"]["items"])
    assert got["tile:billing"]["fields"]["waiting"]["text"] == "3"
    assert got.get("tile:faults", {}).get("ts") is None  # skipped: no data, not a crash
    bus.publish(queue("billing", 4))
    until_waiting(stream, "4")
    assert "skipping invalid stored queue item" in app.log()


def test_absurd_queue_statistics_are_refused_at_the_door() -> None:
    for data, field in (({"aht": 1e308}, "data.aht"), ({"asa": float("inf")}, "data.asa"),
                        ({"waiting": 10**12}, "data.waiting")):  # fmt: skip
        with pytest.raises(SchemaError) as err:
            parse_envelope({"kind": "queue", "id": "q", "ts": time.time(), "data": data})
        assert err.value.field == field


def test_a_hung_redis_shows_on_every_screen_within_two_seconds_and_comes_back(
    own_redis: EmbeddedRedis, prefix, start_app, sse
) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    bus.publish(queue("billing", 1))
    app = start_app(own_redis.url, prefix)
    stream = sse(app.port, WALL)
    stream.next_of("snapshot")
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        while True:
            ev = stream.next(10)
            if ev["event"] in ("system", "heartbeat") and not ev["data"]["bus"]["up"]:
                break
        noticed = time.monotonic() - stopped
        assert noticed <= 2.0, f"the band took {noticed:.2f} s"
        assert app.get("/healthz")[0] == 503
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    snap = stream.next_of("snapshot", 15)  # back: a fresh snapshot says the bus is up
    assert snap["data"]["bus"]["up"]
    bus.publish(queue("billing", 2))
    until_waiting(stream, "2")
    assert app.get("/healthz")[0] == 200
