"""The hub's fan-out: frames for screens in step, merges for those behind, the sweep, drops.

The hub is fed directly (as its subscriber would); it holds a real bus it never needs here.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from dashboard.live.hub import Hub
from dashboard.live.view import CLIENT_BACKLOG
from dashboard.pages.wall.model import WallView
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import load_config

CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")


def update(seq: int, **data: object) -> Envelope:
    env = make_envelope("queue", "billing", dict(data), ts=time.time())
    return env.model_copy(update={"seq": seq})


def hub_with_wall(bus: Bus, **options: object) -> tuple[Hub, WallView]:
    hub = Hub(bus, **options)  # type: ignore[arg-type]
    hub.on_snapshot(0, {})
    return hub, WallView(CONFIG, CONFIG.boards[0])


def events(chunks: list[bytes]) -> list[tuple[str, int | None, dict]]:
    """(event, id, data) of each SSE frame in ``chunks``."""
    out = []
    for chunk in chunks:
        for raw in chunk.decode().strip().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in raw.split("\n"))
            ident = int(fields["id"]) if "id" in fields else None
            out.append((fields["event"], ident, json.loads(fields["data"])))
    return out


def test_a_screen_in_step_gets_each_frame_and_one_behind_gets_the_run_merged(bus: Bus) -> None:
    hub, spec = hub_with_wall(bus)
    quick, _ = hub.attach(spec, None)
    slow, _ = hub.attach(spec, None)
    seen = []
    for n in range(1, 5):
        if n == 4:
            hub.on_status(False, "lost connection to Redis")  # a status frame keeps its place
        hub.on_update(update(n, waiting=n))
        seen += events(quick.take())
    got = events(slow.take())
    assert [e[:2] for e in got] == [("update", 3), ("system", None), ("update", 4)]
    assert [e[1] for e in seen] == [1, 2, 3, None, 4]  # nothing merged for the one in step
    assert got[0][2]["items"]["tile:billing"]["fields"]["waiting"]["text"] == "3"
    assert (hub.stats.merges, hub.stats.merged) == (1, 2)  # 1, 2, 3 as one: two never shown
    assert quick.take() == [] and not quick.owed()


def test_a_merged_run_is_serialised_once_per_view(bus: Bus) -> None:
    hub, spec = hub_with_wall(bus)
    a, _ = hub.attach(spec, None)
    b, _ = hub.attach(spec, None)
    for n in range(1, 4):
        hub.on_update(update(n, waiting=n))
    assert a.take()[0] is b.take()[0]  # the same bytes for both screens


def test_a_screen_too_far_behind_gets_one_snapshot(bus: Bus) -> None:
    hub, spec = hub_with_wall(bus)
    behind, _ = hub.attach(spec, None)
    for n in range(1, CLIENT_BACKLOG + 2):
        hub.on_update(update(n, waiting=n % 9, offered=n))
    (event,) = events(behind.take())
    assert event[:2] == ("snapshot", CLIENT_BACKLOG + 1) and hub.stats.resnapshots == 1


def test_the_sweep_drops_a_screen_whose_frames_waited_too_long(bus: Bus) -> None:
    hub, spec = hub_with_wall(bus, stall_seconds=30)
    stuck, _ = hub.attach(spec, None)
    live, _ = hub.attach(spec, None)
    assert hub.drop_stalled(now=0) == 0  # nothing owed: no clock runs
    hub.on_update(update(1, waiting=1))
    live.take()  # this writer keeps up; the other never takes
    assert hub.drop_stalled(now=100) == 0  # the clock starts when the sweep first sees it
    assert hub.drop_stalled(now=130) == 0 and hub.drop_stalled(now=130.5) == 1
    assert stuck.dropped and not live.dropped and stuck.take() == []
    assert hub.client_count() == 1 and hub.dropped == 1
    hub.on_update(update(2, waiting=9))
    assert [e[1] for e in events(live.take())] == [2]


def test_drop_wakes_the_writer_and_aborts_its_socket(bus: Bus) -> None:
    hub, spec = hub_with_wall(bus)
    aborted = []
    client, _ = hub.attach(spec, None, abort=lambda: aborted.append(True))
    tick = client.view.tick
    client.drop()
    assert client.dropped and client.wake.is_set() and tick.is_set() and aborted == [True]


def test_the_fan_out_writes_each_frame_once_to_a_live_screen_as_an_http_chunk(bus: Bus) -> None:
    hub, spec = hub_with_wall(bus)
    server, screen = socket.socketpair()
    server.setblocking(False)
    with server, screen:
        client, _ = hub.attach(spec, None, sock=server)
        assert client.go_live() and client.live
        hub.on_update(update(1, waiting=5))
        size, _, rest = screen.recv(65536).partition(b"\r\n")
        (event,) = events([rest[: int(size, 16)]])
        assert event[:2] == ("update", 1) and rest[int(size, 16) :] == b"\r\n"
        assert client.take() == [] and not client.wake.is_set()  # nobody woken
        assert client.go_live()  # its writer, woken by a timeout, goes back to sleep (no spin)
        # A socket that takes less than a frame: out of step, the rest kept for its writer.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        n = 2
        while client.live:
            hub.on_update(update(n, waiting=n % 9, offered=n))
            n += 1
        assert client.wake.is_set() and client.rest and client.owed()
        hub.on_update(update(n, waiting=1))  # written by its writer, after the rest
        wire = client.take_wire()
        assert wire.startswith(client.rest or wire[:0]) and b"id: %d" % n in wire
    assert hub.stats.deliveries >= n - 1


class Faulty(WallView):
    """A wall whose billing tile cannot be computed."""

    def compute(self, key, mirror, now):  # type: ignore[no-untyped-def]
        if key == "tile:billing":
            raise ZeroDivisionError("a bug")
        return super().compute(key, mirror, now)


def test_an_item_that_cannot_be_computed_is_sent_broken_and_the_rest_still_updates(bus) -> None:
    hub = Hub(bus)
    hub.on_snapshot(0, {})
    client, first = hub.attach(Faulty(CONFIG, CONFIG.boards[0]), None)
    snap = json.loads(first[0].decode().split("data: ", 1)[1])
    assert snap["items"]["tile:billing"]["broken"] and "broken" not in snap["items"]["tile:faults"]
    hub.on_update(make_envelope("queue", "faults", {"waiting": 3}, ts=time.time()).model_copy(
        update={"seq": 1}))  # fmt: skip
    (chunk,) = client.take()
    items = json.loads(chunk.decode().split("data: ", 1)[1])["items"]
    assert items["tile:faults"]["fields"]["waiting"]["text"] == "3"
    assert hub.faults == 1  # billing was not touched by the update: computed once, at attach


def test_a_non_finite_value_in_an_item_is_sent_broken_not_as_a_bad_frame(bus) -> None:
    class NaNWall(WallView):
        def compute(self, key, mirror, now):  # type: ignore[no-untyped-def]
            item = super().compute(key, mirror, now)
            return {**item, "ts": float("nan")} if key == "agents" else item

    hub = Hub(bus)
    hub.on_snapshot(0, {})
    _, first = hub.attach(NaNWall(CONFIG, CONFIG.boards[0]), None)
    snap = json.loads(first[0].decode().split("data: ", 1)[1])  # valid JSON: no NaN in it
    assert snap["items"]["agents"]["broken"] and "tile:billing" in snap["items"]


def test_a_stuck_path_is_reported_down_whatever_it_last_said(bus) -> None:
    hub = Hub(bus)
    hub.on_status(True, "")
    hub.start()
    try:
        hub.subscriber.last_loop -= 60  # as if the loop had not turned for a minute
        assert hub.live() == {**hub.live(), "up": False, "detail": "the live path has stalled"}
        heartbeat = json.loads(hub.heartbeat_frame(time.time()).decode().split("data: ", 1)[1])
        assert heartbeat["bus"]["up"] is False
    finally:
        hub.stop()


def test_an_edited_board_costs_one_view_once_its_old_screens_have_left(bus) -> None:
    """Views of one board at several versions: the old one goes with its last screen, and one
    nobody watches goes as soon as a newer version is made."""
    hub = Hub(bus)
    hub.on_snapshot(0, {})
    voice = CONFIG.boards[1]
    old = WallView(CONFIG, voice)
    edited = CONFIG.model_copy(
        update={"boards": [voice.model_copy(update={"title": "Voice queues"})]}
    )
    new = WallView(edited, edited.boards[0])
    assert old.key != new.key and old.key.startswith("wall:voice@")
    screen, _ = hub.attach(old, None)
    hub.attach(new, None)
    assert set(hub.views) == {old.key, new.key}  # the old one still has a screen
    hub.detach(old, screen)
    assert set(hub.views) == {new.key}
    hub.attach(WallView(CONFIG, CONFIG.boards[0]), None)  # another board: kept
    newest = WallView(CONFIG, voice)  # edited back: a version made after the one in use
    hub.attach(newest, None)
    assert len(hub.views) == 3  # main, and both voice versions (each with a screen)
    hub.on_update(update(1, waiting=2))  # every view still computes
