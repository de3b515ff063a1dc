"""``/stream``: one Server-Sent Events stream per page, fed by the hub.

The first event is a snapshot of everything the view needs; updates follow with the bus
sequence number as their event id, so the browser's automatic reconnect (Last-Event-ID) resumes
where it left off or gets a fresh snapshot. Heartbeats keep proxies from closing idle streams
and let the page notice a dead connection. ``retry`` is jittered so that, after a restart,
thousands of screens do not come back in the same millisecond.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

from flask import Blueprint, Response, current_app, jsonify, request

from dashboard.auth import require_role
from dashboard.hub import Hub
from dashboard.views import ViewSpec

HEARTBEAT_SECONDS = 10.0
# Views that show more than the wall screens may: the role each needs, checked with the same
# 401/403 answers as the API. (Wall streams follow the config's wall access, in dashboard.auth.)
# Which agent's view an agent may open is the view factory's to say (PermissionError: 403).
VIEW_ROLES = {"console": "supervisor", "agent": "agent"}
RETRY_MS = (1000, 3000)


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None  # a mangled id only costs a snapshot


def event_stream(hub: Hub, spec: ViewSpec, last_event_id: int | None) -> Iterator[bytes]:
    client, first = hub.attach(spec, last_event_id)
    try:
        yield f"retry: {random.randint(*RETRY_MS)}\n\n".encode() + b"".join(first)
        while True:
            client.wake.wait(HEARTBEAT_SECONDS)
            client.wake.clear()
            chunks = client.take()
            yield b"".join(chunks) if chunks else hub.heartbeat_frame(time.time())
    finally:
        hub.detach(spec, client)


def blueprint(hub: Hub, view_factory: Callable[[str, dict[str, str]], ViewSpec]) -> Blueprint:
    bp = Blueprint("stream", __name__)

    @bp.get("/stream")
    def stream() -> Response:
        role = VIEW_ROLES.get(request.args.get("view", ""))
        return require_role(role)(open_stream)() if role else open_stream()

    def open_stream() -> Response:
        params = request.args.to_dict()
        try:
            spec = view_factory(params.pop("view", ""), params)
        except LookupError as exc:
            field, _, reason = str(exc.args[0]).partition(": ")
            return jsonify(error={"field": field, "reason": reason}), 404
        except PermissionError as exc:
            return jsonify(error={"field": "authorization", "reason": str(exc)}), 403
        hub.start()
        return Response(
            event_stream(hub, spec, _last_event_id()),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @bp.get("/healthz")
    def healthz() -> Response:
        hub.start()
        body = {
            "status": "ok" if hub.status["up"] else "degraded",
            "bus": hub.status,
            "seq": hub.seq,
            "streams": hub.client_count(),
            "version": current_app.config.get("FLOORBOARD_VERSION", ""),
        }
        return jsonify(body), 200 if hub.status["up"] else 503

    return bp
