"""A view: its current items, the log of its frames, and the screens showing it.

Every change to a view becomes one frame, serialised once and appended to the view's log; each
screen keeps a cursor into that log (:mod:`dashboard.live.client`). A screen in step with the
log whose connection the server lets us write to is *live*: the fan-out writes each new frame to
it at once, one non-blocking ``write`` of bytes shared by every screen, with no wake-up, no
queue and no scan of anyone else. Every other writer (a screen catching up, a coalescing one,
one behind a server we cannot write around) waits on the view's *tick*, one event per view set
once per frame and shared by all its writers, and takes what lies past its cursor.

A screen behind by a run of updates gets the run as one merged frame (the latest value of each
item, serialised once for every screen behind by the same run), or a snapshot once the run has
left the log. Nothing is merged for a screen that keeps up.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from dashboard.live.spec import ViewSpec
from dashboard.live.sse import frame, json_text, json_with, raw_frame
from dashboard.ops import metrics

FRAME_BUFFER = 512  # frames kept per view: Last-Event-ID resume, and screens catching up
CLIENT_BACKLOG = 256  # a screen further behind than this gets a snapshot instead of a merge
MERGED_KEPT = 64  # merged runs a view remembers, so screens behind by the same run share them
Head = Callable[[], tuple[int, float, dict[str, Any]]]  # the hub's seq, time and bus status


@dataclass(slots=True)
class PushStats:
    """What the push path has done since the process started: plain counters, read by
    ``/healthz`` and anything that exports them."""

    deliveries: int = 0  # update frames written to screens (a merged frame counts once)
    merges: int = 0  # merged frames written: a screen that was behind got a run as one
    merged: int = 0  # updates folded into merged frames, never shown as themselves
    resnapshots: int = 0  # screens resynchronised with a snapshot (too far behind, bus resync)
    dropped: int = 0  # screens dropped as stalled
    closed: int = 0  # streams closed because their credential ended
    faults: int = 0  # items sent broken: they could not be computed or serialised


@dataclass(slots=True)
class Frame:
    """One change to a view, serialised once and shared by every screen.

    ``items`` None is a status frame (the bus is down): written in order, never merged, never
    part of a resume. ``wire`` is the frame as one HTTP chunk, made once for direct writes.
    """

    seq: int
    now: float
    items: dict[str, Any] | None
    chunk: bytes
    wire: bytes = b""


def http_chunk(data: bytes) -> bytes:
    """``data`` as one chunk of a chunked HTTP/1.1 body: what the server would have written for
    it, so bytes written around the server (directly to its socket) are framed as its own."""
    return b"%X\r\n%s\r\n" % (len(data), data)


class Screen(Protocol):
    """What the fan-out needs of a live screen (:class:`dashboard.live.client.Client`)."""

    def fell_behind(self, at: int, rest: bytes | None) -> None: ...
    def unlive(self, at: int) -> None: ...


class View:
    """A view's current items, its frame log and its screens. Guarded by the hub's lock."""

    def __init__(self, spec: ViewSpec, stats: PushStats, lock: threading.RLock, head: Head) -> None:
        self.spec = spec
        self.stats = stats
        self.lock = lock
        self.head = head
        self.items: dict[str, Any] = {}
        self.log: deque[Frame] = deque(maxlen=FRAME_BUFFER)
        self.gen = 0  # frames ever added: the newest frame's position; cursors count in it
        self.floor = 0  # every change to this view after bus seq `floor` is in the log
        self.clients: set[Any] = set()
        self.live: dict[Screen, int] = {}  # screens in step that the fan-out writes to: their fd
        self.tick = threading.Event()  # set (and replaced) by every frame: the writers' wake-up
        self.sent_at = time.monotonic()  # when the last frame went out (live screens' heartbeat)
        self._items_json: str | None = None  # serialised once per change, shared by snapshots
        self._merged: dict[tuple[int, int], bytes] = {}

    # -- the log ----------------------------------------------------------------------------

    def rebuild(self, items: dict[str, Any], seq: int) -> None:
        """New items from a bus snapshot: every screen needs a snapshot, so the log starts
        again past every cursor (sequence numbers may start again: Redis lost its data)."""
        for screen in list(self.live):
            self.unlive(screen)
        self.items = items
        self.log.clear()
        self.floor = seq
        self.gen += 1
        self._items_json = None
        self._merged.clear()
        self.nudge()

    def add(self, item: Frame) -> None:
        """Append a frame, write it to every live screen, and wake the other writers."""
        if len(self.log) == self.log.maxlen:
            self.floor = self.log[0].seq
        self.log.append(item)
        self.gen += 1
        if item.items is not None:
            self._items_json = None
        if self.live:
            self._write_live(item)
        self.sent_at = time.monotonic()
        self.nudge()

    def nudge(self) -> None:
        """Wake every writer waiting on this view's tick (a new frame, a drop, a resync)."""
        tick, self.tick = self.tick, threading.Event()
        tick.set()

    def since(self, cursor: int) -> list[Frame] | None:
        """The frames after position ``cursor``; None when some of them have left the log."""
        missing = self.gen - cursor
        if missing > len(self.log) or missing > CLIENT_BACKLOG:
            return None
        if missing <= 0:
            return []
        return list(itertools.islice(self.log, len(self.log) - missing, None))

    def chunks(self, frames: list[Frame]) -> list[bytes]:
        """Frames as written to a screen: runs of updates merged, status frames in place."""
        out: list[bytes] = []
        run: list[Frame] = []
        for item in [*frames, None]:
            if item is not None and item.items is not None:
                run.append(item)
                continue
            if len(run) == 1:
                out.append(run[0].chunk)
            elif run:
                out.append(self.merge(run))
                self.stats.merges += 1
                self.stats.merged += len(run) - 1
            if run:
                self.stats.deliveries += 1
                metrics.sent(len(run), len(run) - 1, run[0].now)
            run = []
            if item is not None:
                out.append(item.chunk)
        return out

    def merge(self, run: list[Frame]) -> bytes:
        """One update frame for a run of consecutive updates: the latest value of each item.

        Every screen behind by the same run gets the same bytes, serialised once per view.
        """
        key = (run[0].seq, run[-1].seq)
        chunk = self._merged.get(key)
        if chunk is None:
            items: dict[str, Any] = {}
            for update in run:
                items.update(update.items or {})
            last = run[-1]
            chunk = frame("update", {"seq": last.seq, "now": last.now, "items": items}, id=last.seq)
            if len(self._merged) >= MERGED_KEPT:
                self._merged.clear()
            self._merged[key] = chunk
        return chunk

    # -- snapshots --------------------------------------------------------------------------

    def snapshot_data(self, seq: int, now: float, bus: dict[str, Any]) -> str:
        """A snapshot's JSON: items serialised once per change, time and bus status fresh."""
        if self._items_json is None:
            self._items_json = json_text(self.items)
        return json_with({"seq": seq, "now": now, "bus": bus}, "items", self._items_json)

    def snapshot(self) -> bytes:
        """A snapshot frame, built from memory: no Redis read however many screens ask."""
        seq, now, bus = self.head()
        return raw_frame("snapshot", self.snapshot_data(seq, now, bus), id=seq)

    # -- live screens -----------------------------------------------------------------------

    def _write_live(self, item: Frame) -> None:
        """The hot path: one write of the shared bytes per live screen, nothing else. A screen
        whose socket takes less falls out of step (its writer sends the rest and catches up);
        one whose connection is gone leaves."""
        wire = item.wire = http_chunk(item.chunk)
        size = len(wire)
        write = os.write
        short: list[tuple[Screen, int]] = []
        for screen, fd in self.live.items():
            try:
                n = write(fd, wire)
            except BlockingIOError:
                n = 0
            except OSError:  # reset, broken pipe: the connection is gone
                n = -1
            if n != size:
                short.append((screen, n))
        if item.items is not None:  # an update, not a status frame
            written = len(self.live) - sum(1 for _, n in short if n < 0)
            self.stats.deliveries += written
            metrics.sent(written, 0, item.now)
        for screen, n in short:
            del self.live[screen]
            screen.fell_behind(self.gen, wire[n:] if n >= 0 else None)

    def go_live(self, screen: Screen, fd: int) -> None:
        self.live[screen] = fd

    def unlive(self, screen: Screen) -> None:
        """Take a screen out of step: from now on its writer writes to it, from the log."""
        if self.live.pop(screen, None) is not None:
            screen.unlive(self.gen)
