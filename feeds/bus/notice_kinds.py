"""The kinds people post and customers bring: outages, messages and their audiences, delay
reasons, acknowledgements, customers (cases, callbacks), authority rules and commitments, and
the alert rules supervisors set."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from feeds.bus.fields import (
    AgentStateName,
    CasePriority,
    Epoch,
    Ident,
    Label,
    Money,
    OutageStatus,
    Period,
    Priority,
    RuleAction,
    Seconds,
    Severity,
    Text,
)
from feeds.bus.kinds import _Model


class Outage(_Model):
    service: Text(120, min_length=1)
    severity: Severity
    status: OutageStatus
    customer_wording: Text(1000) = ""
    internal_note: Text(1000) = ""
    workaround: Text(1000) = ""
    eta: Epoch | None = None
    queues: list[Ident] = Field(default_factory=list)
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


ALERT_WORDS = {"wait": "a longest-wait alert", "sl": "a service-level alert",
               "state": "an agent-state alert"}  # fmt: skip
ALERT_MAX_SECONDS = 86400  # a limit longer than a day is no alert


class AlertRule(_Model):
    """An alert rule a supervisor set (what it means: :mod:`feeds.alerts`): a queue's longest
    wait over ``seconds`` (one queue, or every queue), its service level under ``target`` (its
    own target if none) two intervals running, or an agent in ``state`` over ``seconds``.

    Each field says whether its rule takes it, so a refusal names the field: a wait alert with
    no ``seconds``, a state alert aimed at a queue."""

    rule: Literal["wait", "sl", "state"]
    queue: Ident | None = Field(default=None, validate_default=True)  # None: every queue
    state: AgentStateName | None = Field(default=None, validate_default=True)
    seconds: float | None = Field(default=None, gt=0, le=ALERT_MAX_SECONDS, validate_default=True)
    target: float | None = Field(default=None, gt=0, le=1, validate_default=True)
    author: Text(120) = ""

    @field_validator("queue", "state", "seconds", "target")
    @classmethod
    def _taken_by_its_rule(cls, value: object, info: ValidationInfo) -> object:
        rule = info.data.get("rule")
        needs = {"wait": ("seconds",), "sl": (), "state": ("state", "seconds")}.get(rule)
        takes = {"wait": ("queue", "seconds"), "sl": ("queue", "target"),
                 "state": ("state", "seconds")}.get(rule, ())  # fmt: skip
        if needs is None:  # the rule itself was refused: that is the error to name
            return value
        if value is None and info.field_name in needs:
            raise ValueError(f"is required for {ALERT_WORDS[rule]}")
        if value is not None and info.field_name not in takes:
            raise ValueError(f"{ALERT_WORDS[rule]} has none")
        return value
