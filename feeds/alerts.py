"""Supervisor alerts: what on the floor needs a supervisor now, said once, loudly.

Three rules (``[floor.alerts]`` in the config, see :class:`feeds.floor.Alerts`):

* a queue's longest wait over N seconds (by default each queue's own ``longest_wait`` alert
  threshold);
* a queue's service level under its target for two intervals running: the last quarter hour
  and the one before it (``service_level_15m``, ``service_level_prev_15m`` of its statistics);
* an agent in a state past its alert limit (:meth:`feeds.floor.Floor.limit`: wrap-up past
  five minutes, a break far past its plan).

Waits and times in state grow with no event at all, so an alert is sent as a *watch*: what it
is about, since when, and after how many seconds it fires (``after`` 0: firing now). The
browser fires it on the second; it is never computed late. Only the agents nearest their
limit are sent (:data:`AGENTS_WATCHED`), so the list stays short on a floor of five hundred
(the floor view counts every agent past a limit). Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.times import fmt_duration

AGENTS_WATCHED = 20

Watch = dict[str, Any]


def queue_watches(config: Config, stats: Mapping[str, Envelope]) -> list[Watch]:
    """Each queue's longest-wait watch and, if it is under target twice running, its SL alert."""
    rules = config.floor.alerts
    out: list[Watch] = []
    for q in config.queues:
        env = stats.get(q.id)
        if env is None:
            continue
        d = env.data
        limit = rules.longest_wait or q.thresholds.longest_wait.alert
        if d.get("longest_wait_since") is not None:
            out.append({"id": f"wait:{q.id}", "kind": "wait", "since": d["longest_wait_since"],
                        "after": limit, "text": f"{q.name}: longest wait over "
                        f"{fmt_duration(limit)}"})  # fmt: skip
        last, before = d.get("service_level_15m"), d.get("service_level_prev_15m")
        if rules.service_level and None not in (last, before) and max(last, before) < q.sl_target:
            out.append({"id": f"sl:{q.id}", "kind": "sl", "since": env.ts, "after": 0,
                        "text": f"{q.name}: service level under its {q.sl_target:.0%} target "
                        f"two intervals running ({before:.0%}, then {last:.0%})"})  # fmt: skip
    return out


def agent_watches(config: Config, agents: Iterable[Envelope]) -> list[Watch]:
    """The agents nearest (or past) their state's alert limit, soonest first, at most
    :data:`AGENTS_WATCHED` of them."""
    floor = config.floor
    if not floor.alerts.agent_state:
        return []
    due: list[tuple[float, Watch]] = []
    for a in agents:
        d = a.data
        limit = floor.limit(d["state"], d.get("reason"))
        if limit is None:
            continue
        doing = (d.get("reason") if d["state"] == "away" else None) or d["state"]
        text = f"{d['name']}: {doing.replace('_', ' ')} over {fmt_duration(limit.alert)}"
        watch = {"id": f"agent:{a.id}", "kind": "agent", "since": d["since"],
                 "after": limit.alert, "text": text}  # fmt: skip
        due.append((d["since"] + limit.alert, watch))
    due.sort(key=lambda w: (w[0], w[1]["id"]))
    return [w for _, w in due[:AGENTS_WATCHED]]


def watches(
    config: Config, stats: Mapping[str, Envelope], agents: Iterable[Envelope]
) -> dict[str, Any]:
    """Every watch of the floor: the queues', then the agents' nearest their limits."""
    every = queue_watches(config, stats) + agent_watches(config, agents)
    return {"list": every, "sound": config.floor.alerts.sound}
