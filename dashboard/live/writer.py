"""One stream's writer: its first frames, then its view's frames, heartbeats and version events.

After its first frames (``retry:``, a snapshot or a resume, and a ``version`` event: the app's
release and the layout the view's items fit, again whenever that layout changes) a stream is
written one of two ways:

* *direct* (gunicorn's gevent worker, chunked HTTP/1.1, no coalescing): the writer hands the
  screen to the fan-out, which writes each frame to its socket as it is made
  (:meth:`View._write_live`), and sleeps until it falls out of step, a heartbeat or a layout
  check is due, or it is dropped; then it writes what is owed (the rest of a short write, the
  frames past its cursor, merged) straight to the socket, one write per wake, and hands the
  screen back;
* *pulled* (any other server, or ``coalesce`` > 0): the writer waits on its view's tick (one
  event per view, shared by all its writers), lets a burst gather for ``coalesce`` seconds if
  asked, and yields what lies past its cursor to the server: one write per wake.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from dashboard.live.client import Client
from dashboard.live.hub import Hub
from dashboard.live.spec import ViewSpec
from dashboard.live.sse import frame, retry_frame
from dashboard.live.view import http_chunk

HEARTBEAT_SECONDS = 10.0
RECHECK_SECONDS = 2.0  # how often a stream asks whether its view's layout is still current
RETRY_MS = (1000, 3000)


def version_frame(release: str, layout: str | None) -> bytes:
    return frame("version", {"app": release, "layout": layout})


class Extras:
    """What a stream sends besides its view's frames: a version event when the layout it was
    told changes, and a heartbeat (with the bus status, :meth:`Hub.live`) when it is quiet."""

    def __init__(
        self, hub: Hub, release: str, shown: str | None, layout: Callable[[], str | None] | None
    ) -> None:
        self.hub, self.release, self.shown, self.layout = hub, release, shown, layout
        self.wait = RECHECK_SECONDS if layout else HEARTBEAT_SECONDS  # the writer's longest sleep

    def due(self, written: float, sending: bool) -> bytes:
        """``written``: when the stream last had bytes; ``sending``: it has some now."""
        out = b""
        if self.layout is not None and (now := self.layout()) != self.shown:
            self.shown = now
            out = version_frame(self.release, now)
        if not out and not sending and time.monotonic() - written >= HEARTBEAT_SECONDS:
            out = self.hub.heartbeat_frame(time.time())
        return out


def event_stream(
    hub: Hub,
    spec: ViewSpec,
    last_event_id: int | None,
    coalesce: float = 0.0,
    abort: Callable[[], None] | None = None,
    credential: Hashable | None = None,
    release: str = "",
    layout: Callable[[], str | None] | None = None,
    sock: Any = None,
) -> Iterator[bytes]:
    """The stream's bytes. ``sock``: the connection when the fan-out may write to it (see
    :class:`Client`); with ``coalesce`` (seconds) > 0 the stream is pulled, a burst at a time.
    ``layout``: the view's layout now, asked every :data:`RECHECK_SECONDS`."""
    client, first = hub.attach(spec, last_event_id, abort, credential, None if coalesce else sock)
    shown = getattr(spec, "layout", None)
    extras = Extras(hub, release, shown, layout)
    try:
        yield (
            retry_frame(random.randint(*RETRY_MS)) + b"".join(first) + version_frame(release, shown)
        )
        if client.sock is not None:
            _direct(client, extras)
        else:
            yield from _pulled(client, extras, coalesce)
    finally:
        hub.detach(spec, client)


def _direct(client: Client, extras: Extras) -> None:
    """Write what the fan-out could not, and sleep while it writes the rest."""
    written = time.monotonic()
    while not client.dropped:
        wire = client.take_wire()
        extra = extras.due(max(written, client.view.sent_at if client.live else 0), bool(wire))
        if extra:
            wire += http_chunk(extra)
        if wire:
            if not client.send(wire):
                return  # the connection is gone
            written = time.monotonic()
            continue  # frames may have come while the socket was full
        if client.go_live():
            client.wake.wait(extras.wait)
            client.wake.clear()


def _pulled(client: Client, extras: Extras, coalesce: float) -> Iterator[bytes]:
    """Wait on the view's tick; yield what lies past the cursor, one chunk per wake."""
    written = time.monotonic()
    while not client.dropped:
        tick = client.view.tick  # taken before looking: a frame made after sets this one
        if not client.owed():
            woken = tick.wait(extras.wait)
            if woken and coalesce:
                time.sleep(coalesce)
            if client.dropped:
                return
        chunks = client.take()
        chunks.append(extras.due(written, bool(chunks)))
        data = b"".join(chunks)
        if data:
            client.writing = True  # until the server has written it
            yield data
            client.writing = False
            written = time.monotonic()
