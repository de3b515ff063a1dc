"""An interval's figures from its counters, and several queues' intervals rolled up.

The same definitions as every tile (:mod:`feeds.metrics.formulas`, by each queue's own
service-level and abandon formulas) and the same staffing model (:mod:`feeds.metrics.staffing`),
so an interval on a chart means what the tile said while it ran. The live path
(:mod:`feeds.intraday.live`) and the pandas path (:mod:`feeds.intraday.frame`) both finish
their rows here; a roll-up sums counters and re-derives rates (:func:`formulas.rollup`),
never averaging percentages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from feeds.bus.kinds import IntervalRow
from feeds.config import Queue
from feeds.metrics import formulas, staffing
from feeds.metrics.formulas import Counts
from feeds.metrics.queue_data import MIN_RATE_SPAN, traffic

# The counters an interval keeps, and the agent time beside them.
COUNTS = (
    "offered", "answered", "answered_in_threshold", "abandoned", "short_abandoned",
    "abandoned_in_threshold", "handled",
)  # fmt: skip
TIMES = ("answer_wait", "abandon_wait", "handle_time")
AGENT_TIMES = ("busy_time", "available_time", "staffed_time")
COUNTERS = (*COUNTS, *TIMES)
FORECAST = ("forecast_volume", "forecast_aht", "forecast_required")


def required(queue: Queue, c: Counts, span: float, aht: float | None) -> int | None:
    """Agents the interval's traffic needed to meet the queue's target, by its staffing model:
    arrivals ÷ ``span`` (the interval, or as much of it as has run), the interval's AHT (else
    ``aht``, the day's so far) and its callers' patience. None: staffing off, or no AHT yet."""
    if queue.metrics.staffing == "off" or span < MIN_RATE_SPAN:
        return None
    if c.offered == 0:
        return 0
    load = traffic(queue, c, span, aht)
    return None if load is None else staffing.required_agents(load, queue.metrics.staffing)


def forecast_required(queue: Queue, volume: float, aht: float, step: float) -> int | None:
    """Agents a forecast interval needs: Erlang C on the planned volume and AHT (a forecast
    has no patience to feed Erlang A). None when the queue's staffing is off."""
    if queue.metrics.staffing == "off":
        return None
    q = staffing.Queue(
        arrival_rate=volume / step, aht=aht, patience=None, threshold=queue.sl_threshold,
        short_abandon=queue.short_abandon, target=queue.sl_target,
        formula=queue.metrics.service_level,
    )  # fmt: skip
    return staffing.required_agents(q, "erlang_c")


def finish(
    queue: Queue, raw: Mapping[str, Any], span: float, day_aht: float | None = None
) -> dict[str, Any]:
    """A queue's interval as it is stored and sent: the counters and agent time of ``raw``
    with every figure derived, validated, and what is at its default left out. ``span``: the
    seconds the figures cover (the interval, or the part of it that has run)."""
    c = Counts.of(raw)
    figures = formulas.figures(c, queue.metrics.service_level, queue.metrics.abandon_rate)
    staffed_time = raw.get("staffed_time") or 0.0
    row = {
        **{k: raw[k] for k in ("start", *COUNTERS, *AGENT_TIMES, "longest_wait") if k in raw},
        **figures,
        "staffed": round(staffed_time / span, 2) if span > 0 and staffed_time else None,
        "required": required(queue, c, span, day_aht),
    }
    return compact(row)


def compact(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row through the schema (:class:`IntervalRow`), rounded, without its defaults."""
    rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
    return IntervalRow.model_validate(rounded).model_dump(mode="json", exclude_defaults=True)


def rollup(rows: Iterable[tuple[Queue, Mapping[str, Any]]]) -> dict[str, Any]:
    """Several queues' rows of one interval as one: counters and agent time summed, rates
    re-derived by each queue's own formulas (:func:`formulas.rollup`), the longest wait the
    longest, required and staffed agents summed (each queue staffed on its own), the forecast
    volumes summed and their AHT weighted by volume. ``target``: the service level the
    queues' own targets add up to (each weighted by its formula's denominator), so a board of
    queues with different targets still has one line to meet."""
    rows = list(rows)
    items = [{**r, "sl_formula": q.metrics.service_level,
              "abandon_formula": q.metrics.abandon_rate} for q, r in rows]  # fmt: skip
    out = formulas.rollup(items)
    weight = [formulas.SL_FORMULAS[q.metrics.service_level](Counts.of(r))[1] for q, r in rows]
    targets = [q.sl_target for q, _ in rows]
    out["target"] = (
        sum(t * w for t, w in zip(targets, weight, strict=True)) / sum(weight)
        if sum(weight) > 0
        else (targets[0] if len(set(targets)) == 1 else None)
    )
    out["longest_wait"] = max((r["longest_wait"] for _, r in rows if r.get("longest_wait")),
                              default=None)  # fmt: skip
    for name in ("staffed", "required", "forecast_volume", "forecast_required"):
        given = [r[name] for _, r in rows if r.get(name) is not None]
        out[name] = sum(given) if given else None
    volume = [(r["forecast_volume"], r["forecast_aht"]) for _, r in rows
              if r.get("forecast_volume") and r.get("forecast_aht")]  # fmt: skip
    total = sum(v for v, _ in volume)
    out["forecast_aht"] = sum(v * a for v, a in volume) / total if total else None
    return out
