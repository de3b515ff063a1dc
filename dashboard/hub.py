"""The hub: one bus subscription per app process, a mirror of the state, and the open streams.

Each view's items are recomputed once per change and serialised once into an SSE frame that
every client of that view shares. A short ring of recent frames lets a reconnecting browser
resume from its Last-Event-ID; anything older gets a fresh snapshot. A client that falls too
far behind has its backlog replaced by one snapshot (latest value of every item), so memory per
client is bounded and a slow screen never slows the others.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from dashboard.views import Mirror, ViewSpec
from feeds.bus import Bus, is_retained
from feeds.schema import Envelope
from feeds.subscriber import Subscriber

log = logging.getLogger(__name__)

FRAME_BUFFER = 512  # frames kept per view for Last-Event-ID resume
CLIENT_BACKLOG = 256  # frames a client may lag before its backlog is replaced by a snapshot


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def sse(event: str, data: Any, id: int | None = None) -> bytes:
    """One Server-Sent Events message."""
    head = f"id: {id}\n" if id is not None else ""
    return f"{head}event: {event}\ndata: {_json(data)}\n\n".encode()


class Client:
    """One open stream's pending frames and the flag that wakes its writer."""

    def __init__(self, limit: int = CLIENT_BACKLOG) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.wake = threading.Event()
        self.resnapshots = 0

    def offer(self, chunk: bytes) -> bool:
        """Queue a frame; False when the backlog is full and the client needs a snapshot."""
        if len(self.chunks) >= self.limit:
            return False
        self.chunks.append(chunk)
        self.wake.set()
        return True

    def reset(self, chunk: bytes) -> None:
        """Replace whatever is pending with one frame (a snapshot or bus status)."""
        self.chunks = [chunk]
        self.wake.set()

    def take(self) -> list[bytes]:
        chunks, self.chunks = self.chunks, []
        return chunks


class View:
    """A view's current items, its recent frames and its clients."""

    def __init__(self, spec: ViewSpec) -> None:
        self.spec = spec
        self.items: dict[str, Any] = {}
        self.frames: deque[tuple[int, bytes]] = deque(maxlen=FRAME_BUFFER)
        self.floor = 0  # every change to this view after seq `floor` is in `frames`
        self.clients: set[Client] = set()
        self._items_json: str | None = None  # serialised once per change, shared by snapshots

    def rebuild(self, mirror: Mirror, seq: int, now: float) -> None:
        self.items = {k: self.spec.compute(k, mirror, now) for k in self.spec.keys()}  # noqa: SIM118 - a method
        self.frames.clear()
        self.floor = seq
        self._items_json = None

    def snapshot(self, seq: int, now: float, bus: dict[str, Any]) -> bytes:
        """A snapshot frame: items serialised once per change, time and bus status fresh."""
        if self._items_json is None:
            self._items_json = _json(self.items)
        head = _json({"seq": seq, "now": now, "bus": bus})[:-1]  # the object, left open
        data = f'{head},"items":{self._items_json}}}'
        return f"id: {seq}\nevent: snapshot\ndata: {data}\n\n".encode()

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
    ) -> None:
        self.bus = bus
        self.clock = clock
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
        self.updates = 0  # counters for /metrics
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
            for view in self.views.values():
                view.rebuild(self.mirror, seq, now)
                chunk = view.snapshot(seq, now, dict(self.status))
                for client in view.clients:
                    client.reset(chunk)

    def on_update(self, env: Envelope) -> None:
        now = self.clock()
        with self.lock:
            bucket = self.mirror.setdefault(env.kind, {})
            if is_retained(env):
                bucket[env.id] = env
            else:
                bucket.pop(env.id, None)
            self.seq = env.seq
            self.updates += 1
            for view in self.views.values():
                changed = {}
                for key in view.spec.affected(env):
                    item = view.spec.compute(key, self.mirror, now)
                    if item != view.items.get(key):
                        view.items[key] = item
                        changed[key] = item
                if not changed:
                    continue
                chunk = sse("update", {"seq": env.seq, "now": now, "items": changed}, id=env.seq)
                view.add_frame(env.seq, chunk)
                self._fan_out(view, chunk, now)

    def on_status(self, up: bool, detail: str) -> None:
        now = self.clock()
        with self.lock:
            self.status = {"up": up, "detail": detail, "since": now}
            if up:
                return  # the snapshot that follows a reconnect carries the status to clients
            chunk = self.system_frame(now)
            for view in self.views.values():
                for client in view.clients:
                    if not client.offer(chunk):
                        client.reset(chunk)

    def system_frame(self, now: float) -> bytes:
        return sse("system", {"now": now, "bus": dict(self.status)})

    def heartbeat_frame(self, now: float) -> bytes:
        """Heartbeats carry the bus status too, so a page can never keep a stale one."""
        return sse("heartbeat", {"now": now, "bus": dict(self.status)})

    def _fan_out(self, view: View, chunk: bytes, now: float) -> None:
        for client in view.clients:
            if not client.offer(chunk):
                client.resnapshots += 1
                client.reset(view.snapshot(self.seq, now, dict(self.status)))

    # -- streams ----------------------------------------------------------------------------

    def attach(self, spec: ViewSpec, last_event_id: int | None) -> tuple[Client, list[bytes]]:
        """Register a client; returns it and its first frames: a resume or a snapshot."""
        now = self.clock()
        with self.lock:
            view = self.views.get(spec.key)
            if view is None:
                view = self.views[spec.key] = View(spec)
                view.rebuild(self.mirror, self.seq, now)
            client = Client()
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
