"""``/stream``: one Server-Sent Events stream per page, fed by the hub.

The first event is a snapshot of everything the view needs; updates follow with the bus
sequence number as their event id, so the browser's automatic reconnect (Last-Event-ID) resumes
where it left off or gets a fresh snapshot. Heartbeats keep proxies from closing idle streams
and let the page notice a dead connection. ``retry`` is jittered so that, after a restart,
thousands of screens do not come back in the same millisecond.

After its first frames every stream sends a ``version`` event: the app's release and the
layout the view's items fit (a wall's board version, ``Config.board_version``), again whenever that
layout changes. A page built for another release or layout reloads itself (``stream.js``):
an upgrade or a config change reaches open screens with nobody touching them.

``/api/v1/snapshot`` serves the same snapshot as JSON, under the same access rules, for
clients that poll or that want the state before they open a stream.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import redis
from flask import Blueprint, Response, g, request
from flask_caching import Cache

from dashboard.auth.access import VIEW_ROLES, refusal
from dashboard.auth.principal import current_principal
from dashboard.errors import Refusal, error_response
from dashboard.live.hub import Hub
from dashboard.live.spec import ViewFactory, ViewSpec
from dashboard.live.writer import RECHECK_SECONDS, event_stream

SNAPSHOT_CACHE_SECONDS = 1
SYNC_WAIT_SECONDS = 3.0  # a snapshot asked of a worker that has just booted waits this long
VERSION = version("floorboard")  # in /healthz and /readyz: which release a worker runs


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None  # a mangled id only costs a snapshot


def _cached(cache: Cache | None, key: str) -> str | None:
    """The cached snapshot, or None; a cache that cannot be reached is only a miss."""
    if cache is None:
        return None
    try:
        return cache.get(key)
    except redis.RedisError:
        return None


def _socket_abort() -> Callable[[], None] | None:
    """End the connection under a write blocked on a stalled peer.

    gunicorn hands its socket over in the environ; other servers do not, and there a dropped
    stream ends at its writer's next wake instead. The socket is shut down through a second
    handle on the same descriptor: the blocked write then fails as a plain broken pipe, which
    the server ends quietly. (Shutting down gunicorn's own gevent socket would cancel the
    write from another greenlet, an error the server logs with a 40-line traceback for every
    dropped screen; the hub has already logged the drop in one line.)
    """
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return None

    def abort() -> None:
        with contextlib.suppress(OSError, ValueError):
            twin = socket.socket(fileno=sock.fileno())
            try:
                twin.shutdown(socket.SHUT_RDWR)
            finally:
                twin.detach()  # the descriptor stays the server's to close

    return abort


def _direct_socket() -> Any:
    """The connection, when the hub's fan-out may write to it directly: gunicorn's socket,
    non-blocking (its gevent worker: a write never holds the fan-out up), for a GET over
    HTTP/1.1 (so the server frames the body in chunks, as the direct writes do), never TLS
    (the bytes written to the descriptor would bypass the encryption)."""
    sock = request.environ.get("gunicorn.socket")
    if sock is None or request.method != "GET" or hasattr(sock, "cipher"):
        return None
    if request.environ.get("SERVER_PROTOCOL") != "HTTP/1.1":
        return None
    try:
        return None if os.get_blocking(sock.fileno()) else sock
    except (OSError, ValueError):
        return None


def blueprint(
    hub: Hub,
    view_factory: ViewFactory,
    *,
    coalesce_ms: int = 0,
    cache: Cache | None = None,
    release: str = VERSION,
) -> Blueprint:
    """The stream and snapshot routes (health: :mod:`dashboard.ops.health`). ``cache``: shares
    each view's snapshot for ``SNAPSHOT_CACHE_SECONDS`` between the app's processes (a
    reconnect storm asks the same thing thousands of times). ``release``: what this app's
    pages are built from (the package version and its scripts' fingerprint,
    :func:`dashboard.pages.assets.release`)."""
    bp = Blueprint("stream", __name__)

    def guarded(route: Callable[[], Response]) -> Callable[[], Response]:
        """The role a view needs (:data:`VIEW_ROLES`), with the API's 401/403 answers."""

        def check() -> Response:
            role = VIEW_ROLES.get(request.args.get("view", ""))
            return (refusal(role) if role else None) or route()

        check.__name__ = route.__name__
        return check

    def view_spec() -> ViewSpec:
        params = request.args.to_dict()
        try:
            return view_factory(params.pop("view", ""), params, current_principal())
        except LookupError as exc:
            field, _, reason = str(exc.args[0]).partition(": ")
            raise Refusal(404, field, reason) from None
        except PermissionError as exc:
            raise Refusal(403, "authorization", str(exc)) from None

    @bp.errorhandler(Refusal)
    def refused(exc: Refusal) -> Response:
        return error_response(exc.status, exc.field, exc.reason)

    layouts: dict[tuple, tuple[float, str | None]] = {}  # asked once per RECHECK per view

    def layout_now(spec: ViewSpec) -> Callable[[], str | None] | None:
        """For a view with a layout (a wall): its layout as the factory would build it now;
        None once it is gone (a board removed: the page reloads into "unknown board"). Every
        screen of a view asks every few seconds: the answer is shared for that long."""
        if getattr(spec, "layout", None) is None:
            return None
        params = request.args.to_dict()
        view, principal = params.pop("view", ""), current_principal()
        key = (view, tuple(sorted(params.items())), principal)

        def now() -> str | None:
            at = time.monotonic()
            kept = layouts.get(key)
            if kept is not None and at - kept[0] < RECHECK_SECONDS:
                return kept[1]
            try:
                found = getattr(view_factory(view, params, principal), "layout", None)
            except (LookupError, PermissionError):
                found = None
            if len(layouts) > 10_000:  # one entry per view and principal: bounded all the same
                layouts.clear()
            layouts[key] = (at, found)
            return found

        return now

    @bp.get("/stream")
    @guarded
    def stream() -> Response:
        spec = view_spec()
        hub.start()
        frames = event_stream(
            hub, spec, _last_event_id(), coalesce_ms / 1000, _socket_abort(), g.get("credential"),
            release, layout_now(spec), _direct_socket(),
        )  # fmt: skip
        return Response(
            frames,
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @bp.get("/api/v1/snapshot")
    @guarded
    def snapshot() -> Response:
        spec = view_spec()
        hub.start()
        if not hub.wait_synced(SYNC_WAIT_SECONDS):
            raise Refusal(503, "bus", "not synchronised with the bus yet: try again shortly")
        key = f"snapshot:{spec.key}"
        body = _cached(cache, key)
        if body is None:
            body = hub.snapshot_data(spec)
            if cache is not None and hub.synced and hub.status["up"]:  # never cache "bus down"
                with contextlib.suppress(redis.RedisError):
                    cache.set(key, body, timeout=SNAPSHOT_CACHE_SECONDS)
        return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})

    return bp
