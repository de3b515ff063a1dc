"""A queue's published figures (the ``queue`` item's data) from its counters, and its traffic.

The aggregator keeps the counters (:mod:`feeds.metrics.aggregator`); what a queue's item says
of them (the rates, the estimated wait, the staffing plan) is worked out here, and so is the
traffic staffing reads from a span of counts, which an interval's row reads too
(:func:`feeds.intraday.rows.required`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from feeds.bus.kinds import QueueStats
from feeds.config import Queue
from feeds.metrics import formulas, staffing
from feeds.metrics.agents import WORKING
from feeds.metrics.agents import Entry as AgentEntry
from feeds.metrics.formulas import Counts

MIN_RATE_SPAN = 60.0  # seconds of data before an arrival rate is estimated
_COUNT_FIELDS = (
    "offered", "answered", "answered_in_threshold", "abandoned", "short_abandoned",
    "abandoned_in_threshold", "handled", "transferred",
)  # fmt: skip
_TIME_FIELDS = ("answer_wait", "abandon_wait", "handle_time", "busy_time", "available_time")


def traffic(queue: Queue, c: Counts, span: float, aht: float | None) -> staffing.Queue | None:
    """The queue's traffic over ``span`` seconds of counts ``c``: arrivals a second, their AHT
    (else ``aht``, a longer span's), callers' patience, and the queue's target. None with
    under :data:`MIN_RATE_SPAN` of data, or no AHT yet."""
    aht = formulas.aht(c.handle_time, c.handled) or aht
    if not aht or span < MIN_RATE_SPAN:
        return None
    return staffing.Queue(
        arrival_rate=c.offered / span, aht=aht, patience=formulas.patience(c),
        threshold=queue.sl_threshold, short_abandon=queue.short_abandon,
        target=queue.sl_target, formula=queue.metrics.service_level,
    )  # fmt: skip


def effective_agents(
    latest: Iterable[AgentEntry], load: Mapping[str, staffing.Queue | None]
) -> dict[str, float]:
    """Working agents per queue of ``load``, each blended agent counted by the share of its
    queues' recent load (Erlangs) that falls on the queue; equal shares while loads are
    unknown. ``latest``: each agent's current state."""
    erlangs = {qid: t.traffic if t else 0.0 for qid, t in load.items()}
    out = dict.fromkeys(load, 0.0)
    for e in latest:
        if e.state not in WORKING:
            continue
        mine = [q for q in e.skills if q in out]
        total = sum(erlangs[q] for q in mine)
        for q in mine:
            out[q] += erlangs[q] / total if total > 0 else 1 / len(mine)
    return out


def queue_data(
    q: Queue,
    counts: Mapping[str, Counts],
    agents: dict[str, int],
    waiting: Mapping[Any, float],
    load: staffing.Queue | None,
    effective: float,
) -> dict[str, Any]:
    """The ``queue`` item's data: ``counts`` by window, ``agents`` by state, the contacts
    ``waiting`` (each since when), the queue's traffic and its effective agents."""
    m = q.metrics
    c = counts[m.window]
    figures = formulas.figures(c, m.service_level, m.abandon_rate)
    recent = counts[m.staffing_window]
    plan = None
    if m.staffing != "off":
        working = sum(agents[s] for s in WORKING)
        plan = {"model": m.staffing, "window": m.staffing_window,
                **staffing.plan(load, working, effective, m.staffing)}  # fmt: skip
    data = {
        "name": q.name,
        "channel": q.channel,
        "waiting": len(waiting),
        "longest_wait_since": min(waiting.values(), default=None),
        **{k: round(getattr(c, k)) for k in _COUNT_FIELDS},
        **{k: round(getattr(c, k), 3) for k in _TIME_FIELDS},
        **figures,
        "service_level_30m": formulas.service_level(m.service_level, counts["30m"]),
        "service_level_15m": formulas.service_level(m.service_level, counts["15m"]),
        "service_level_prev_15m": formulas.service_level(
            m.service_level, counts["30m"] - counts["15m"]
        ),
        "agents": agents,
        "window": m.window,
        "sl_formula": m.service_level,
        "abandon_formula": m.abandon_rate,
        "estimated_wait": formulas.estimated_wait(
            len(waiting),
            agents["available"],
            effective,
            load.aht if load else figures["aht"],
            figures["asa"],
            formulas.patience(recent),
        ),
        "staffing": plan,
    }
    return QueueStats.model_validate(data).model_dump(mode="json")
