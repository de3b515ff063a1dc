"""The event envelope and the schema of every kind on the bus.

Every input path (HTTP, CLI, Redis channel, CSV, simulator) goes through :func:`parse_envelope`
so that one set of rules decides what is valid, and a refusal always names the field and the
reason. Models forbid unknown fields: a typo in a producer is an error, not a silent drop.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

# Defined in feeds.errors (times and accounts raise it too); importers keep finding it here.
from feeds.errors import SchemaError

MAX_DEPTH = 8  # an envelope's lists and objects nest at most this deep (the schema needs 4)
# Plausible epoch seconds: catches milliseconds (too big) and relative times (too small).
MIN_TS = 946_684_800.0  # 2000-01-01
MAX_TS = 4_102_444_800.0  # 2100-01-01

Epoch = Annotated[float, Field(ge=MIN_TS, le=MAX_TS, description="epoch seconds, UTC")]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@\-]+$")]
EventId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@/+=\-]+$")]
# Numbers are finite (no NaN or infinity: model_config) and within what a contact centre can
# mean, so a feed's bug is refused at the door instead of overflowing a screen's arithmetic.
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Seconds = Annotated[float, Field(ge=0, le=7 * 86400)]  # one duration: a wait, a handle time
TotalSeconds = Annotated[float, Field(ge=0, le=10 * 365 * 86400)]  # a sum over a day's contacts
Ratio = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0, le=100_000)]  # an amount in the centre's currency

MAX_LEG = 99  # legs of one contact (transfers, consults); see feeds.bus.ordering

# The definitions a queue's figures can use (formulas in feeds.metrics.formulas, docs/metrics.md).
Window = Literal["today", "15m", "30m", "60m"]
SlFormula = Literal[
    "abandons_ignored",
    "abandons_against",
    "threshold_abandons_for",
    "threshold_abandons_excluded",
    "short_abandons_excluded",
]
AbandonFormula = Literal["short_abandons_excluded", "all_abandons"]
StaffingModel = Literal["erlang_a", "erlang_c"]

# Characters that change how text around them is drawn without being seen: C0 and C1 controls
# (newline and tab stay: messages keep their line breaks, a CRLF becoming a newline), and the
# bidirectional embeddings, overrides, isolates and marks, with which "£1000" can be made to
# read "0001£".
HIDDEN_CHARACTERS = frozenset(
    [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)  # fmt: skip
_STRIP_HIDDEN = dict.fromkeys(HIDDEN_CHARACTERS)


def displayable(text: str) -> str:
    """``text`` without :data:`HIDDEN_CHARACTERS`: it reads on screen as it is stored."""
    return text.replace("\r\n", "\n").translate(_STRIP_HIDDEN)


def _displayable(value: Any) -> Any:
    return displayable(value) if isinstance(value, str) else value


def Text(max_length: int, *, min_length: int = 0) -> Any:
    """The one type of every text in the schema that a person may see, at most ``max_length``
    characters: stripped of :data:`HIDDEN_CHARACTERS` before its length is checked, so a text
    made only of hidden characters is as empty as it looks."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), BeforeValidator(_displayable)
    ]


Label = Text(60, min_length=1)  # a region, a segment, a product


AGENT_STATES = ("available", "on_contact", "wrap", "away", "offline")
AgentStateName = Literal["available", "on_contact", "wrap", "away", "offline"]
# Every channel a contact may come by; each reads with a word and an icon (feeds/routing.py).
Channel = Literal["voice", "chat", "email", "social", "sms", "callback", "web_form", "fax"]
CHANNELS: tuple[str, ...] = get_args(Channel)
# The enumerations of the notices, each listed once: forms, commands and sort orders use these.
Severity = Literal["critical", "major", "minor"]  # most severe first
SEVERITIES: tuple[str, ...] = get_args(Severity)
OutageStatus = Literal["investigating", "identified", "monitoring", "resolved"]  # in life order
OUTAGE_STATUSES: tuple[str, ...] = get_args(OutageStatus)
Priority = Literal["info", "important", "urgent"]  # least pressing first
PRIORITIES: tuple[str, ...] = get_args(Priority)
# What a standing authority rule lets an agent give, and the window its allowance counts over.
RuleAction = Literal["credit", "refund", "waiver", "discount", "other"]
RULE_ACTIONS: tuple[str, ...] = get_args(RuleAction)
Period = Literal["contact", "day", "week", "month", "year"]
PERIODS: tuple[str, ...] = get_args(Period)
CasePriority = Literal["low", "normal", "high", "urgent"]  # least pressing first


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AgentCounts(_Model):
    available: Count = 0
    on_contact: Count = 0
    wrap: Count = 0
    away: Count = 0
    offline: Count = 0


class Staffing(_Model):
    """Agents a queue needs now, from queueing theory (feeds.metrics.staffing)."""

    model: StaffingModel  # the model of ``required`` and ``projected_sl``
    window: Window  # the recent window that gives the arrival rate, AHT and patience
    arrivals_per_hour: Annotated[float, Field(ge=0)] | None = None  # None: too little data
    aht: Seconds | None = None
    patience: Seconds | None = None  # mean observed patience; None: nobody abandoned
    traffic: Annotated[float, Field(ge=0)] | None = None  # Erlangs: arrival rate × AHT
    agents: Count = 0  # agents working the queue now: available, on contact or in wrap
    agents_effective: Annotated[float, Field(ge=0)] = 0.0  # blended agents by their share
    required: Count | None = None  # least agents meeting the SL target with ``model``
    required_erlang_c: Count | None = None
    required_erlang_a: Count | None = None
    projected_sl: Ratio | None = None  # SL with the effective agents now, by ``model``
    gap: int | None = None  # required − effective agents (rounded): > 0 needs more


class IntervalRow(_Model):
    """One interval of a queue's day (docs/history.md): contacts counted in the interval they
    were offered in, agent time inside it, and the figures they give by the queue's own
    definitions; a forecast's plan for it; or an agent's or a team's hour (handled only).
    Fields left at their defaults are omitted on the wire: a quiet night costs a few bytes."""

    start: Epoch
    offered: Count = 0
    answered: Count = 0
    answered_in_threshold: Count = 0
    abandoned: Count = 0
    short_abandoned: Count = 0
    abandoned_in_threshold: Count = 0
    answer_wait: TotalSeconds = 0.0
    abandon_wait: TotalSeconds = 0.0
    handled: Count = 0
    handle_time: TotalSeconds = 0.0
    longest_wait: Seconds | None = None  # of the contacts offered in it (still waiting: so far)
    busy_time: TotalSeconds = 0.0  # agent-seconds on contact or in wrap, agents of the queue
    available_time: TotalSeconds = 0.0
    staffed_time: TotalSeconds = 0.0  # agent-seconds working it, blended agents by share
    service_level: Ratio | None = None
    asa: Seconds | None = None
    aht: Seconds | None = None
    abandon_rate: Ratio | None = None
    occupancy: Ratio | None = None
    staffed: Annotated[float, Field(ge=0, le=1_000_000)] | None = None  # mean agents working
    required: Count | None = None  # agents its traffic needed for the target (staffing model)
    forecast_volume: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    forecast_aht: Seconds | None = None
    forecast_required: Count | None = None


MAX_DAY_INTERVALS = 100  # 15-minute intervals in the longest day (25 h, the clocks going back)


class Intraday(_Model):
    """A day in intervals, by item id: ``queue:<id>`` (what happened), ``forecast:<id>`` (the
    plan), ``agent:<id>`` and ``team:<name>`` (contacts handled per hour). Published by the
    producer that aggregates the queue (feeds.intraday), read by the charts."""

    day: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]  # the centre's local date
    step: Literal[900, 1800, 3600]  # seconds per interval
    rows: list[IntervalRow] = Field(default=[], max_length=MAX_DAY_INTERVALS)


class QueueStats(_Model):
    """Statistics of one queue: counts and rates over ``window`` (by default the centre's day).

    The counters are sent with the rates so that a board can roll several queues up by
    weighting (feeds.metrics.formulas.rollup) and never averages percentages. Fields after
    ``agents`` are optional: an ACD that pushes its own statistics may leave them out.
    """

    name: Text(120) | None = None
    channel: Channel | None = None
    waiting: Count = 0
    longest_wait_since: Epoch | None = None  # enqueue time of the oldest waiting contact
    offered: Count = 0
    answered: Count = 0
    answered_in_threshold: Count = 0
    abandoned: Count = 0
    short_abandoned: Count = 0
    service_level: Ratio | None = None
    service_level_30m: Ratio | None = None  # the last 30 minutes, by the same formula
    service_level_15m: Ratio | None = None  # the last quarter hour …
    service_level_prev_15m: Ratio | None = None  # … and the quarter hour before it
    asa: Seconds | None = None
    aht: Seconds | None = None
    abandon_rate: Ratio | None = None
    agents: AgentCounts = AgentCounts()
    window: Window | None = None  # what every count and rate here covers; None: not said
    sl_formula: SlFormula | None = None
    abandon_formula: AbandonFormula | None = None
    abandoned_in_threshold: Count = 0
    answer_wait: TotalSeconds = 0.0  # total queue time of the answered
    abandon_wait: TotalSeconds = 0.0  # total queue time of the abandoned
    handled: Count = 0
    handle_time: TotalSeconds = 0.0  # talk + hold + wrap of the handled
    transferred: Count = 0  # legs that went on to another leg (a transfer out)
    busy_time: TotalSeconds = 0.0  # agent-seconds on contact or in wrap, agents of this queue
    available_time: TotalSeconds = 0.0  # agent-seconds available
    occupancy: Ratio | None = None
    estimated_wait: TotalSeconds | None = (
        None  # for a contact joining now (formulas.estimated_wait)
    )
    staffing: Staffing | None = None
    # The intervals still changing (the current one, the one before), for the live charts.
    intervals: list[IntervalRow] = Field(default=[], max_length=4)


class AgentStats(_Model):
    handled: Count = 0
    handle_time: TotalSeconds = 0.0  # talk + hold + wrap of handled contacts
    answered: Count = 0  # contacts this agent answered (their ASA: answer_wait ÷ answered)
    answer_wait: TotalSeconds = 0.0  # total queue time of the contacts this agent answered


class AgentState(_Model):
    name: Text(120, min_length=1)
    state: AgentStateName
    since: Epoch
    reason: Text(60) | None = None
    team: Text(60) | None = None
    skills: list[Ident] = []
    contact_id: Ident | None = None
    stats: AgentStats = AgentStats()


class ContactEvent(_Model):
    """One event of one leg of a contact. A transfer or consult to another queue is the same
    contact id with the next ``leg`` (1, 2, ...): each leg is offered, answered or abandoned and
    completed on its own queue, and counts there (see docs/metrics.md). ``offered`` with an
    ``agent_id`` means it is ringing at (offered to) that agent: routed, not yet answered.
    ``reason`` (why they called: the IVR choice or the agent's disposition) and ``outcome``
    (what came of it) may come on any event; the customer's history keeps the latest of each
    (:mod:`feeds.customers.history`)."""

    event: Literal["offered", "answered", "abandoned", "completed"]
    leg: Annotated[int, Field(ge=1, le=MAX_LEG)] = 1
    queue: Ident
    channel: Channel
    customer_id: Ident
    enqueued_at: Epoch
    answered_at: Epoch | None = None
    ended_at: Epoch | None = None
    agent_id: Ident | None = None
    talk: Seconds | None = None
    hold: Seconds | None = None
    wrap: Seconds | None = None
    tags: list[Text(40, min_length=1)] = []
    priority: Annotated[int, Field(ge=0, le=100)] = 0  # higher is routed first (feeds/routing.py)
    reason: Text(120) | None = None
    outcome: Text(120) | None = None

    @field_validator("answered_at", "ended_at")
    @classmethod
    def _not_before_enqueue(cls, v: float | None, info: Any) -> float | None:
        if v is not None and v < info.data.get("enqueued_at", MIN_TS):
            raise ValueError("must not be before enqueued_at")
        return v


class Outage(_Model):
    service: Text(120, min_length=1)
    severity: Severity
    status: OutageStatus
    customer_wording: Text(1000) = ""
    internal_note: Text(1000) = ""
    workaround: Text(1000) = ""
    eta: Epoch | None = None
    queues: list[Ident] = []
    offer: Text(300) = ""
    started_at: Epoch
    # Who is affected (feeds.customers.matching): none named means every caller of its queues.
    regions: list[Label] = Field(default=[], max_length=50)  # regions or postcode areas
    services: list[Label] = Field(default=[], max_length=50)  # matched to customers' products
    segments: list[Label] = Field(default=[], max_length=20)
    offer_amount: Money | None = None  # the credit the offer allows an affected customer


class Audience(_Model):
    kind: Literal["all", "team", "queue", "agent"]
    value: Text(128) | None = None

    @model_validator(mode="after")
    def _value_matches_kind(self) -> Audience:
        if self.kind == "all" and self.value:
            raise ValueError("audience.value must be empty when kind is 'all'")
        if self.kind != "all" and not self.value:
            raise ValueError(f"audience.value is required when kind is '{self.kind}'")
        return self


class Message(_Model):
    text: Text(500, min_length=1)
    priority: Priority = "info"
    audience: Audience = Audience(kind="all")
    starts_at: Epoch | None = None
    expires_at: Epoch
    ack_required: StrictBool = False
    author: Text(120) = ""


class Delay(_Model):
    queue: Ident
    reason: Text(200, min_length=1)
    expected_wait: Seconds | None = None
    expires_at: Epoch | None = None
    author: Text(120) = ""


class Ack(_Model):
    message_id: Ident
    agent_id: Ident
    at: Epoch


class Case(_Model):
    id: Ident
    reason: Text(120, min_length=1)
    status: Literal["open", "pending", "closed"] = "open"
    priority: CasePriority = "normal"
    opened_at: Epoch | None = None
    eta: Epoch | None = None  # when the centre expects to resolve it


class Callback(_Model):
    due: Epoch  # by when the customer was promised a call back
    case_id: Ident | None = None
    status: Literal["pending", "done", "missed"] = "pending"


class Customer(_Model):
    """Who is calling: the latest profile of the customer named by the envelope's id, from the
    API, a CSV import, the CRM lookup or the simulator (docs/customers.md)."""

    name: Text(120, min_length=1)
    preferred_name: Text(60) = ""  # how to greet them: "Mrs Patel"
    segment: Text(60) = ""  # tariff or tier: "Standard tariff"
    region: Text(60) = ""
    postcode_area: Text(8) = ""
    products: list[Label] = Field(default=[], max_length=20)
    cases: list[Case] = Field(default=[], max_length=20)
    callbacks: list[Callback] = Field(default=[], max_length=20)
    consent: dict[Ident, bool] = Field(default={}, max_length=20)  # marketing, recording…
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default=[], max_length=10
    )


class Rule(_Model):
    """A standing authority rule: what an agent may give on their own, and what needs more."""

    title: Text(80, min_length=1)
    action: RuleAction
    limit: Money | None = None  # most per grant on the agent's own authority; None: no amount
    over_limit: Literal["supervisor", "refused"] = "supervisor"  # what more than that needs
    allowance: Money | None = None  # most per customer per period, all grants together
    times: int | None = Field(default=None, ge=1, le=1000)  # grants per customer per period
    period: Period = "day"
    queues: list[Ident] = Field(default=[], max_length=50)  # none: every queue
    teams: list[Label] = Field(default=[], max_length=50)  # agents' teams or tiers; none: all
    segments: list[Label] = Field(default=[], max_length=20)  # customers' segments; none: all
    wording: Text(300) = ""  # the approved way to say it


class Commitment(_Model):
    """What an agent gave or promised a customer, recorded from the card: it counts against the
    allowances and is part of the customer's history for the next agent."""

    customer_id: Ident
    contact_id: Ident | None = None
    agent_id: Ident
    type: Literal["gave", "promised"]
    rule_id: Ident | None = None  # the standing rule it was given under
    outage_id: Ident | None = None  # or the outage whose offer it was
    amount: Money | None = None
    text: Text(300, min_length=1)
    due: Epoch | None = None  # a promise's deadline: the callback window's end, a case ETA
    at: Epoch


class Heartbeat(_Model):
    """A producer is alive: sent every ``interval`` seconds, so a reader knows when it is late."""

    interval: Seconds = 5.0
    # Events per second since the producer's previous heartbeat.
    rate: Annotated[float, Field(ge=0, le=10_000_000)] | None = None
    # Whether the producer reaches its own upstream (an adapter's ACD); None when it has none.
    # An adapter that is up but cut off from its ACD sends nothing worth showing.
    connected: StrictBool | None = None
    # The producers whose raw events this one aggregates (``floorboard aggregate``): what it
    # publishes is only as current as they are, so a tile fed by it names them when silent.
    follows: list[Ident] = Field(default=[], max_length=20)


class System(_Model):
    component: Text(60, min_length=1)
    status: Literal["up", "down", "degraded"]
    detail: Text(300) = ""


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
}
KINDS = tuple(DATA_MODELS)
Kind = Literal[
    "queue", "agent", "contact", "outage", "message", "delay", "ack", "heartbeat", "system",
    "customer", "rule", "commitment", "intraday",
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

    def body(self) -> Any:
        """The typed data model of this envelope's kind."""
        return DATA_MODELS[self.kind].model_validate(self.data)


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
    try:
        env = Envelope.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc) from None
    if env.deleted:  # a deletion names its item; whatever data it carries is dropped
        return env.model_copy(update={"data": {}})
    return env.model_copy(update={"data": parse_data(env.kind, env.data)})


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
