"""The event envelope and the schema of every kind on the bus.

Every input path (HTTP, CLI, Redis channel, CSV, simulator) goes through :func:`parse_envelope`
so that one set of rules decides what is valid, and a refusal always names the field and the
reason. Models forbid unknown fields: a typo in a producer is an error, not a silent drop.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Literal

import pydantic_core
from pydantic import (
    Field,
    StrictBool,
    ValidationError,
)

from feeds.bus.fields import MAX_DEPTH, Epoch, EventId, Ident, Text
from feeds.bus.kinds import (
    AgentState,
    ContactEvent,
    Heartbeat,
    Intraday,
    QueueStats,
    System,
    _Model,
)
from feeds.bus.notice_kinds import (
    Ack,
    AlertRule,
    Commitment,
    Customer,
    Delay,
    Message,
    Outage,
    Rule,
)

# Defined in feeds.errors (times and accounts raise it too); importers keep finding it here.
from feeds.errors import SchemaError

DATA_MODELS: dict[str, type[_Model]] = {
    "queue": QueueStats,
    "agent": AgentState,
    "contact": ContactEvent,
    "outage": Outage,
    "message": Message,
    "delay": Delay,
    "ack": Ack,
    "heartbeat": Heartbeat,
    "system": System,
    "customer": Customer,
    "rule": Rule,
    "commitment": Commitment,
    "intraday": Intraday,
    "alert_rule": AlertRule,
}
KINDS = tuple(DATA_MODELS)
Kind = Literal[
    "queue", "agent", "contact", "outage", "message", "delay", "ack", "heartbeat", "system",
    "customer", "rule", "commitment", "intraday", "alert_rule",
]  # fmt: skip
# Looked up by id, never mirrored whole: a centre's customers may be millions, so snapshots
# leave them out and a screen reads the one it needs (feeds.customers.profiles).
REFERENCE_KINDS = ("customer",)
# Events, not state: published for whoever listens, kept by their own store (the customer's
# ledger), never as an item's latest value.
EVENT_KINDS = ("commitment",)


class Envelope(_Model):
    """One item on the bus or the stream: the latest value of (kind, id) as of ``seq``."""

    kind: Kind
    id: Ident
    seq: int = Field(default=0, ge=0)  # assigned by the bus at write time; 0 before
    ts: Epoch
    source: Text(60) = ""
    deleted: StrictBool = False  # the item is gone (expired, resolved, completed): drop it
    data: dict[str, Any]
    # A producer's own id for this event: the bus writes an event id once (a retry or a
    # re-delivery is dropped). Write-path only: never stored or sent on with the item.
    event_id: EventId | None = Field(default=None, exclude=True)

    @classmethod
    def trusted(
        cls, kind: str, id: str, ts: float, source: str, data: dict[str, Any],
        event_id: str | None = None,
    ) -> Envelope:  # fmt: skip
        """The envelope ``model_construct`` would make of these fields, none validated, at half
        its cost (it looks up every field's aliases and defaults each time): for a producer
        that has checked what it builds (a flat-out replay makes one a row). ``seq`` 0, not
        deleted; every field set, as when the models validate a whole envelope."""
        env = cls.__new__(cls)
        fields = {"kind": kind, "id": id, "seq": 0, "ts": ts, "source": source, "deleted": False,
                  "data": data, "event_id": event_id}  # fmt: skip
        object.__setattr__(env, "__dict__", fields)
        object.__setattr__(env, "__pydantic_fields_set__", set(fields))
        object.__setattr__(env, "__pydantic_extra__", None)
        object.__setattr__(env, "__pydantic_private__", None)
        return env

    def body(self) -> Any:
        """The typed data model of this envelope's kind."""
        return DATA_MODELS[self.kind].model_validate(self.data)

    def stored(self, data_json: bytes) -> bytes:
        """The envelope as the bus stores it, without its ``seq`` (the write adds it): the bytes
        of ``model_dump_json(exclude={"seq"})``, put together around ``data_json``, its data
        encoded once (``pydantic_core.to_json``) for this and the ordering digest alike."""
        head = {"kind": self.kind, "id": self.id, "ts": self.ts, "source": self.source,
                "deleted": self.deleted}  # fmt: skip
        return pydantic_core.to_json(head)[:-1] + b',"data":' + data_json + b"}"


def _first_error(exc: ValidationError, prefix: str = "") -> SchemaError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if p != "[key]")  # a dict's key: named by itself
    field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    reason = err["msg"]
    if err["type"] == "extra_forbidden":
        reason = "unknown field"
    elif err["type"] == "missing":
        reason = "is required"
    elif err["type"] == "literal_error":
        reason = "must be one of " + err["ctx"]["expected"]
    return SchemaError(field, reason.removeprefix("Value error, "))


def parse_data(kind: str, data: Any) -> dict[str, Any]:
    """Validate ``data`` for ``kind``; returns it normalised (defaults filled, types coerced)."""
    model = DATA_MODELS.get(kind)
    if model is None:
        raise SchemaError("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        raise _first_error(exc, "data") from None


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    # Only containers are queued: an envelope is mostly scalars, and every producer's event
    # passes here (a CSV replay's rows by the hundred thousand).
    deepest, todo = 0, [(value, 1)] if isinstance(value, dict | list) else []
    while todo:
        item, level = todo.pop()
        if level > deepest:
            deepest = level
        values = item.values() if isinstance(item, dict) else item
        todo.extend((v, level + 1) for v in values if isinstance(v, dict | list))
    return deepest


def loads(raw: str | bytes) -> Any:
    """JSON text to Python, or :class:`SchemaError`: never a RecursionError from deep nesting."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise SchemaError("", "nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SchemaError("", f"not valid JSON: {exc}") from None


def parse_envelope(raw: str | bytes | dict[str, Any]) -> Envelope:
    """Parse and validate one envelope from JSON text or a dict; raises :class:`SchemaError`."""
    if isinstance(raw, str | bytes):
        raw = loads(raw)
    if not isinstance(raw, dict):
        raise SchemaError("", "an envelope must be a JSON object")
    if depth(raw) > MAX_DEPTH:
        raise SchemaError("", f"nested more than {MAX_DEPTH} levels deep")
    kind = raw.get("kind")
    if kind is not None and (not isinstance(kind, str) or kind not in DATA_MODELS):
        raise SchemaError("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    # The data is validated first, then the envelope with it in place: one validation of each
    # and no copies. The envelope's own fields are still named first when both are wrong.
    deleted = raw.get("deleted")
    try:
        if deleted is True or kind is None:  # a deletion names its item; its data is dropped
            env = Envelope.model_validate(raw)
            return env.model_copy(update={"data": {}}) if env.deleted else env
        try:
            data = parse_data(kind, raw.get("data"))
        except SchemaError:
            Envelope.model_validate(raw)  # an error of the envelope's own comes first
            raise
        return Envelope.model_validate({**raw, "data": data})
    except ValidationError as exc:
        raise _first_error(exc) from None


def make_envelope(
    kind: str,
    id: str,
    data: dict[str, Any],
    *,
    ts: float,
    source: str = "",
    deleted: bool = False,
    event_id: str | None = None,
) -> Envelope:
    """Build a validated envelope from Python values (producers' path)."""
    raw = {"kind": kind, "id": id, "ts": ts, "source": source, "deleted": deleted, "data": data}
    if event_id is not None:
        raw["event_id"] = event_id
    return parse_envelope(raw)


@functools.cache
def limits(kind: str | None, field: str) -> dict[str, Any]:
    """What the schema allows of one field, as its JSON Schema says (``minimum``, ``maximum``,
    ``minLength``, ``maxLength``, ``pattern``, ``items``...): of the envelope when ``kind`` is
    None, else of that kind's data; null aside. For checks made a column at a time (a
    flat-out CSV replay) that must agree with the models: read here, never written again."""
    model = Envelope if kind is None else DATA_MODELS[kind]
    spec = model.model_json_schema()["properties"][field]
    out: dict[str, Any] = {}
    for part in spec.get("anyOf", [spec]):
        if part.get("type") != "null":
            out.update(part)
    return out
