"""``/stream``: one Server-Sent Events stream per page, fed by the hub.

The first event is a snapshot of everything the view needs; updates follow with the bus
sequence number as their event id, so the browser's automatic reconnect (Last-Event-ID) resumes
where it left off or gets a fresh snapshot. Heartbeats keep proxies from closing idle streams
and let the page notice a dead connection. ``retry`` is jittered so that, after a restart,
thousands of screens do not come back in the same millisecond.

``/api/v1/snapshot`` serves the same snapshot as JSON, under the same access rules, for
clients that poll or that want the state before they open a stream.
"""

from __future__ import annotations

import contextlib
import random
import socket
import time
from collections.abc import Callable, Iterator

import redis
from flask import Blueprint, Response, current_app, jsonify, request
from flask_caching import Cache

from dashboard.auth import require_role
from dashboard.live.hub import Hub
from dashboard.live.views import ViewSpec

HEARTBEAT_SECONDS = 10.0
# Views that show more than the wall screens may: the role each needs, checked with the same
# 401/403 answers as the API. (Wall streams follow the config's wall access, in dashboard.auth.)
# Which agent's view an agent may open is the view factory's to say (PermissionError: 403).
VIEW_ROLES = {"console": "supervisor", "agent": "agent"}
RETRY_MS = (1000, 3000)
SNAPSHOT_CACHE_SECONDS = 1


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None  # a mangled id only costs a snapshot


class _Refused(Exception):
    """A view that cannot be opened: answered with the field at fault, as the API does."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason


def _cached(cache: Cache | None, key: str) -> str | None:
    """The cached snapshot, or None; a cache that cannot be reached is only a miss."""
    if cache is None:
        return None
    try:
        return cache.get(key)
    except redis.RedisError:
        return None


def _socket_abort() -> Callable[[], None] | None:
    """Shut the connection's socket: under gevent that ends a write blocked on a stalled peer.

    gunicorn hands its socket over in the environ; other servers do not, and there a dropped
    stream ends at its writer's next wake instead.
    """
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return None

    def abort() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    return abort


def event_stream(
    hub: Hub,
    spec: ViewSpec,
    last_event_id: int | None,
    coalesce: float = 0.0,
    abort: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """The stream's frames. With ``coalesce`` (seconds) > 0 the writer, once woken, lets a
    burst gather for that long and writes it as one chunk: one write per client per window."""
    client, first = hub.attach(spec, last_event_id, abort)
    try:
        yield f"retry: {random.randint(*RETRY_MS)}\n\n".encode() + b"".join(first)
        while not client.dropped:
            woken = client.wake.wait(HEARTBEAT_SECONDS)
            if woken and coalesce:
                time.sleep(coalesce)
            client.wake.clear()
            if client.dropped:
                break
            chunks = client.take()
            yield b"".join(chunks) if chunks else hub.heartbeat_frame(time.time())
    finally:
        hub.detach(spec, client)


def blueprint(
    hub: Hub,
    view_factory: Callable[[str, dict[str, str]], ViewSpec],
    *,
    coalesce_ms: int = 0,
    cache: Cache | None = None,
) -> Blueprint:
    """The stream, snapshot and health routes. ``cache``: shares each view's snapshot for
    ``SNAPSHOT_CACHE_SECONDS`` between the app's processes (a reconnect storm asks the same
    thing thousands of times)."""
    bp = Blueprint("stream", __name__)

    def guarded(route: Callable[[], Response]) -> Callable[[], Response]:
        def check() -> Response:
            role = VIEW_ROLES.get(request.args.get("view", ""))
            return require_role(role)(route)() if role else route()

        check.__name__ = route.__name__
        return check

    def view_spec() -> ViewSpec:
        params = request.args.to_dict()
        try:
            return view_factory(params.pop("view", ""), params)
        except LookupError as exc:
            field, _, reason = str(exc.args[0]).partition(": ")
            raise _Refused(404, field, reason) from None
        except PermissionError as exc:
            raise _Refused(403, "authorization", str(exc)) from None

    @bp.errorhandler(_Refused)
    def refused(exc: _Refused) -> tuple[Response, int]:
        return jsonify(error={"field": exc.field, "reason": exc.reason}), exc.status

    @bp.get("/stream")
    @guarded
    def stream() -> Response:
        spec = view_spec()
        hub.start()
        return Response(
            event_stream(hub, spec, _last_event_id(), coalesce_ms / 1000, _socket_abort()),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @bp.get("/api/v1/snapshot")
    @guarded
    def snapshot() -> Response:
        spec = view_spec()
        hub.start()
        key = f"snapshot:{spec.key}"
        body = _cached(cache, key)
        if body is None:
            body = hub.snapshot_data(spec)
            if cache is not None and hub.synced and hub.status["up"]:  # never cache "bus down"
                with contextlib.suppress(redis.RedisError):
                    cache.set(key, body, timeout=SNAPSHOT_CACHE_SECONDS)
        return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})

    @bp.get("/healthz")
    def healthz() -> Response:
        hub.start()
        body = {
            "status": "ok" if hub.status["up"] else "degraded",
            "bus": hub.status,
            "seq": hub.seq,
            "streams": hub.client_count(),
            "dropped": hub.dropped,
            "version": current_app.config.get("FLOORBOARD_VERSION", ""),
        }
        return jsonify(body), 200 if hub.status["up"] else 503

    return bp
