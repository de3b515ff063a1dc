"""The hub's sweep: what needs a look at every open stream, done once a second by the hub's
sweeper (:meth:`Hub._sweep`), never on the update path: streams whose screen stopped reading,
and streams whose credential has ended."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Hashable

from dashboard.live.client import Client
from dashboard.live.view import PushStats, View
from dashboard.ops import metrics

Views = dict[str, View]
Ended = Callable[[Collection[Hashable]], Collection[Hashable]]

log = logging.getLogger(__name__)


def drop_stalled(
    views: Views, lock: threading.RLock, stats: PushStats, stall_seconds: float, now: float
) -> int:
    """Drop every stream whose frames (or a write) have waited for it for longer than
    ``stall_seconds`` (a screen that stopped reading): its browser reconnects. Asked once a
    second, so the clock is the sweep's: a stream is dropped within a second of the bound."""
    stalled: list[Client] = []
    with lock:
        for view in views.values():
            for client in view.clients:
                if not client.owed():
                    client.behind_since = None
                elif client.behind_since is None:
                    client.behind_since = now
                elif now - client.behind_since > stall_seconds:
                    stalled.append(client)
        for client in stalled:
            log.info("dropping a %s stream stalled for %.0fs",
                     client.view.spec.key, stall_seconds)  # fmt: skip
            client.view.clients.discard(client)
            client.drop()
            stats.dropped += 1
            metrics.dropped()
    return len(stalled)


def close_ended(views: Views, lock: threading.RLock, stats: PushStats, ended: Ended) -> int:
    """Close every stream whose credential has ended (revoked token, signed out, new
    password, removed user, changed role); returns how many. Each distinct credential is
    asked once, however many screens it has open."""
    with lock:
        held = {c.credential for v in views.values() for c in v.clients}
    held.discard(None)
    if not held:
        return 0
    gone = set(ended(held))
    if not gone:
        return 0
    closed = 0
    with lock:
        for view in views.values():
            for client in [c for c in view.clients if c.credential in gone]:
                view.clients.discard(client)
                client.drop()
                closed += 1
        stats.closed += closed
    log.info("closed %d streams whose credentials have ended", closed)
    return closed
