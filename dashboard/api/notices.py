"""``/api/v1`` routes of what supervisors tell the floor: messages and their acknowledgements,
outages, delay reasons, and the audit log of every change to them.

Reads of messages, outages and delays need ``viewer``; acknowledging needs ``agent`` (an agent
acknowledges as itself, a supervisor may name the agent); every write, the acknowledgement
counts and the audit log need ``supervisor``. Each route calls the same service as the console
and the CLI, so a change is validated, published and audited the same whichever way it came.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from dashboard.api.body import json_object
from dashboard.auth.access import message_reader, require_role, sees_internal_notes
from dashboard.auth.principal import Principal, current_principal
from dashboard.errors import Refusal
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.audience import Reader, reaches
from feeds.notices.delays import Delays
from feeds.notices.messages import Messages
from feeds.notices.outages import Outages, public_outage
from feeds.notices.service import NotFound

AUDIT_KINDS = ("message", "outage", "delay", "ack", "rule", "commitment", "alert_rule")
MAX_AUDIT_LIMIT = 1000


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_role let the request through
    return principal


def _ack_agent(body: dict[str, Any]) -> str:
    """An agent acknowledges as itself; a supervisor or admin names the agent."""
    for key in body:
        if key != "agent_id":
            raise SchemaError(key, "unknown field")
    principal = _principal()
    asked = body.get("agent_id")
    if principal.agent is not None:
        if asked is not None and asked != principal.agent:
            raise Refusal(403, "agent_id", "an agent acknowledges only for themselves")
        return principal.agent
    if not isinstance(asked, str) or not asked:
        raise SchemaError("agent_id", "is required")
    return asked


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


def add_routes(bp: Blueprint, bus: Bus, config: Config) -> None:
    messages = Messages(bus, config)
    outages = Outages(bus, config)
    delays = Delays(bus, config)

    # -- messages -----------------------------------------------------------------------------

    def reader() -> Reader:
        return message_reader(_principal(), messages.agents(messages.client))

    def outage_view(record: dict[str, Any]) -> dict[str, Any]:
        """An outage as the caller may see it: internal notes (also in the timeline's changes)
        only for supervisors."""
        if sees_internal_notes(_principal()):
            return record
        timeline = [
            {**t, "changes": public_outage(t["changes"])} for t in record.get("timeline", [])
        ]
        return {**public_outage(record), **({"timeline": timeline} if "timeline" in record else {})}

    @bp.get("/messages")
    @require_role("viewer")
    def list_messages() -> Response:
        who = reader()
        return jsonify(messages=[m for m in messages.list() if reaches(m["audience"], who)])

    @bp.post("/messages")
    @require_role("supervisor")
    def post_message() -> tuple[Response, int]:
        return jsonify(messages.post(json_object(), _principal().actor)), 201

    @bp.get("/messages/<message_id>")
    @require_role("viewer")
    def get_message(message_id: str) -> Response:
        message = messages.get(message_id)
        if not reaches(message["audience"], reader()):  # as if it did not exist: no hint
            raise NotFound("id", f"no message {message_id!r}")
        return jsonify(message)

    @bp.patch("/messages/<message_id>")
    @require_role("supervisor")
    def edit_message(message_id: str) -> Response:
        return jsonify(messages.edit(message_id, json_object(), _principal().actor))

    @bp.post("/messages/<message_id>/expire")
    @require_role("supervisor")
    def expire_message(message_id: str) -> Response:
        return jsonify(messages.expire(message_id, _principal().actor))

    @bp.get("/messages/<message_id>/acks")
    @require_role("supervisor")
    def message_acks(message_id: str) -> Response:
        return jsonify(messages.ack_status(message_id))

    @bp.post("/messages/<message_id>/ack")
    @require_role("agent")
    def ack_message(message_id: str) -> Response:
        agent_id = _ack_agent(json_object(required=False))
        return jsonify(messages.ack(message_id, agent_id, _principal().actor))

    # -- outages ------------------------------------------------------------------------------

    @bp.get("/outages")
    @require_role("viewer")
    def list_outages() -> Response:
        return jsonify({k: [outage_view(o) for o in v] for k, v in outages.list().items()})

    @bp.post("/outages")
    @require_role("supervisor")
    def declare_outage() -> tuple[Response, int]:
        return jsonify(outages.declare(json_object(), _principal().actor)), 201

    @bp.get("/outages/<outage_id>")
    @require_role("viewer")
    def get_outage(outage_id: str) -> Response:
        return jsonify(outage_view(outages.get(outage_id)))

    @bp.patch("/outages/<outage_id>")
    @require_role("supervisor")
    def update_outage(outage_id: str) -> Response:
        return jsonify(outages.update(outage_id, json_object(), _principal().actor))

    @bp.post("/outages/<outage_id>/resolve")
    @require_role("supervisor")
    def resolve_outage(outage_id: str) -> Response:
        return jsonify(outages.resolve(outage_id, _principal().actor))

    # -- delays and the audit log -------------------------------------------------------------

    @bp.get("/delays")
    @require_role("viewer")
    def list_delays() -> Response:
        return jsonify(delays=delays.list())

    @bp.put("/delays/<queue>")
    @require_role("supervisor")
    def set_delay(queue: str) -> Response:
        return jsonify(delays.set(queue, json_object(), _principal().actor))

    @bp.delete("/delays/<queue>")
    @require_role("supervisor")
    def clear_delay(queue: str) -> tuple[str, int]:
        delays.clear(queue, _principal().actor)
        return "", 204

    @bp.get("/audit")
    @require_role("supervisor")
    def audit() -> Response:
        limit, kind = _audit_args()
        return jsonify(entries=messages.audit_log.read(limit, kind))
