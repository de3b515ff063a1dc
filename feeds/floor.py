"""The supervisor's floor in the config (``[floor]``): how long an agent may stay in a state.

A supervisor watching two hundred agents cannot read every timer; the floor view colours the
few that need a look: a wrap-up past two minutes, a break running past its plan. The limits
are the centre's, so they live in the config::

    [floor]
    collapse_at = 200                       # more agents shown than this: counts per state
    states.wrap = { warn = 120, alert = 300 }
    states.on_contact = { warn = 900, alert = 1800 }
    breaks = { break = 900, lunch = 1800 }  # the plan of each away reason, seconds
    overrun = 300                           # a break this far past its plan is an alert
    alerts.longest_wait = 300               # the console's alerts (feeds/alerts.py)

An away agent whose reason has a plan warns at the plan and alerts ``overrun`` seconds later;
an away agent with another reason (or none) follows ``states.away``. Pure rules, no I/O: the
floor view-model (``dashboard/pages/floor/model.py``) and the supervisor's alerts ask here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from feeds.bus.fields import AGENT_STATES


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limit(_Section):
    """Seconds in a state before an agent's cell warns, then alerts (higher is worse)."""

    warn: Annotated[float, Field(gt=0)]
    alert: Annotated[float, Field(gt=0)]


DEFAULT_STATES = {
    "wrap": Limit(warn=120, alert=300),
    "on_contact": Limit(warn=900, alert=1800),
    "away": Limit(warn=900, alert=1800),
}


class Alerts(_Section):
    """``[floor.alerts]``: what the console alerts supervisors to (:mod:`feeds.alerts`)."""

    longest_wait: float | None = Field(default=None, gt=0)  # None: each queue's alert level
    service_level: StrictBool = True  # under target for the last two quarter hours
    agent_state: StrictBool = True  # an agent past their state's alert limit
    sound: StrictBool = (
        True  # the console's sound, until a supervisor turns it off in their browser
    )


class Floor(_Section):
    """``[floor]``: the time-in-state limits of the floor view, and when it collapses."""

    collapse_at: int = Field(default=200, ge=1, le=100_000)
    alerts: Alerts = Alerts()
    states: dict[str, Limit] = Field(default_factory=lambda: dict(DEFAULT_STATES))
    breaks: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"break": 900.0, "lunch": 1800.0}
    )
    overrun: float = Field(default=300, gt=0)

    @model_validator(mode="after")
    def _known_states(self) -> Floor:
        for state, limit in self.states.items():
            if state not in AGENT_STATES:
                raise ValueError(f"states.{state}: not an agent state ({', '.join(AGENT_STATES)})")
            if limit.warn >= limit.alert:
                raise ValueError(f"states.{state}: warn must be below alert")
        return self

    def limit(self, state: str, reason: str | None) -> Limit | None:
        """The limit on an agent's time in ``state`` (with its away ``reason``), or None."""
        if state == "away" and reason is not None:
            plan = self.breaks.get(reason.strip().lower())
            if plan is not None:
                return Limit(warn=plan, alert=plan + self.overrun)
        return self.states.get(state)

    def status(self, state: str, reason: str | None, seconds: float) -> str:
        """ok / warn / alert for ``seconds`` in a state: the rule the browser ticks with the
        same limits (sent in each cell), so a cell turns amber on the second."""
        limit = self.limit(state, reason)
        if limit is None:
            return "ok"
        return "alert" if seconds >= limit.alert else "warn" if seconds >= limit.warn else "ok"
