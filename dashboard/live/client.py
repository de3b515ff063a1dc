"""One open stream: where it is in its view's frame log, and how its bytes reach the screen.

A client is *live* while it is in step with its view and the fan-out writes to its socket
directly (:meth:`View._write_live`); otherwise its own writer takes the frames past its cursor
(:meth:`take`) and writes them. A live client costs the fan-out one system call per frame and
nothing else: it is woken only when it falls out of step (its socket took less than a frame),
when it must resynchronise, or when it is dropped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from typing import Any

from dashboard.live.view import View, http_chunk


class Client:
    """A stream's cursor into its view's log, its writer's wake-up and its stall clock."""

    def __init__(
        self,
        view: View,
        sock: Any = None,
        abort: Callable[[], None] | None = None,
        credential: Hashable | None = None,
    ) -> None:
        """``sock``: the connection, when the fan-out may write to it directly (a non-blocking
        socket under gevent, speaking chunked HTTP/1.1); None: only the writer writes."""
        self.view = view
        self.cursor = view.gen  # the position of the last frame this screen has been given
        self.sock = sock
        self.fd = sock.fileno() if sock is not None else -1
        self.credential = credential  # what let this stream in; it ends when that does
        self.live = False
        self.rest = b""  # the unwritten tail of a frame the socket did not take whole
        self.writing = False  # a write to this screen is waiting for its socket
        self.behind_since: float | None = None  # when the sweep first saw it behind
        self.dropped = False
        self.wake = threading.Event()  # a live screen's writer: set only off the hot path
        self._abort = abort

    # -- the view's side (called under the hub's lock) ----------------------------------------

    def fell_behind(self, at: int, rest: bytes | None) -> None:
        """The fan-out's write of frame ``at`` was short (``rest`` is what is left of it), or
        the connection is gone (``rest`` None)."""
        self.live = False
        self.cursor = at
        if rest is None:
            self.dropped = True
        else:
            self.rest = rest
        self.wake.set()

    def unlive(self, at: int) -> None:
        """Out of step at position ``at`` (a resync follows): the writer takes over."""
        self.live = False
        self.cursor = at
        self.wake.set()

    def owed(self) -> bool:
        """Whether frames wait for this screen's writer (or a write waits for its socket)."""
        return not self.live and (self.writing or bool(self.rest) or self.cursor != self.view.gen)

    def drop(self) -> None:
        """End this stream: wake its writer, and abort its socket if a write is blocked on it."""
        self.dropped = True
        self.view.unlive(self)
        self.wake.set()
        self.view.nudge()
        if self._abort is not None:
            self._abort()

    # -- the writer's side --------------------------------------------------------------------

    def take(self) -> list[bytes]:
        """The frames past the cursor as they are written: runs merged (this screen is behind
        by them), or one snapshot when they have left the log. Nothing for a live client."""
        view = self.view
        with view.lock:
            if self.live or self.dropped:
                return []
            frames = view.since(self.cursor)
            self.cursor = view.gen
            if frames is None:
                view.stats.resnapshots += 1
                return [view.snapshot()]
            return view.chunks(frames)

    def take_wire(self) -> bytes:
        """What the writer must write to the socket itself: the rest of a short write, then
        the frames past the cursor as one HTTP chunk."""
        rest, self.rest = self.rest, b""
        chunks = self.take()
        return rest + http_chunk(b"".join(chunks)) if chunks else rest

    def go_live(self) -> bool:
        """Hand this screen to the fan-out, if it is in step (nothing left to write)."""
        view = self.view
        with view.lock:
            if self.live:  # the fan-out writes to it: its cursor stays where it went live
                return True
            if self.dropped or self.rest or self.cursor != view.gen:
                return False
            self.live = True
            view.go_live(self, self.fd)
            return True

    def send(self, wire: bytes) -> bool:
        """Write wire bytes to the socket: at once if it takes them, else out of step while the
        rest waits for it. False once the connection is gone."""
        try:
            n = os.write(self.fd, wire)
        except BlockingIOError:
            n = 0
        except OSError:
            return False
        if n == len(wire):
            return True
        with self.view.lock:
            self.view.unlive(self)
        self.writing = True
        try:
            self.sock.sendall(memoryview(wire)[n:])
            return True
        except OSError:
            return False
        finally:
            self.writing = False
            self.wake.clear()  # set by going out of step: the writer goes on from the log anyway
