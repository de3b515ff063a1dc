"""The hub: one bus subscription per app process, a mirror of the state, and the open streams.

Each view's items are recomputed once per change and serialised once into an SSE frame that
every client of that view shares. A short ring of recent frames lets a reconnecting browser
resume from its Last-Event-ID; anything older gets a fresh snapshot. A client that falls too
far behind has its backlog replaced by one snapshot (latest value of every item), so memory per
client is bounded and a slow screen never slows the others; one whose writer has not taken its
frames for ``stall_seconds`` (a screen that stopped reading) is dropped, so it reconnects.

Snapshots come from the hub's memory: a thousand screens reconnecting after a restart cost the
process one Redis snapshot (the subscriber's), not one each.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboard.live.spec import Mirror, ViewSpec
from dashboard.live.sse import frame, json_text, raw_frame
from feeds.bus.bus import Bus, is_retained
from feeds.bus.schema import Envelope
from feeds.bus.subscriber import Subscriber

log = logging.getLogger(__name__)

FRAME_BUFFER = 512  # frames kept per view for Last-Event-ID resume
CLIENT_BACKLOG = 256  # frames a client may lag before its backlog is replaced by a snapshot
MERGED_KEPT = 64  # merged runs a view remembers, so in-step clients share them
STALL_SECONDS = 30.0  # a client whose frames wait this long for its writer is dropped


@dataclass(frozen=True, slots=True)
class Update:
    """One change to a view: its items and its frame, serialised once and shared by clients."""

    seq: int
    now: float
    items: dict[str, Any]
    chunk: bytes


Pending = Update | bytes  # an update, or a frame that is sent as it is (snapshot, status)


class Client:
    """One open stream's pending frames, the flag that wakes its writer, and its stall clock.

    Updates that wait together are conflated when the writer takes them: a run of them becomes
    one update with the latest value of each item (``merge``, shared per view), so a screen
    that reads slowly or coalesces a burst gets each item once. A lone update goes out as the
    view's shared frame: the common case serialises nothing per client.
    """

    def __init__(
        self,
        merge: Callable[[list[Update]], bytes],
        limit: int = CLIENT_BACKLOG,
        abort: Callable[[], None] | None = None,
    ) -> None:
        self.merge = merge
        self.limit = limit
        self.pending: list[Pending] = []
        self.wake = threading.Event()
        self.stalled_since: float | None = None  # when frames started waiting for the writer
        self.dropped = False
        self._abort = abort

    def offer(self, entry: Pending, now: float = 0.0) -> bool:
        """Queue a frame; False when the backlog is full and the client needs a snapshot."""
        if len(self.pending) >= self.limit:
            return False
        self._queue(entry, now)
        return True

    def reset(self, chunk: bytes, now: float = 0.0) -> None:
        """Replace whatever is pending with one frame (a snapshot or bus status)."""
        self.pending = []
        self._queue(chunk, now)

    def _queue(self, entry: Pending, now: float) -> None:
        if self.stalled_since is None:
            self.stalled_since = now
        self.pending.append(entry)
        self.wake.set()

    def take(self) -> list[bytes]:
        """Everything pending, runs of updates merged; the stall clock stops until the next."""
        pending, self.pending = self.pending, []
        self.stalled_since = None
        out: list[bytes] = []
        run: list[Update] = []
        for entry in [*pending, b""]:
            if isinstance(entry, Update):
                run.append(entry)
                continue
            if run:
                out.append(run[0].chunk if len(run) == 1 else self.merge(run))
                run = []
            if entry:
                out.append(entry)
        return out

    def stalled(self, now: float, bound: float) -> bool:
        return self.stalled_since is not None and now - self.stalled_since > bound

    def drop(self) -> None:
        """End this stream: wake its writer, and abort its socket if a write is blocked on it."""
        self.dropped = True
        self.pending = []
        self.wake.set()
        if self._abort is not None:
            self._abort()


class View:
    """A view's current items, its recent frames and its clients."""

    def __init__(self, spec: ViewSpec) -> None:
        self.spec = spec
        self.items: dict[str, Any] = {}
        self.frames: deque[tuple[int, bytes]] = deque(maxlen=FRAME_BUFFER)
        self.floor = 0  # every change to this view after seq `floor` is in `frames`
        self.clients: set[Client] = set()
        self._items_json: str | None = None  # serialised once per change, shared by snapshots
        self._merged: dict[tuple[int, int], bytes] = {}

    def rebuild(self, mirror: Mirror, seq: int, now: float) -> None:
        self.items = {k: self.spec.compute(k, mirror, now) for k in self.spec.keys()}  # noqa: SIM118 - a method
        self.frames.clear()
        self.floor = seq
        self._items_json = None
        self._merged.clear()  # sequence numbers may start again (Redis lost its data)

    def snapshot_data(self, seq: int, now: float, bus: dict[str, Any]) -> str:
        """A snapshot's JSON: items serialised once per change, time and bus status fresh."""
        if self._items_json is None:
            self._items_json = json_text(self.items)
        head = json_text({"seq": seq, "now": now, "bus": bus})[:-1]  # the object, left open
        return f'{head},"items":{self._items_json}}}'

    def snapshot(self, seq: int, now: float, bus: dict[str, Any]) -> bytes:
        """A snapshot frame, built from memory: no Redis read however many clients ask."""
        return raw_frame("snapshot", self.snapshot_data(seq, now, bus), id=seq)

    def merge(self, run: list[Update]) -> bytes:
        """One update frame for a run of consecutive updates: the latest value of each item.

        Every client of the view that waited for the same run gets the same bytes, so a burst
        coalesced by in-step clients is still serialised once per view.
        """
        key = (run[0].seq, run[-1].seq)
        chunk = self._merged.get(key)
        if chunk is None:
            items: dict[str, Any] = {}
            for update in run:
                items.update(update.items)
            last = run[-1]
            chunk = frame("update", {"seq": last.seq, "now": last.now, "items": items}, id=last.seq)
            if len(self._merged) >= MERGED_KEPT:
                self._merged.clear()
            self._merged[key] = chunk
        return chunk

    def add_frame(self, seq: int, chunk: bytes) -> None:
        if len(self.frames) == self.frames.maxlen:
            self.floor = self.frames[0][0]
        self.frames.append((seq, chunk))
        self._items_json = None


class Hub:
    """Implements the subscriber's listener; hands frames to the stream writers."""

    def __init__(
        self,
        bus: Bus,
        clock: Callable[[], float] = time.time,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.stall_seconds = stall_seconds
        self.mirror: Mirror = {}
        self.seq = 0
        self.synced = False
        self.status: dict[str, Any] = {
            "up": False,
            "detail": "connecting to the bus",
            "since": clock(),
        }
        self.views: dict[str, View] = {}
        self.lock = threading.RLock()
        self.subscriber = Subscriber(bus, self)
        self.dropped = 0  # clients dropped as stalled
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start following the bus (idempotent); under gevent the thread is a greenlet."""
        with self.lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self.subscriber.run, name="hub", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self.subscriber.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- listener ---------------------------------------------------------------------------

    def on_snapshot(self, seq: int, state: Mirror) -> None:
        now = self.clock()
        with self.lock:
            self.mirror = state
            self.seq = seq
            self.synced = True
            mono = time.monotonic()
            for view in self.views.values():
                view.rebuild(self.mirror, seq, now)
                chunk = view.snapshot(seq, now, dict(self.status))
                for client in view.clients:
                    client.reset(chunk, mono)

    def on_update(self, env: Envelope) -> None:
        now = self.clock()
        with self.lock:
            bucket = self.mirror.setdefault(env.kind, {})
            if is_retained(env):
                bucket[env.id] = env
            else:
                bucket.pop(env.id, None)
            self.seq = env.seq
            for view in self.views.values():
                changed = {}
                for key in view.spec.affected(env):
                    item = view.spec.compute(key, self.mirror, now)
                    if item != view.items.get(key):
                        view.items[key] = item
                        changed[key] = item
                if not changed:
                    continue
                chunk = frame("update", {"seq": env.seq, "now": now, "items": changed}, id=env.seq)
                view.add_frame(env.seq, chunk)
                self._fan_out(view, Update(env.seq, now, changed, chunk), now)

    def on_status(self, up: bool, detail: str) -> None:
        now = self.clock()
        with self.lock:
            self.status = {"up": up, "detail": detail, "since": now}
            if up:
                return  # the snapshot that follows a reconnect carries the status to clients
            chunk = self.system_frame(now)
            mono = time.monotonic()
            for view in self.views.values():
                for client in view.clients:
                    if not client.offer(chunk, now=mono):
                        client.reset(chunk, mono)

    def system_frame(self, now: float) -> bytes:
        return frame("system", {"now": now, "bus": dict(self.status)})

    def heartbeat_frame(self, now: float) -> bytes:
        """Heartbeats carry the bus status too, so a page can never keep a stale one."""
        return frame("heartbeat", {"now": now, "bus": dict(self.status)})

    def _fan_out(self, view: View, update: Update, now: float) -> None:
        """Hand one shared frame to every client; drop those that stopped reading."""
        mono = time.monotonic()
        stalled = [c for c in view.clients if c.stalled(mono, self.stall_seconds)]
        for client in stalled:
            log.info("dropping a %s stream stalled for %.0fs", view.spec.key, self.stall_seconds)
            view.clients.discard(client)
            client.drop()
            self.dropped += 1
        for client in view.clients:
            if not client.offer(update, mono):
                client.reset(view.snapshot(self.seq, now, dict(self.status)), mono)

    # -- streams ----------------------------------------------------------------------------

    def _view(self, spec: ViewSpec, now: float) -> View:
        view = self.views.get(spec.key)
        if view is None:
            view = self.views[spec.key] = View(spec)
            view.rebuild(self.mirror, self.seq, now)
        return view

    def snapshot_data(self, spec: ViewSpec) -> str:
        """A view's snapshot as JSON, from memory (for ``/api/v1/snapshot``)."""
        now = self.clock()
        with self.lock:
            return self._view(spec, now).snapshot_data(self.seq, now, dict(self.status))

    def attach(
        self,
        spec: ViewSpec,
        last_event_id: int | None,
        abort: Callable[[], None] | None = None,
    ) -> tuple[Client, list[bytes]]:
        """Register a client; returns it and its first frames: a resume or a snapshot.

        The snapshot is the hub's in-memory view, never a Redis read, so a reconnect storm
        costs Redis nothing. ``abort`` ends a write blocked on the client's socket (drop).
        """
        now = self.clock()
        with self.lock:
            view = self._view(spec, now)
            client = Client(view.merge, abort=abort)
            resumable = (
                last_event_id is not None
                and self.synced
                and self.status["up"]
                and view.floor <= last_event_id <= self.seq
            )
            if resumable:
                # Lead with the bus status: nothing else in a resume may say it.
                first = [self.system_frame(now)]
                first += [chunk for seq, chunk in view.frames if seq > last_event_id]
            else:
                first = [view.snapshot(self.seq, now, dict(self.status))]
            view.clients.add(client)
            return client, first

    def detach(self, spec: ViewSpec, client: Client) -> None:
        with self.lock:
            view = self.views.get(spec.key)
            if view is not None:
                view.clients.discard(client)

    def client_count(self) -> int:
        with self.lock:
            return sum(len(v.clients) for v in self.views.values())
