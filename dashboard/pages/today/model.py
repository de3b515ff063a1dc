"""The Today page's live items: a scope's two charts and its table of intervals.

One hub view per scope (``view=today&scope=channel:voice``), shared by every supervisor who
looks at it: the charts are :class:`dashboard.pages.charts.model.Chart` (their day and now
items, as on the wall) and ``table`` is every interval of the day so far, newest first, as
text (:func:`table_rows`; a past day's table is the same rows, built with the page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dashboard.pages.charts.model import NOW, Chart, Mirror, split
from dashboard.pages.items import Item, fmt_percent, item
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.intraday.grid import Day
from feeds.intraday.series import Scope, Series
from feeds.times import NO_VALUE, fmt_duration

TABLE = "table"
CHARTS = {"sl_chart": "sl", "staffing_chart": "staffing"}


def _count(v: float) -> str:
    return f"{v:g}"


def _agents(v: float) -> str:
    return f"{round(v, 1):g}"


# The table's columns: (point field, heading, how its value reads).
COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("offered", "Offered", _count),
    ("forecast_volume", "Forecast", _agents),
    ("answered", "Answered", _count),
    ("abandoned", "Abandoned", _count),
    ("service_level", "Service level", fmt_percent),
    ("target", "Target", fmt_percent),
    ("asa", "ASA", fmt_duration),
    ("aht", "AHT", fmt_duration),
    ("forecast_aht", "Forecast AHT", fmt_duration),
    ("abandon_rate", "Abandon rate", lambda v: fmt_percent(v, 1)),
    ("longest_wait", "Longest wait", fmt_duration),
    ("occupancy", "Occupancy", fmt_percent),
    ("staffed", "Staffed", _agents),
    ("required", "Required", _count),
    ("forecast_required", "Forecast need", _count),
]
HEADINGS = ["Interval", *(heading for _, heading, _ in COLUMNS)]


def table_rows(day: Day, points: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each interval with figures, newest first: ``{"slot", "cells": [text, ...]}``."""
    out = []
    for slot in sorted(points, reverse=True):
        p = points[slot]
        cells = [day.label(slot)]
        cells += [NO_VALUE if p.get(f) is None else fmt(p[f]) for f, _, fmt in COLUMNS]
        out.append({"slot": slot, "cells": cells})
    return out


class TodayView:
    """A scope's Today view: two charts and the table."""

    def __init__(self, config: Config, scope: Scope) -> None:
        self.config, self.scope = config, scope
        self.key = f"today:{scope.key}"
        self.series = Series(scope)  # the charts' and the table's
        self.charts = {key: Chart(config, kind, self.series) for key, kind in CHARTS.items()}
        self.probe = next(iter(self.charts.values()))  # what any chart of the scope watches

    def keys(self) -> list[str]:
        return [*(k + part for k in self.charts for part in ("", NOW)), TABLE]

    def affected(self, env: Envelope) -> set[str]:
        day, now = self.probe.watches_day(env), self.probe.watches_now(env)
        keys = {k for k in self.charts if day} | {k + NOW for k in self.charts if now}
        return keys | ({TABLE} if day or now else set())

    def compute(self, key: str, mirror: Mirror, now: float) -> Item:
        if key == TABLE:
            return self.table(mirror, now)
        chart = self.charts[key.removesuffix(NOW)]
        return chart.now_item(mirror, now) if key.endswith(NOW) else chart.day_item(mirror, now)

    def table(self, mirror: Mirror, now: float) -> Item:
        """Today's intervals so far (the forecast's later ones are the chart's)."""
        day, closed, recent = split(self.config, self.series, mirror, now)
        current = day.slot(now) or 0
        points = {s: p for s, p in {**closed, **recent}.items() if s <= current}
        stats = mirror.get("queue", {})
        newest = max((stats[q].ts for q in self.scope.ids if q in stats), default=None)
        return item(newest, self.config.centre.stale_after, day=day.text,
                    rows=table_rows(day, points))  # fmt: skip
