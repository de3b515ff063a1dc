"""The SSE stream of the real app server (gunicorn + gevent) against a real Redis.

Snapshot first, then updates with the sequence as event id; Last-Event-ID resumes or
resnapshots; the bus going away and coming back reaches the stream as events.
"""

from __future__ import annotations

import json
import time

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope

WALL = "/stream?view=wall&board=main"


def q(qid: str, waiting: int, **data: object):
    return make_envelope("queue", qid, {"waiting": waiting, **data}, ts=time.time())


def test_snapshot_first_then_updates_with_seq_as_id(bus: Bus, redis_server, prefix, start_app, sse):
    bus.publish(q("billing", 3))
    app = start_app(redis_server.url, prefix)
    s = sse(app.port, WALL)
    assert s.resp.getheader("Content-Type").startswith("text/event-stream")
    assert s.resp.getheader("Cache-Control") == "no-cache"
    snap = s.next()
    assert s.retry is not None and 1000 <= s.retry <= 3000
    assert snap["event"] == "snapshot" and snap["id"] == 1
    items = snap["data"]["items"]
    assert items["tile:billing"]["fields"]["waiting"]["text"] == "3"
    assert set(items) == {"tile:billing", "tile:faults", "tile:moving", "tile:chat", "tile:email",
                          "agents", "messages", "bands"}  # fmt: skip
    assert snap["data"]["bus"]["up"] is True
    seq = bus.publish(q("faults", 11))
    up = s.next_of("update")
    assert up["id"] == seq == 2
    assert set(up["data"]["items"]) == {"tile:faults"}  # only items that changed travel
    assert up["data"]["items"]["tile:faults"]["fields"]["waiting"]["status"] == "alert"


def test_changes_that_do_not_touch_the_view_are_not_sent(bus, redis_server, prefix, start_app, sse):
    app = start_app(redis_server.url, prefix)
    s = sse(app.port, "/stream?view=wall&board=voice")
    s.next_of("snapshot")
    bus.publish(q("chat", 5))  # chat is not on the voice board
    seq = bus.publish(q("billing", 0))
    up = s.next_of("update")
    assert up["id"] == seq and set(up["data"]["items"]) == {"tile:billing"}


def test_last_event_id_resumes_with_only_the_missed_updates(
    bus, redis_server, prefix, start_app, sse
):
    app = start_app(redis_server.url, prefix)
    first = sse(app.port, WALL)
    first.next_of("snapshot")
    bus.publish(q("billing", 1))
    last_seen = first.next_of("update")["id"]
    first.close()
    missed = [bus.publish(q("billing", 2)), bus.publish(q("faults", 3))]
    # The hub has applied both before we reconnect: wait for them on a second stream.
    watcher = sse(app.port, WALL)
    watcher.next_of("snapshot")
    again = sse(app.port, WALL, last_event_id=last_seen)
    status, *events = [again.next(), again.next(), again.next()]
    assert status["event"] == "system" and status["data"]["bus"]["up"] is True
    assert [e["event"] for e in events] == ["update", "update"]
    assert [e["id"] for e in events] == missed
    assert events[0]["data"]["items"]["tile:billing"]["fields"]["waiting"]["text"] == "2"


def test_unknown_or_future_last_event_id_gets_a_snapshot(bus, redis_server, prefix, start_app, sse):
    bus.publish(q("billing", 1))
    app = start_app(redis_server.url, prefix)
    for last in (999_999, -5):
        s = sse(app.port, WALL, last_event_id=last)
        assert s.next()["event"] == "snapshot"
    s = sse(app.port, WALL + "&last_event_id=not-a-number")
    assert s.next()["event"] == "snapshot"


def test_bad_stream_parameters_are_refused_naming_the_field(redis_server, prefix, start_app):
    app = start_app(redis_server.url, prefix)
    status, body = app.get("/stream?view=wall&board=nope")
    assert status == 404
    assert json.loads(body) == {"error": {"field": "board", "reason": "unknown board 'nope'"}}
    status, body = app.get("/stream?view=tv")
    assert status == 404 and json.loads(body)["error"]["field"] == "view"


def test_heartbeats_flow_on_a_quiet_stream(bus, redis_server, prefix, start_app, sse):
    app = start_app(redis_server.url, prefix)
    s = sse(app.port, WALL)
    s.next_of("snapshot")
    hb = s.next_of("heartbeat", timeout=15)
    assert abs(hb["data"]["now"] - time.time()) < 5
    assert hb["data"]["bus"]["up"] is True


def test_bus_loss_and_return_reach_the_stream(own_redis: EmbeddedRedis, prefix, start_app, sse):
    bus = Bus.from_url(own_redis.url, prefix)
    bus.publish(q("billing", 4))
    app = start_app(own_redis.url, prefix)
    s = sse(app.port, WALL)
    assert s.next_of("snapshot")["data"]["bus"]["up"] is True
    own_redis.stop()
    down = s.next_of("system", timeout=15)
    assert down["data"]["bus"]["up"] is False
    assert "Redis" in down["data"]["bus"]["detail"]
    status, body = app.get("/readyz")
    assert status == 503 and json.loads(body)["status"] == "not ready"
    # A page opened while the bus is down is told so in its snapshot.
    late = sse(app.port, WALL)
    assert late.next_of("snapshot")["data"]["bus"]["up"] is False
    own_redis.start()
    back = s.next_of("snapshot", timeout=20)
    assert back["data"]["bus"]["up"] is True
    assert back["data"]["items"]["tile:billing"]["fields"]["waiting"]["text"] == "4"
    seq = bus.publish(q("billing", 6))
    assert s.next_of("update")["id"] == seq
    assert app.get("/readyz")[0] == 200


def test_two_app_processes_serve_the_same_view(bus, redis_server, prefix, start_app, sse):
    a, b = start_app(redis_server.url, prefix), start_app(redis_server.url, prefix)
    sa, sb = sse(a.port, WALL), sse(b.port, WALL)
    sa.next_of("snapshot"), sb.next_of("snapshot")
    seq = bus.publish(q("moving", 2))
    assert sa.next_of("update")["id"] == sb.next_of("update")["id"] == seq
