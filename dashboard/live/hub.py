"""The hub: one bus subscription per app process, a mirror of the state, and the open streams.

Each view's items are recomputed once per change and serialised once into a frame that every
screen of that view shares (:mod:`dashboard.live.view`: the frame log, merges for screens that
are behind, the direct writes to screens in step; :mod:`dashboard.live.client`: one stream's
cursor). The fan-out's cost per change is one write per screen in step and nothing per screen
otherwise: no per-screen wake-up, no per-screen queue, no scan. What needs a look at every
screen (one that stopped reading, one whose credential ended) is done once a second by the
sweep, off that path.

Snapshots come from the hub's memory: a thousand screens reconnecting after a restart cost the
process one Redis snapshot (the subscriber's), not one each.

An item a view cannot compute or serialise is sent *broken* (:mod:`dashboard.live.compute`), so
the rest of the view and every other view still update; the subscriber's own loop is watched
(:meth:`Hub.live`), so a path that has stopped making progress says so on every screen and in
``/healthz``. On an update the screens get their bytes first: the metrics hooks run after.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Hashable
from typing import Any

from dashboard.live import sweep
from dashboard.live.client import Client
from dashboard.live.compute import all_items, compute, serialised
from dashboard.live.spec import Mirror, ViewSpec
from dashboard.live.sse import frame, json_with, raw_frame
from dashboard.live.view import Frame, PushStats, View
from dashboard.ops import metrics
from feeds.bus.bus import Bus
from feeds.bus.schema import REFERENCE_KINDS, Envelope
from feeds.bus.subscriber import Subscriber
from feeds.bus.writes import is_retained

log = logging.getLogger(__name__)

STALL_SECONDS = 30.0  # a client whose frames wait this long for its writer is dropped
STUCK_SECONDS = 5.0  # a subscriber loop that has not turned for this long is stuck
SWEEP_SECONDS = 1.0  # how often open streams are checked: stalled writers, ended credentials


class Hub:
    """Implements the subscriber's listener; keeps each view's frames for its screens."""

    def __init__(
        self,
        bus: Bus,
        clock: Callable[[], float] = time.time,
        stall_seconds: float = STALL_SECONDS,
        ended: Callable[[Collection[Hashable]], Collection[Hashable]] | None = None,
    ) -> None:
        """``ended``: given the credentials of the open streams, those that no longer let
        their holder in (asked every :data:`SWEEP_SECONDS`; those streams close)."""
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
        self.stats = PushStats()
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
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep, name="sweep", daemon=True)
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

    @property
    def dropped(self) -> int:
        return self.stats.dropped

    @property
    def faults(self) -> int:
        return self.stats.faults

    def _sweep(self) -> None:
        while not self._stopping.wait(SWEEP_SECONDS):
            self.drop_stalled()
            try:
                self.close_ended_streams()
            except Exception:  # Redis away: the streams stay; the bus band says why
                log.warning("cannot check the open streams' credentials", exc_info=True)

    def drop_stalled(self, now: float | None = None) -> int:
        """Drop the streams stalled past ``stall_seconds`` (:func:`sweep.drop_stalled`)."""
        now = time.monotonic() if now is None else now
        return sweep.drop_stalled(self.views, self.lock, self.stats, self.stall_seconds, now)

    def close_ended_streams(self) -> int:
        """Close the streams whose credential has ended (:func:`sweep.close_ended`)."""
        if self.ended is None:
            return 0
        return sweep.close_ended(self.views, self.lock, self.stats, self.ended)

    # -- listener ---------------------------------------------------------------------------

    def on_snapshot(self, seq: int, state: Mirror) -> None:
        now = self.clock()
        metrics.resnapshot()
        with self.lock:
            self.mirror = state
            self.seq = seq
            self.synced = True
            self._first_sync.set()
            for view in self.views.values():
                # every screen gets a snapshot from its writer
                view.rebuild(all_items(view, self.mirror, now), seq)

    def on_update(self, env: Envelope) -> None:
        now = self.clock()
        updated: list[str] = []
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
                    item = compute(view, key, self.mirror, now)
                    if item != view.items.get(key):
                        changed[key] = item
                if not changed:
                    continue
                changed, items_json = serialised(view, changed)
                view.items.update(changed)
                data = json_with({"seq": env.seq, "now": now}, "items", items_json)
                view.add(Frame(env.seq, now, changed, raw_frame("update", data, id=env.seq)))
                updated.append(view.spec.key)
        metrics.bus_update(env.ts, now)  # after the writes: never ahead of a screen's bytes
        for key in updated:
            metrics.view_updated(key)

    def on_status(self, up: bool, detail: str) -> None:
        now = self.clock()
        metrics.bus_status(up)
        with self.lock:
            self.status = {"up": up, "detail": detail, "since": now}
            if up:
                return  # the snapshot that follows a reconnect carries the status to clients
            chunk = self.system_frame(now)
            for view in self.views.values():
                view.add(Frame(self.seq, now, None, chunk))

    def system_frame(self, now: float) -> bytes:
        return frame("system", {"now": now, "bus": dict(self.status)})

    def heartbeat_frame(self, now: float) -> bytes:
        """Heartbeats carry the bus status too (:meth:`live`), so a page can never keep a stale
        one, nor one that a stalled path can no longer change."""
        return frame("heartbeat", {"now": now, "bus": self.live()})

    # -- streams ----------------------------------------------------------------------------

    def _view(self, spec: ViewSpec, now: float) -> View:
        view = self.views.get(spec.key)
        if view is None:
            view = self.views[spec.key] = View(spec, self.stats, self.lock, self._head)
            view.rebuild(all_items(view, self.mirror, now), self.seq)
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

    def _head(self) -> tuple[int, float, dict[str, Any]]:
        """What a snapshot says besides its items: the bus's seq, the time, the bus status."""
        return self.seq, self.clock(), dict(self.status)

    def attach(
        self,
        spec: ViewSpec,
        last_event_id: int | None,
        abort: Callable[[], None] | None = None,
        credential: Hashable | None = None,
        sock: Any = None,
    ) -> tuple[Client, list[bytes]]:
        """Register a client; returns it and its first frames: a resume or a snapshot.

        The snapshot is the hub's in-memory view, never a Redis read, so a reconnect storm
        costs Redis nothing. ``abort`` ends a write blocked on the client's socket (drop);
        ``sock``: the connection, when the fan-out may write to it directly (see Client).
        """
        now = self.clock()
        with self.lock:
            view = self._view(spec, now)
            client = Client(view, sock, abort, credential)
            resumable = (
                last_event_id is not None
                and self.synced
                and self.status["up"]
                and view.floor <= last_event_id <= self.seq
            )
            if resumable:
                # Lead with the bus status: nothing else in a resume may say it.
                first = [self.system_frame(now)]
                first += [f.chunk for f in view.log if f.items and f.seq > last_event_id]
            else:
                first = [view.snapshot()]
            view.clients.add(client)
            metrics.stream_opened(spec.key)
            return client, first

    def detach(self, spec: ViewSpec, client: Client) -> None:
        metrics.stream_closed(spec.key)
        with self.lock:
            view = self.views.get(spec.key)
            client.dropped = True  # the fan-out never writes to a connection being closed
            client.view.unlive(client)
            if view is not None:
                view.clients.discard(client)
                self._retire(spec.key.partition("@")[0])

    def client_count(self) -> int:
        with self.lock:
            return sum(len(v.clients) for v in self.views.values())
