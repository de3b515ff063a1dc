"""Never frozen: bad data on the bus, a hung or dead Redis, and a stuck path, against real
processes (the embedded Redis, the real ``floorboard serve``).

Each test here reproduces a way the live path used to stop for good, silently: walls kept
saying LIVE and the health check answered 200 with a frozen sequence number (now ``/readyz``
answers 503 while the path is down; ``/healthz`` only says the process answers).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
from conftest import SSEClient

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope, parse_envelope
from feeds.errors import SchemaError

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
        assert app.get("/readyz")[0] == 503  # no traffic for it; yet alive, nothing to restart
        assert app.get("/healthz")[0] == 200
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    snap = stream.next_of("snapshot", 15)  # back: a fresh snapshot says the bus is up
    assert snap["data"]["bus"]["up"]
    bus.publish(queue("billing", 2))
    until_waiting(stream, "2")
    assert app.get("/readyz")[0] == 200


# -- Redis killed, a worker killed, a flood of producers -----------------------------------------


def band_within(stream, seconds: float) -> float:
    """Read until a frame says the bus is down; how long that took (fails past ``seconds``)."""
    started = time.monotonic()
    while True:
        ev = stream.next(10)
        if ev["event"] in ("system", "heartbeat", "snapshot") and not ev["data"]["bus"]["up"]:
            took = time.monotonic() - started
            assert took <= seconds, f"the band took {took:.2f} s"
            return took


def wall_messages(event: dict) -> list[str]:
    return [m["text"] for m in event["data"]["items"]["messages"]["list"]]


@pytest.mark.parametrize("data", ["kept", "lost"])
def test_redis_killed_and_restarted_with_or_without_its_data(
    own_redis: EmbeddedRedis, prefix, start_app, sse, data: str
) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    bus.publish(queue("billing", 1))
    bus.publish(make_envelope("message", "m1", {"text": "Storm tonight",
                              "expires_at": time.time() + 600}, ts=time.time()))  # fmt: skip
    time.sleep(1.2)  # the append-only file is synced every second
    app = start_app(own_redis.url, prefix)
    stream = sse(app.port, WALL)
    stream.next_of("snapshot")
    own_redis.kill()  # kill -9: no save, no goodbye
    band_within(stream, 2.0)
    assert app.get("/readyz")[0] == 503
    if data == "lost":
        for leftover in own_redis.data_dir.glob("*.aof"):
            leftover.unlink()
        for leftover in own_redis.data_dir.glob("dump.rdb"):
            leftover.unlink()
    own_redis.start()
    snap = stream.next_of("snapshot", 20)  # back: a fresh snapshot, whatever Redis remembers
    assert snap["data"]["bus"]["up"]
    assert wall_messages(snap) == (["Storm tonight"] if data == "kept" else [])
    bus.publish(queue("billing", 5))  # with the data lost, sequence numbers start again
    until_waiting(stream, "5")
    assert app.get("/readyz")[0] == 200
    bus.client.close()


def workers(app) -> list[int]:
    """The gunicorn master's children: its workers."""
    pid = app.process.pid
    return [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]


def test_a_killed_worker_is_replaced_and_its_screens_resync(wall) -> None:
    bus, app, stream = wall
    bus.publish(queue("billing", 2))
    until_waiting(stream, "2")
    (worker,) = workers(app)
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(ConnectionError):  # the screen's stream ends with its worker
        while True:
            stream.next(10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and workers(app) in ([], [worker]):
        time.sleep(0.1)
    assert workers(app) and workers(app) != [worker]
    bus.publish(queue("billing", 3))  # while no worker followed the bus
    again = None
    while again is None and time.monotonic() < deadline:
        try:  # the browser's reconnect, resuming after the last id it saw
            again = SSEClient(app.port, WALL, last_event_id=bus.current_seq() - 1)
        except OSError:
            time.sleep(0.2)
    assert again is not None
    try:
        # A new worker: no frames to resume from, a snapshot (first an empty one, "bus
        # connecting", if the screen is quicker than the worker's first read of Redis).
        assert again.next_of("snapshot", 15)["event"] == "snapshot"
        until_waiting(again, "3")
        bus.publish(queue("billing", 4))
        until_waiting(again, "4")
    finally:
        again.close()
    assert app.get("/readyz")[0] == 200


def test_a_producer_flood_leaves_walls_live_and_ends_on_the_last_values(wall) -> None:
    """20,000 events as fast as Redis takes them: screens keep getting frames, nothing gets
    stuck, and the last value of each item is what they show at the end."""
    bus, app, stream = wall
    events = 20_000
    seen = {"at": time.monotonic(), "gap": 0.0, "billing": None}
    done = threading.Event()

    def read() -> None:  # the screen, reading as fast as frames come
        while not done.is_set():
            try:
                ev = stream.next(30)
            except Exception:  # the stream closed under it at the end of the test
                return
            now = time.monotonic()
            seen["gap"] = max(seen["gap"], now - seen["at"])
            seen["at"] = now
            if ev["event"] in ("update", "snapshot") and tile_waiting(ev) is not None:
                seen["billing"] = tile_waiting(ev)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    for start in range(0, events, 1000):
        bus.publish_many([queue("billing" if n % 2 else "faults", n)
                          for n in range(start, start + 1000)])  # fmt: skip
    took = time.monotonic() - started
    deadline = time.monotonic() + 30
    while seen["billing"] != str(events - 1) and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    assert seen["billing"] == str(events - 1), "the wall did not end on the last value"
    assert seen["gap"] < 5.0, f"a screen went {seen['gap']:.1f} s without a frame in the flood"
    status, body = app.get("/healthz")
    assert status == 200 and json.loads(body)["seq"] == bus.current_seq()
    print(f"{events} events in {took:.1f} s; longest silence on the wall {seen['gap']:.2f} s")
