"""The hub's per-client queues: conflation, the stall clock, drops; and its fan-out.

The hub is fed directly (as its subscriber would); it holds a real bus it never needs here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from dashboard.live.hub import Client, Hub, Update, View
from dashboard.pages.wall.model import WallView
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import load_config

CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")


def update(seq: int, **data: object) -> Envelope:
    env = make_envelope("queue", "billing", dict(data), ts=time.time())
    return env.model_copy(update={"seq": seq})


def merged(run: list[Update]) -> bytes:
    return b"merged " + b",".join(str(u.seq).encode() for u in run)


def upd(seq: int, **items: object) -> Update:
    return Update(seq, 0.0, items, f"update {seq}".encode())


def test_a_lone_update_goes_out_as_the_shared_frame_and_runs_are_merged() -> None:
    c = Client(merged)
    c.offer(upd(1, a=1))
    assert c.take() == [b"update 1"]
    c.offer(upd(2, a=2))
    c.offer(upd(3, b=3))
    c.offer(b"sys")  # a status frame keeps its place between runs
    c.offer(upd(4, a=4))
    assert c.take() == [b"merged 2,3", b"sys", b"update 4"]


def test_a_merged_run_holds_the_latest_value_per_item_and_is_shared_per_view(bus: Bus) -> None:
    view = View(WallView(CONFIG, CONFIG.boards[0]))
    run = [upd(5, a=1, b=1), upd(6, a=2), upd(7, c=3)]
    chunk = view.merge(run)
    head, event, data = chunk.decode().strip().split("\n")
    assert (head, event) == ("id: 7", "event: update")
    assert json.loads(data.removeprefix("data: "))["items"] == {"a": 2, "b": 1, "c": 3}
    assert view.merge(list(run)) is chunk  # a second client of the view: the same bytes


def test_the_stall_clock_runs_from_the_first_frame_the_writer_has_not_taken() -> None:
    c = Client(merged)
    assert not c.stalled(100.0, 30)
    c.offer(upd(1, a=1), now=10.0)
    c.offer(upd(2, a=2), now=35.0)  # more frames do not restart the clock
    c.reset(b"snap", now=39.0)  # nor does an overflow's snapshot
    assert not c.stalled(40.0, 30) and c.stalled(40.5, 30)
    c.take()
    assert not c.stalled(1000.0, 30)


def test_the_backlog_stays_bounded_and_overflow_is_reported() -> None:
    c = Client(merged, limit=2)
    assert c.offer(upd(1, a=1)) and c.offer(upd(2, b=2))
    assert not c.offer(b"sys")


def test_drop_wakes_the_writer_and_aborts_its_socket() -> None:
    aborted = []
    c = Client(merged, abort=lambda: aborted.append(True))
    c.offer(upd(1, a=1))
    c.drop()
    assert c.dropped and c.wake.is_set() and aborted == [True] and c.take() == []


def test_fan_out_drops_a_stalled_client_and_keeps_serving_the_others(bus: Bus) -> None:
    hub = Hub(bus, stall_seconds=0.2)
    spec = WallView(CONFIG, CONFIG.boards[0])
    hub.on_snapshot(0, {})
    stuck, _ = hub.attach(spec, None)
    live, _ = hub.attach(spec, None)
    for n in range(1, 4):
        hub.on_update(update(n, waiting=n))
        live.take()  # this writer keeps up; the other never takes
        time.sleep(0.15)
    assert stuck.dropped and not live.dropped
    assert hub.client_count() == 1 and hub.dropped == 1
    hub.on_update(update(4, waiting=9))
    assert [chunk.split(b"\n")[0] for chunk in live.take()] == [b"id: 4"]


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
