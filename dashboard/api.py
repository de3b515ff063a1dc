"""``/api/v1``: key messages, acknowledgements, outages, delay reasons, the audit log, ingest.

JSON in and out, for the console's scripts and other systems. Every refusal is a 4xx whose body
is ``{"error": {"field": ..., "reason": ...}}``: 400 bad input, 401 no credentials, 403 wrong
role, 404 no such item, 409 the item's state forbids the action (expiring an expired message),
413 body over 64 KB, 415 a body that is not ``application/json``. Requiring the JSON content
type also means a cross-site form can never post here (browsers cannot send it without a CORS
preflight), on top of the session's CSRF check.

Roles (each passes the checks of the roles below it: admin > supervisor > agent > viewer):
reads of messages, outages and delays need ``viewer``; acknowledging needs ``agent`` (an agent
acknowledges as itself, a supervisor may name the agent); every write, the acknowledgement
counts and the audit log need ``supervisor``. Ingest (``POST /api/v1/events``) needs a
``supervisor`` or ``admin`` token: feeds are trusted producers that can change what the whole
floor sees, so there is no weaker "feed" role. Ingest is the feed path, like ``floorboard
publish`` and producers writing to Redis: validated and published, not audited; supervisor
actions go through the routes above, which check references (queues, agents) and are audited.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard.auth import Principal, current_principal, require_role
from feeds.bus.bus import Bus
from feeds.bus.schema import SchemaError, parse_envelope
from feeds.config import Config
from feeds.notices.delays import Delays
from feeds.notices.messages import Messages
from feeds.notices.outages import Outages
from feeds.notices.service import Conflict, NotFound

MAX_BODY = 64 * 1024
AUDIT_KINDS = ("message", "outage", "delay", "ack")
MAX_AUDIT_LIMIT = 1000
_HTTP_FIELDS = {400: "body", 413: "body", 415: "content-type"}


class ApiError(Exception):
    """A refusal that is not about the data's schema (content type, roles of the caller)."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason


def _error(status: int, field: str, reason: str) -> tuple[Response, int]:
    return jsonify(error={"field": field, "reason": reason}), status


def _body(required: bool = True) -> Any:
    """The request's JSON; ``{}`` when optional and absent. Reading past MAX_BODY is a 413."""
    raw = request.get_data(cache=False)
    if not raw:
        if required:
            raise SchemaError("body", "a JSON body is required")
        return {}
    if request.mimetype != "application/json":
        raise ApiError(415, "content-type", "must be application/json")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SchemaError("body", f"not valid JSON: {exc}") from None


def _object(required: bool = True) -> dict[str, Any]:
    body = _body(required)
    if not isinstance(body, dict):
        raise SchemaError("body", "must be a JSON object")
    return body


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_role let the request through
    return principal


def _actor() -> str:
    """How the audit log names the caller: ``token:<label>`` or ``session:<user>``."""
    principal = _principal()
    return f"{principal.via}:{principal.name}"


def _ack_agent(body: dict[str, Any]) -> str:
    """An agent acknowledges as itself; a supervisor or admin names the agent."""
    for key in body:
        if key != "agent_id":
            raise SchemaError(key, "unknown field")
    principal = _principal()
    asked = body.get("agent_id")
    if principal.role == "agent":
        own = principal.agent_id or principal.name
        if asked is not None and asked != own:
            raise ApiError(403, "agent_id", "an agent acknowledges only for themselves")
        return own
    agent_id = asked if asked is not None else principal.agent_id
    if not isinstance(agent_id, str) or not agent_id:
        raise SchemaError("agent_id", "is required")
    return agent_id


def _audit_args() -> tuple[int, str | None]:
    raw = request.args.get("limit", "100")
    try:
        limit = int(raw)
    except ValueError:
        raise SchemaError("limit", "must be a whole number") from None
    if not 1 <= limit <= MAX_AUDIT_LIMIT:
        raise SchemaError("limit", f"must be between 1 and {MAX_AUDIT_LIMIT}")
    kind = request.args.get("kind") or None
    if kind is not None and kind not in AUDIT_KINDS:
        raise SchemaError("kind", f"must be one of {', '.join(AUDIT_KINDS)}")
    return limit, kind


def _envelopes(body: Any, source: str) -> list[Any]:
    """Validate one envelope or a list of them, all before any is published."""
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise SchemaError("body", "no events")
    envs = []
    for i, raw in enumerate(batch):
        if isinstance(raw, dict):
            raw = {"ts": time.time(), "source": source, **raw}
        try:
            envs.append(parse_envelope(raw))
        except SchemaError as exc:
            if not isinstance(body, list):
                raise
            raise SchemaError(f"{i}.{exc.field}" if exc.field else str(i), exc.reason) from None
    return envs


def blueprint(bus: Bus, config: Config) -> Blueprint:
    messages = Messages(bus, config)
    outages = Outages(bus, config)
    delays = Delays(bus, config)
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.before_request
    def limit_body() -> None:
        request.max_content_length = MAX_BODY

    @bp.errorhandler(SchemaError)
    def schema_error(exc: SchemaError) -> tuple[Response, int]:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400
        return _error(status, exc.field, exc.reason)

    @bp.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Response, int]:
        return _error(exc.status, exc.field, exc.reason)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        reason = f"larger than {MAX_BODY} bytes" if status == 413 else exc.description or ""
        return _error(status, _HTTP_FIELDS.get(status, ""), reason)

    # -- messages -----------------------------------------------------------------------------

    @bp.get("/messages")
    @require_role("viewer")
    def list_messages() -> Response:
        return jsonify(messages=messages.list())

    @bp.post("/messages")
    @require_role("supervisor")
    def post_message() -> tuple[Response, int]:
        return jsonify(messages.post(_object(), _actor())), 201

    @bp.get("/messages/<message_id>")
    @require_role("viewer")
    def get_message(message_id: str) -> Response:
        return jsonify(messages.get(message_id))

    @bp.patch("/messages/<message_id>")
    @require_role("supervisor")
    def edit_message(message_id: str) -> Response:
        return jsonify(messages.edit(message_id, _object(), _actor()))

    @bp.post("/messages/<message_id>/expire")
    @require_role("supervisor")
    def expire_message(message_id: str) -> Response:
        return jsonify(messages.expire(message_id, _actor()))

    @bp.get("/messages/<message_id>/acks")
    @require_role("supervisor")
    def message_acks(message_id: str) -> Response:
        return jsonify(messages.ack_status(message_id))

    @bp.post("/messages/<message_id>/ack")
    @require_role("agent")
    def ack_message(message_id: str) -> Response:
        agent_id = _ack_agent(_object(required=False))
        return jsonify(messages.ack(message_id, agent_id, _actor()))

    # -- outages ------------------------------------------------------------------------------

    @bp.get("/outages")
    @require_role("viewer")
    def list_outages() -> Response:
        return jsonify(outages.list())

    @bp.post("/outages")
    @require_role("supervisor")
    def declare_outage() -> tuple[Response, int]:
        return jsonify(outages.declare(_object(), _actor())), 201

    @bp.get("/outages/<outage_id>")
    @require_role("viewer")
    def get_outage(outage_id: str) -> Response:
        return jsonify(outages.get(outage_id))

    @bp.patch("/outages/<outage_id>")
    @require_role("supervisor")
    def update_outage(outage_id: str) -> Response:
        return jsonify(outages.update(outage_id, _object(), _actor()))

    @bp.post("/outages/<outage_id>/resolve")
    @require_role("supervisor")
    def resolve_outage(outage_id: str) -> Response:
        return jsonify(outages.resolve(outage_id, _actor()))

    # -- delays -------------------------------------------------------------------------------

    @bp.get("/delays")
    @require_role("viewer")
    def list_delays() -> Response:
        return jsonify(delays=delays.list())

    @bp.put("/delays/<queue>")
    @require_role("supervisor")
    def set_delay(queue: str) -> Response:
        return jsonify(delays.set(queue, _object(), _actor()))

    @bp.delete("/delays/<queue>")
    @require_role("supervisor")
    def clear_delay(queue: str) -> tuple[str, int]:
        delays.clear(queue, _actor())
        return "", 204

    # -- audit and ingest ---------------------------------------------------------------------

    @bp.get("/audit")
    @require_role("supervisor")
    def audit() -> Response:
        limit, kind = _audit_args()
        return jsonify(entries=messages.audit_log.read(limit, kind))

    @bp.post("/events")
    @require_role("supervisor")
    def ingest() -> Response:
        envs = _envelopes(_body(), f"api:{_principal().name}"[:60])
        seqs = bus.publish_many(envs)
        published = [
            {"kind": e.kind, "id": e.id, "seq": s} for e, s in zip(envs, seqs, strict=True)
        ]
        return jsonify(published=published)

    return bp
