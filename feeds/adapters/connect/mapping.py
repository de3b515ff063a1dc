"""Amazon Connect records to Floorboard envelopes: agent event stream records and contact
records (CTRs), in the JSON shapes Amazon documents.

One pure function takes one parsed record, so every path (a file import, the HTTP ingest,
a Kinesis consumer) maps the same way and refuses the same way: a :class:`SchemaError` that
names the record's field (``CurrentAgentSnapshot.AgentStatus.Name``) and the reason. What is
not the board's (a contact that never queued, a queue the config does not map) maps to no
envelopes, which is not an error.

- An agent event (``EventType`` LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT) is the agent's
  state (for agents in the board's queues, or named in ``agent_map``): its contacts first
  (connected or on hold: ``on_contact``; incoming, pending or connecting: ``on_contact``,
  ringing; ended: ``wrap``, i.e. after-contact work; missed,
  rejected or in error: ``away``), else its status (``Offline`` / type OFFLINE: ``offline``;
  ``Available`` / type ROUTABLE: ``available``; any custom status: ``away`` with its name).
  Skills are the routing profile's inbound queues that map to the board's queues.
- A contact record is the whole contact, delivered once it is over: ``offered`` at the
  enqueue, then ``answered`` (connected to an agent) and ``completed`` with talk, hold and
  after-contact work, or ``abandoned`` at the dequeue. Connect delivers records at least
  once, so each event carries an event id from the ContactId: a repeat is not counted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from feeds.adapters.ids import customer_id, ident
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.errors import SchemaError

AGENT_EVENTS = ("STATE_CHANGE", "HEART_BEAT", "LOGIN", "LOGOUT")
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}  # TASK: the queue's channel
BUSY = {"CONNECTED": None, "CONNECTED_ONHOLD": "on hold"}
RINGING = {"INCOMING", "PENDING", "CONNECTING"}
AWAY = {"MISSED": "missed", "REJECTED": "rejected", "ERROR": "error"}


def _get(record: Mapping[str, Any], path: str, kind: type | tuple[type, ...] = str,
         required: bool = True) -> Any:  # fmt: skip
    """The value at a dotted ``path``; None when absent and not required."""
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = None
        if value is None:
            if required:
                raise SchemaError(path, "is required")
            return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SchemaError(path, f"must be {_KINDS.get(kind, 'an object')}")
    return value


_KINDS: dict[Any, str] = {str: "a string", list: "a list", (int, float): "a number"}


def connect_time(record: Mapping[str, Any], path: str, required: bool = True) -> float | None:
    """An ISO 8601 time of a record (Connect's are UTC: ``2019-08-13T20:52:30.704Z``)."""
    text = _get(record, path, str, required)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SchemaError(path, f"not an ISO 8601 time: {text[:40]!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _seconds(record: Mapping[str, Any], path: str) -> float | None:
    value = _get(record, path, (int, float), required=False)
    if value is not None and not 0 <= value < 10**7:
        raise SchemaError(path, "must be a number of seconds, not negative")
    return value


def queue_id(queue: Mapping[str, Any] | None, config: Config) -> str | None:
    """The board's queue for a Connect queue: mapped by name or ARN, or named like one."""
    if not isinstance(queue, Mapping):
        return None
    qmap = config.adapters.connect.queue_map
    for key in (queue.get("Name"), queue.get("ARN")):
        if isinstance(key, str) and key:
            if key in qmap:
                return qmap[key]
            if config.queue(key) is not None:
                return key
    return None


def agent_id(record: Mapping[str, Any], username: str | None, arn: str | None,
             config: Config) -> str:  # fmt: skip
    """The board's agent id: mapped by username or ARN, else the username (or the ARN's id)."""
    amap = config.adapters.connect.agent_map
    for key in (username, arn):
        if key and key in amap:
            return amap[key]
    found = ident(username or (arn or "").rsplit("/", 1)[-1])
    if not found:
        raise SchemaError("AgentARN", "is required (or Configuration.Username)")
    return found


def map_connect_record(record: Any, config: Config, source: str | None = None) -> list[Envelope]:
    """The envelopes of one parsed Connect record (an agent event or a contact record)."""
    if not isinstance(record, Mapping):
        raise SchemaError("", "a record must be a JSON object")
    source = source or config.adapters.connect.source
    if "EventType" in record:
        env = agent_event(record, config, source)
        return [env] if env is not None else []
    if "ContactId" in record:
        return contact_record(record, config, source)
    raise SchemaError("", "neither an agent event (EventType) nor a contact record (ContactId)")


def agent_event(record: Mapping[str, Any], config: Config, source: str) -> Envelope | None:
    """The agent envelope of one agent event stream record; None for an agent who serves
    none of the board's queues and is not named in ``agent_map`` (not one of its agents)."""
    event_type = _get(record, "EventType")
    if event_type not in AGENT_EVENTS:
        raise SchemaError("EventType", f"must be one of {', '.join(AGENT_EVENTS)}")
    ts = connect_time(record, "EventTimestamp")
    arn = _get(record, "AgentARN", required=False)
    snap = "CurrentAgentSnapshot"
    username = _get(record, f"{snap}.Configuration.Username", required=False)
    aid = agent_id(record, username, arn, config)
    first = _get(record, f"{snap}.Configuration.FirstName", required=False) or ""
    last = _get(record, f"{snap}.Configuration.LastName", required=False) or ""
    queues = _get(record, f"{snap}.Configuration.RoutingProfile.InboundQueues", list, False)
    skills = sorted({q for item in queues or [] if (q := queue_id(item, config))})
    amap = config.adapters.connect.agent_map
    if not skills and username not in amap and arn not in amap:
        return None
    state, reason, since, contact = _state(record, event_type, ts)
    data = {
        "name": (f"{first} {last}".strip() or username or aid)[:120], "state": state,
        "since": since, "reason": reason, "skills": skills, "contact_id": contact,
        "team": _team(record, f"{snap}.Configuration.AgentHierarchyGroups"),
    }  # fmt: skip
    event_id = _get(record, "EventId", required=False)
    event_id = f"{source}:{ident(event_id)}" if event_id else None
    return _envelope("agent", aid, data, ts, source, event_id)


def _state(record: Mapping[str, Any], event_type: str, ts: float):
    """(state, reason, since, contact id) of an agent event, by the rules in the module doc."""
    snap = "CurrentAgentSnapshot"
    if event_type == "LOGOUT":
        return "offline", None, ts, None
    contacts = _get(record, f"{snap}.Contacts", list, required=False) or []
    for rank in (BUSY, RINGING, {"ENDED"}, AWAY):
        for i in range(len(contacts)):
            path = f"{snap}.Contacts.{i}"
            state = _get(record, f"{path}.State", required=False)
            if state in rank:
                since = connect_time(record, f"{path}.StateStartTimestamp", False) or ts
                cid = _get(record, f"{path}.ContactId")
                if rank is BUSY:
                    return "on_contact", BUSY[state], since, ident(cid)
                if rank is RINGING:
                    return "on_contact", "ringing", since, ident(cid)
                if state == "ENDED":
                    return "wrap", None, since, ident(cid)
                return "away", AWAY[state], since, None
    name = _get(record, f"{snap}.AgentStatus.Name")
    kind = _get(record, f"{snap}.AgentStatus.Type", required=False)
    since = connect_time(record, f"{snap}.AgentStatus.StartTimestamp", False) or ts
    if kind == "OFFLINE" or (kind is None and name == "Offline"):
        return "offline", None, since, None
    if kind == "ROUTABLE" or (kind is None and name == "Available"):
        return "available", None, since, None
    return "away", name[:60] or None, since, None


def _team(record: Mapping[str, Any], path: str) -> str | None:
    """The agent's most specific hierarchy group, as their team."""
    for level in ("Level5", "Level4", "Level3", "Level2", "Level1"):
        name = _get(record, f"{path}.{level}.Name", required=False)
        if name:
            return name[:60]
    return None


def contact_record(record: Mapping[str, Any], config: Config, source: str) -> list[Envelope]:
    """The contact envelopes of one contact record: none if it never queued on the board."""
    cid = _get(record, "ContactId")
    queue = queue_id(_get(record, "Queue", Mapping, required=False), config)
    if queue is None:
        return []
    enqueued = connect_time(record, "Queue.EnqueueTimestamp")
    settings = config.adapters.connect
    attributes = _get(record, "Attributes", Mapping, required=False) or {}
    custom, tags_text = (_attribute(attributes, name) for name in
                         (settings.customer_attribute, settings.tags_attribute))  # fmt: skip
    number = custom or _get(record, "CustomerEndpoint.Address", required=False) or ""
    tags = [t.strip()[:40] for t in (tags_text or "").split(",") if t.strip()]
    channel = _get(record, "Channel", required=False)
    base = {
        "queue": queue, "customer_id": customer_id(str(number), cid), "enqueued_at": enqueued,
        "channel": CHANNELS.get(channel or "", config.queue(queue).channel), "tags": tags,
    }  # fmt: skip
    out = [_contact(cid, "offered", enqueued, base, source)]
    answered = connect_time(record, "Agent.ConnectedToAgentTimestamp", required=False)
    ended = (connect_time(record, "Agent.AfterContactWorkEndTimestamp", False)
             or connect_time(record, "DisconnectTimestamp", False))  # fmt: skip
    if answered is not None:
        agent = agent_id(record, _get(record, "Agent.Username", required=False),
                         _get(record, "Agent.ARN", required=False), config)  # fmt: skip
        done = {"answered_at": answered, "agent_id": agent}
        out.append(_contact(cid, "answered", answered, {**base, **done}, source))
        out.append(_contact(cid, "completed", ended or answered, {
            **base, **done, "ended_at": ended or answered,
            "talk": _seconds(record, "Agent.AgentInteractionDuration"),
            "hold": _seconds(record, "Agent.CustomerHoldDuration"),
            "wrap": _seconds(record, "Agent.AfterContactWorkDuration"),
        }, source))  # fmt: skip
        return out
    gave_up = connect_time(record, "Queue.DequeueTimestamp", False) or ended
    if gave_up is None:
        raise SchemaError("DisconnectTimestamp", "is required for a contact not answered")
    out.append(_contact(cid, "abandoned", gave_up, {**base, "ended_at": gave_up}, source))
    return out


def _attribute(attributes: Mapping[str, Any], name: str) -> str | None:
    """A contact attribute (names may hold dots, so not a dotted path); attributes are text."""
    value = attributes.get(name) if name else None
    if value is not None and not isinstance(value, str):
        raise SchemaError(f"Attributes.{name}", "must be a string")
    return value


def _contact(cid: str, event: str, ts: float, data: dict[str, Any], source: str) -> Envelope:
    return _envelope("contact", cid, {"event": event, **data}, ts, source,
                     f"{source}:{ident(cid)}:{event}")  # fmt: skip


def _envelope(kind: str, id: str, data: dict[str, Any], ts: float, source: str,
              event_id: str | None) -> Envelope:  # fmt: skip
    """Validate; a schema refusal names the envelope's field, which the record's caller can
    trace (``data.answered_at`` is the record's Agent.ConnectedToAgentTimestamp)."""
    try:
        return make_envelope(kind, id, data, ts=ts, source=source, event_id=event_id)
    except SchemaError as exc:
        raise SchemaError(_RECORD_FIELDS.get(exc.field, exc.field), exc.reason) from None


_RECORD_FIELDS = {
    "id": "ContactId",
    "ts": "EventTimestamp",
    "data.answered_at": "Agent.ConnectedToAgentTimestamp",
    "data.ended_at": "DisconnectTimestamp",
    "data.enqueued_at": "Queue.EnqueueTimestamp",
    "data.since": "CurrentAgentSnapshot.AgentStatus.StartTimestamp",
    "data.name": "CurrentAgentSnapshot.Configuration.FirstName",
}
