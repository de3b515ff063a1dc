"""The live kinds on the bus: queue statistics (with staffing and intervals), agents, contacts,
intraday history, producers' heartbeats and system status. Models forbid unknown fields and
non-finite numbers: a typo in a producer is an error, not a silent drop."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)

from feeds.bus.fields import (
    MAX_LEG,
    MIN_TS,
    AbandonFormula,
    AgentStateName,
    Channel,
    Count,
    Epoch,
    Ident,
    Ratio,
    Seconds,
    SlFormula,
    StaffingModel,
    Text,
    TotalSeconds,
    Window,
)


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


TAG_LENGTH = 40  # characters of one tag of a contact (VIP, at-risk, a campaign)


# The events that end a contact's leg: it leaves the live state, and a flat-out replay writes
# each contact once, as the one that ended it.
FINAL_EVENTS = ("abandoned", "completed")


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
    tags: list[Text(TAG_LENGTH, min_length=1)] = []
    priority: Annotated[int, Field(ge=0, le=100)] = 0  # higher is routed first (feeds/routing.py)
    reason: Text(120) | None = None
    outcome: Text(120) | None = None

    @field_validator("answered_at", "ended_at")
    @classmethod
    def _not_before_enqueue(cls, v: float | None, info: Any) -> float | None:
        if v is not None and v < info.data.get("enqueued_at", MIN_TS):
            raise ValueError("must not be before enqueued_at")
        return v


class Heartbeat(_Model):
    """A producer is alive: sent every ``interval`` seconds, so a reader knows when it is late."""

    interval: Seconds = 5.0
    # Events per second: a producer's over about its last minute, a batch's since the last.
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
