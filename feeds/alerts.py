"""Supervisor alerts: what on the floor needs a supervisor now, said once, loudly.

Three rules, each a supervisor may set from the console or the API (``alert_rule`` items,
:class:`feeds.notices.alert_rules.AlertRules`), over the defaults of ``[floor.alerts]`` in the
config (:class:`feeds.floor.Alerts`):

* a queue's longest wait over N seconds: a rule for that queue, else a rule for every queue,
  else the config's ``longest_wait``, else the queue's own ``longest_wait`` alert threshold;
* a queue's service level under target for two intervals running: the last quarter hour and
  the one before it (``service_level_15m``, ``service_level_prev_15m`` of its statistics); a
  rule may set the target it is measured against (the queue's own if none), or turn the alert
  on for a queue when the config has it off;
* an agent in a state over N seconds: a rule for that state (for ``away``, whatever the
  reason), else the state's alert limit of :meth:`feeds.floor.Floor.limit` (wrap-up past five
  minutes, a break far past its plan) when the config's ``agent_state`` is on.

Waits and times in state grow with no event at all, so an alert is sent as a *watch*: what it
is about, since when, and after how many seconds it fires (``after`` 0: firing now). The
browser fires it on the second; it is never computed late. Only the agents nearest their
limit are sent (:data:`AGENTS_WATCHED`), so the list stays short on a floor of five hundred
(the floor view counts every agent past a limit). Pure functions; no I/O. This module is the
one home of what a rule means: the console, the walls' ``alerts`` tile and the API's listing
all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from feeds.bus.schema import Envelope
from feeds.config import Config, Queue
from feeds.errors import SchemaError
from feeds.times import fmt_duration, fmt_span

AGENTS_WATCHED = 20

Watch = dict[str, Any]


@dataclass(frozen=True)
class InForce:
    """The supervisors' rules, by what each is about (``None``: every queue)."""

    wait: dict[str | None, float] = field(default_factory=dict)
    sl: dict[str | None, float | None] = field(default_factory=dict)  # None: the queue's target
    state: dict[str, float] = field(default_factory=dict)


def in_force(stored: Iterable[Envelope]) -> InForce:
    """The stored rules as they apply: for one subject, the latest rule set (the service allows
    one per subject; a feed could send two)."""
    rules = InForce()
    for env in sorted(stored, key=lambda e: (e.ts, e.id)):
        d = env.data
        if d["rule"] == "wait":
            rules.wait[d["queue"]] = d["seconds"]
        elif d["rule"] == "sl":
            rules.sl[d["queue"]] = d["target"]
        else:
            rules.state[d["state"]] = d["seconds"]
    return rules


def subject(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """What a rule is about: two rules with one subject would contradict each other."""
    return data["rule"], data["state"] if data["rule"] == "state" else data["queue"]


def wait_limit(config: Config, rules: InForce, queue: Queue) -> float:
    for key in (queue.id, None):
        if key in rules.wait:
            return rules.wait[key]
    return config.floor.alerts.longest_wait or queue.thresholds.longest_wait.alert


def sl_target(config: Config, rules: InForce, queue: Queue) -> float | None:
    """The target a queue's two intervals are held to, or None: no service-level alert."""
    for key in (queue.id, None):
        if key in rules.sl:
            return rules.sl[key] or queue.sl_target
    return queue.sl_target if config.floor.alerts.service_level else None


def state_limit(config: Config, rules: InForce, state: str, reason: str | None) -> float | None:
    """Seconds in ``state`` (with its away ``reason``) before an agent's alert, or None."""
    if state in rules.state:
        return rules.state[state]
    if not config.floor.alerts.agent_state:
        return None
    limit = config.floor.limit(state, reason)
    return limit.alert if limit else None


NO_RULES = InForce()  # the config's defaults alone


def queue_watches(
    config: Config, stats: Mapping[str, Envelope], rules: InForce = NO_RULES
) -> list[Watch]:
    """Each queue's longest-wait watch and, if it is under target twice running, its SL alert."""
    out: list[Watch] = []
    for q in config.queues:
        env = stats.get(q.id)
        if env is None:
            continue
        d = env.data
        limit = wait_limit(config, rules, q)
        if d.get("longest_wait_since") is not None:
            out.append({"id": f"wait:{q.id}", "kind": "wait", "since": d["longest_wait_since"],
                        "after": limit, "text": f"{q.name}: longest wait over "
                        f"{fmt_duration(limit)}"})  # fmt: skip
        target = sl_target(config, rules, q)
        last, before = d.get("service_level_15m"), d.get("service_level_prev_15m")
        if target is not None and None not in (last, before) and max(last, before) < target:
            under = f"its {target:.0%} target" if target == q.sl_target else f"{target:.0%}"
            out.append({"id": f"sl:{q.id}", "kind": "sl", "since": env.ts, "after": 0,
                        "text": f"{q.name}: service level under {under} "
                        f"two intervals running ({before:.0%}, then {last:.0%})"})  # fmt: skip
    return out


def agent_watches(
    config: Config, agents: Iterable[Envelope], rules: InForce = NO_RULES
) -> list[Watch]:
    """The agents nearest (or past) their state's alert limit, soonest first, at most
    :data:`AGENTS_WATCHED` of them."""
    due: list[tuple[float, Watch]] = []
    for a in agents:
        d = a.data
        limit = state_limit(config, rules, d["state"], d.get("reason"))
        if limit is None:
            continue
        doing = (d.get("reason") if d["state"] == "away" else None) or d["state"]
        text = f"{d['name']}: {doing.replace('_', ' ')} over {fmt_duration(limit)}"
        watch = {"id": f"agent:{a.id}", "kind": "agent", "since": d["since"],
                 "after": limit, "text": text}  # fmt: skip
        due.append((d["since"] + limit, watch))
    due.sort(key=lambda w: (w[0], w[1]["id"]))
    return [w for _, w in due[:AGENTS_WATCHED]]


def watches(
    config: Config,
    stats: Mapping[str, Envelope],
    agents: Iterable[Envelope],
    stored: Iterable[Envelope] = (),
) -> dict[str, Any]:
    """Every watch of the floor: the queues', then the agents' nearest their limits."""
    rules = in_force(stored)
    every = queue_watches(config, stats, rules) + agent_watches(config, agents, rules)
    return {"list": every, "sound": config.floor.alerts.sound}


# -- the rules as a supervisor reads them ---------------------------------------------------------


def rule_text(data: Mapping[str, Any], queue_names: Mapping[str, str]) -> str:
    """One rule in words: "Billing: longest wait over 5 min"."""
    where = queue_names.get(data["queue"], data["queue"]) if data["queue"] else "Every queue"
    if data["rule"] == "wait":
        return f"{where}: longest wait over {fmt_span(data['seconds'])}"
    if data["rule"] == "sl":
        target = f"{data['target']:.0%}" if data["target"] else "its target"
        return f"{where}: service level under {target} two intervals running"
    return f"Any agent {data['state'].replace('_', ' ')} over {fmt_span(data['seconds'])}"


def defaults_text(config: Config) -> list[str]:
    """What the config watches where no rule says otherwise."""
    alerts, floor = config.floor.alerts, config.floor
    wait = fmt_span(alerts.longest_wait) if alerts.longest_wait else "its own alert level"
    out = [f"Each queue: longest wait over {wait}"]
    if alerts.service_level:
        out.append("Each queue: service level under its target two intervals running")
    if alerts.agent_state:
        states = ", ".join(f"{s.replace('_', ' ')} {fmt_span(lim.alert)}"
                           for s, lim in floor.states.items())  # fmt: skip
        out.append(f"Agents: {states}; a break {fmt_span(floor.overrun)} past its plan")
    return out


def rule_list(stored: Iterable[Envelope], config: Config) -> dict[str, Any]:
    """The rules supervisors set (by what they watch, then queue or state) and the config's
    defaults under them: the console's panel."""
    names = {q.id: q.name for q in config.queues}
    order = {"wait": 0, "sl": 1, "state": 2}
    entries = [
        {"id": e.id, **e.data, "text": rule_text(e.data, names), "updated": e.ts}
        for e in sorted(stored, key=lambda e: (order[e.data["rule"]], str(subject(e.data)[1])))
    ]
    return {"list": entries, "defaults": defaults_text(config)}


def parse_target(field: str, text: str | None) -> float | None:
    """A service level as people type it (``70``, ``70%``, ``72.5 %``) → 0.7; blank → None.
    The schema bounds it (above 0, at most 100 %)."""
    text = (text or "").strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        return float(text) / 100
    except ValueError:
        raise SchemaError(field, "expected a percentage such as 70") from None
