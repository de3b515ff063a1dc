"""The hub: one bus subscription per app process, a mirror of the state, and the open streams.

Each view's items are recomputed once per change and serialised once into an SSE frame that
every client of that view shares. A short ring of recent frames lets a reconnecting browser
resume from its Last-Event-ID; anything older gets a fresh snapshot. A client that falls too
far behind has its backlog replaced by one snapshot (latest value of every item), so memory per
client is bounded and a slow screen never slows the others; one whose writer has not taken its
frames for ``stall_seconds`` (a screen that stopped reading) is dropped, so it reconnects.

Snapshots come from the hub's memory: a thousand screens reconnecting after a restart cost the
process one Redis snapshot (the subscriber's), not one each.

An item a view cannot compute or serialise (a bug, or data nobody foresaw) is logged once per
change, counted, and sent as a *broken* item (no values, marked), so the rest of the view and
every other view still update; the subscriber's own loop is watched (:meth:`Hub.live`), so a
path that has stopped making progress says so on every screen and in ``/healthz``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any

from dashboard.live.spec import Mirror, ViewSpec
from dashboard.live.sse import frame, json_text, raw_frame
from dashboard.ops import metrics
from feeds.bus.bus import Bus, is_retained
from feeds.bus.schema import REFERENCE_KINDS, Envelope
from feeds.bus.subscriber import Subscriber

log = logging.getLogger(__name__)

FRAME_BUFFER = 512  # frames kept per view for Last-Event-ID resume
CLIENT_BACKLOG = 256  # frames a client may lag before its backlog is replaced by a snapshot
MERGED_KEPT = 64  # merged runs a view remembers, so in-step clients share them
STALL_SECONDS = 30.0  # a client whose frames wait this long for its writer is dropped
STUCK_SECONDS = 5.0  # a subscriber loop that has not turned for this long is stuck
CREDENTIAL_CHECK_SECONDS = 1.0  # how often open streams' credentials are checked again
BROKEN: dict[str, Any] = {"ts": None, "stale_after": None, "status": "ok", "broken": True}


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
        credential: Hashable | None = None,
    ) -> None:
        self.merge = merge
        self.credential = credential  # what let this stream in; it ends when that does
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
        metrics.sent(pending)
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

    def rebuild(self, items: dict[str, Any], seq: int) -> None:
        self.items = items
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
        ended: Callable[[Collection[Hashable]], Collection[Hashable]] | None = None,
    ) -> None:
        """``ended``: given the credentials of the open streams, those that no longer let
        their holder in (asked every :data:`CREDENTIAL_CHECK_SECONDS`; those streams close)."""
        self.bus = bus
        self.ended = ended
        self.clock = clock
        self.stall_seconds = stall_seconds
        self.mirror: Mirror = {}
        self.seq = 0
        self.synced = False
        self._first_sync = threading.Event()  # set by the first snapshot: see wait_synced
        self.status: dict[str, Any] = {
            "up": False,
            "detail": "connecting to the bus",
            "since": clock(),
        }
        self.views: dict[str, View] = {}
        self._latest: dict[str, str] = {}  # view name -> the key of its current version
        self.lock = threading.RLock()
        self.subscriber = Subscriber(bus, self)
        self.dropped = 0  # clients dropped as stalled
        self.faults = 0  # items sent broken because they could not be computed or serialised
        self._thread: threading.Thread | None = None
        self._sweeper: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start following the bus (idempotent, and again should the loop ever have ended);
        under gevent the thread is a greenlet."""
        with self.lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self.subscriber.run, name="hub", daemon=True)
                self._thread.start()
            if self.ended is not None and self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep, name="creds", daemon=True)
                self._sweeper.start()

    def wait_synced(self, timeout: float) -> bool:
        """Wait (cooperatively under gevent) until the hub holds its first snapshot of the bus:
        before it, a view's items are empty, and serving them as a snapshot would show blanks."""
        return self._first_sync.wait(timeout)

    def live(self) -> dict[str, Any]:
        """The bus status as screens must be told it: the subscriber's, unless its loop has
        stopped turning, in which case nothing on screen is live, whatever it last said."""
        thread = self._thread
        stuck = time.monotonic() - self.subscriber.last_loop > STUCK_SECONDS
        if thread is not None and (not thread.is_alive() or stuck):
            return {
                "up": False,
                "detail": "the live path has stalled",
                "since": self.status["since"],
            }
        return dict(self.status)

    def stop(self) -> None:
        self.subscriber.stop()
        self._stopping.set()
        for thread in (self._thread, self._sweeper):
            if thread is not None:
                thread.join(timeout=5)

    def _sweep(self) -> None:
        while not self._stopping.wait(CREDENTIAL_CHECK_SECONDS):
            try:
                self.close_ended_streams()
            except Exception:  # Redis away: the streams stay; the bus band says why
                log.warning("cannot check the open streams' credentials", exc_info=True)

    def close_ended_streams(self) -> int:
        """Close every stream whose credential has ended (revoked token, signed out, new
        password, removed user, changed role); returns how many. Each distinct credential is
        asked once, however many screens it has open."""
        if self.ended is None:
            return 0
        with self.lock:
            held = {c.credential for v in self.views.values() for c in v.clients}
        held.discard(None)
        if not held:
            return 0
        ended = set(self.ended(held))
        if not ended:
            return 0
        closed = 0
        with self.lock:
            for view in self.views.values():
                for client in [c for c in view.clients if c.credential in ended]:
                    view.clients.discard(client)
                    client.drop()
                    closed += 1
        log.info("closed %d streams whose credentials have ended", closed)
        return closed

    # -- computing items ----------------------------------------------------------------------

    def _compute(self, view: View, key: str, now: float) -> dict[str, Any]:
        try:
            return view.spec.compute(key, self.mirror, now)
        except Exception:
            self.faults += 1
            metrics.broken()
            log.exception("%s: cannot compute %s; sent as broken", view.spec.key, key)
            return BROKEN

    def _servable(self, view: View, items: dict[str, Any]) -> dict[str, Any]:
        """``items`` with any that JSON cannot carry (a NaN or an infinity) made broken."""
        try:
            json_text(items)
            return items
        except (ValueError, TypeError):
            pass
        fixed = {}
        for key, item in items.items():
            try:
                json_text(item)
                fixed[key] = item
            except (ValueError, TypeError):
                self.faults += 1
                metrics.broken()
                log.error("%s: %s cannot be serialised (a non-finite number?); sent as broken",
                          view.spec.key, key)  # fmt: skip
                fixed[key] = BROKEN
        return fixed

    def _rebuild(self, view: View, now: float) -> None:
        items = {k: self._compute(view, k, now) for k in view.spec.keys()}  # noqa: SIM118
        view.rebuild(self._servable(view, items), self.seq)

    # -- listener ---------------------------------------------------------------------------

    def on_snapshot(self, seq: int, state: Mirror) -> None:
        now = self.clock()
        metrics.resnapshot()
        with self.lock:
            self.mirror = state
            self.seq = seq
            self.synced = True
            self._first_sync.set()
            mono = time.monotonic()
            for view in self.views.values():
                self._rebuild(view, now)
                chunk = view.snapshot(seq, now, dict(self.status))
                for client in view.clients:
                    client.reset(chunk, mono)

    def on_update(self, env: Envelope) -> None:
        now = self.clock()
        metrics.bus_update(env.ts, now)
        with self.lock:
            if env.kind not in REFERENCE_KINDS:  # customers: read by id, never mirrored
                bucket = self.mirror.setdefault(env.kind, {})
                if is_retained(env):
                    bucket[env.id] = env
                else:
                    bucket.pop(env.id, None)
            self.seq = env.seq
            for view in self.views.values():
                changed = {}
                for key in view.spec.affected(env):
                    item = self._compute(view, key, now)
                    if item != view.items.get(key):
                        changed[key] = item
                if not changed:
                    continue
                changed = self._servable(view, changed)
                view.items.update(changed)
                chunk = frame("update", {"seq": env.seq, "now": now, "items": changed}, id=env.seq)
                view.add_frame(env.seq, chunk)
                self._fan_out(view, Update(env.seq, now, changed, chunk), now)

    def on_status(self, up: bool, detail: str) -> None:
        now = self.clock()
        metrics.bus_status(up)
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
        """Heartbeats carry the bus status too (:meth:`live`), so a page can never keep a stale
        one, nor one that a stalled path can no longer change."""
        return frame("heartbeat", {"now": now, "bus": self.live()})

    def _fan_out(self, view: View, update: Update, now: float) -> None:
        """Hand one shared frame to every client; drop those that stopped reading."""
        mono = time.monotonic()
        metrics.view_updated(view.spec.key)
        stalled = [c for c in view.clients if c.stalled(mono, self.stall_seconds)]
        for client in stalled:
            log.info("dropping a %s stream stalled for %.0fs", view.spec.key, self.stall_seconds)
            view.clients.discard(client)
            client.drop()
            self.dropped += 1
            metrics.dropped()
        for client in view.clients:
            if not client.offer(update, mono):
                client.reset(view.snapshot(self.seq, now, dict(self.status)), mono)

    # -- streams ----------------------------------------------------------------------------

    def _view(self, spec: ViewSpec, now: float) -> View:
        view = self.views.get(spec.key)
        if view is None:
            view = self.views[spec.key] = View(spec)
            self._rebuild(view, now)
            name, versioned, _ = spec.key.partition("@")
            if versioned:
                self._latest[name] = spec.key
                self._retire(name)
        return view

    def _retire(self, name: str) -> None:
        """Views keyed ``name@version`` (a wall: its board's version) are versions of one view,
        the one made last the current one. The others go once no screen shows them, so a board
        edited for weeks costs one view (its screens reload onto the new version)."""
        for key in [k for k in self.views if "@" in k and k.partition("@")[0] == name]:
            if key != self._latest.get(name) and not self.views[key].clients:
                del self.views[key]

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
        credential: Hashable | None = None,
    ) -> tuple[Client, list[bytes]]:
        """Register a client; returns it and its first frames: a resume or a snapshot.

        The snapshot is the hub's in-memory view, never a Redis read, so a reconnect storm
        costs Redis nothing. ``abort`` ends a write blocked on the client's socket (drop).
        """
        now = self.clock()
        with self.lock:
            view = self._view(spec, now)
            client = Client(view.merge, abort=abort, credential=credential)
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
            metrics.stream_opened(spec.key)
            return client, first

    def detach(self, spec: ViewSpec, client: Client) -> None:
        metrics.stream_closed(spec.key)
        with self.lock:
            view = self.views.get(spec.key)
            if view is not None:
                view.clients.discard(client)
                self._retire(spec.key.partition("@")[0])

    def client_count(self) -> int:
        with self.lock:
            return sum(len(v.clients) for v in self.views.values())
