"""A live intraday chart as two stream items: the day so far, and the intervals still moving.

A chart shows one scope (:class:`feeds.intraday.series.Scope`: a queue, a channel, a board's
queues) interval by interval. Its points come from :class:`feeds.intraday.series.Series`, split
as the bus sends them (docs/history.md):

* the **day** item (``<key>``): the closed intervals, from each queue's ``intraday`` day item
  and its forecast; it changes when a new interval starts or late contacts change a closed
  one (about every half minute at most);
* the **now** item (``<key>:now``): the running interval and the one before, from the
  intervals that travel with each ``queue`` item; it changes with every queue update, and
  carries a few hundred bytes, not the day.

The browser (``charts.js`` (next to this file)) lays the two over each other and patches the figure:
``Plotly.extendTraces`` for a new interval, ``Plotly.restyle`` for a changed one. The now item
carries the age of the queue figures, so a chart whose feed goes quiet greys out like a tile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.pages.items import Item, item
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.intraday.grid import Day
from feeds.intraday.hours import HOUR, team_id
from feeds.intraday.series import Series

Mirror = Mapping[str, Mapping[str, Envelope]]
NOW = ":now"  # the suffix of a chart's second item


@dataclass(frozen=True)
class ChartKind:
    """What a chart draws: the point fields of its traces, in the figure's trace order."""

    title: str
    fields: tuple[str, ...]


KINDS: dict[str, ChartKind] = {
    # bars of offered (and the forecast volume) on the right axis; service level and its
    # target as lines on the left (percent).
    "sl": ChartKind(
        "Service level and contacts", ("offered", "forecast_volume", "service_level", "target")
    ),
    "staffing": ChartKind(
        "Agents required and staffed", ("staffed", "required", "forecast_required")
    ),
    # an agent's own day by the hour: contacts handled, their AHT against their team's (min)
    "agent": ChartKind("My day", ("handled", "aht", "team_aht")),
}


def points(kind: ChartKind, found: Mapping[int, Mapping[str, Any]]) -> list[list[Any]]:
    """``[[slot, value, ...], ...]``: each point with a value of the chart's, its values in the
    order of ``kind.fields`` (null where it has none, trailing nulls left off). Sent with every
    queue update to every screen: positions instead of names are half the bytes."""
    out = []
    for slot in sorted(found):
        values = [found[slot].get(k) for k in kind.fields]
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append([slot, *values])
    return out


def split(config: Config, series: Series, mirror: Mirror, now: float) -> tuple[Day, dict, dict]:
    """Today, and its points of ``series``' scope (closed, recent) from the mirrored items."""
    day = Day.of(now, config.tz, config.history.step)
    ids, intraday = series.scope.ids, mirror.get("intraday", {})
    days = {q: intraday[f"queue:{q}"] for q in ids if f"queue:{q}" in intraday}
    plans = {q: intraday[f"forecast:{q}"] for q in ids if f"forecast:{q}" in intraday}
    closed, recent = series.split(day, days, mirror.get("queue", {}), plans)
    return day, closed, recent


class Chart:
    """One chart of a scope on a view: computes its day and now items (see the module doc).
    The charts of one scope on a view share its ``series``: a queue update's points are worked
    out once for all of them."""

    def __init__(self, config: Config, kind: str, series: Series) -> None:
        self.config, self.kind, self.series = config, KINDS[kind], series
        self.scope = scope = series.scope
        self._queue_ids = set(scope.ids)
        self._day_ids = {f"queue:{q}" for q in scope.ids} | {f"forecast:{q}" for q in scope.ids}

    def watches_day(self, env: Envelope) -> bool:
        return env.kind == "intraday" and env.id in self._day_ids

    def watches_now(self, env: Envelope) -> bool:
        return env.kind == "queue" and env.id in self._queue_ids

    def _split(self, mirror: Mirror, now: float) -> tuple[Day, dict, dict]:
        return split(self.config, self.series, mirror, now)

    def day_item(self, mirror: Mirror, now: float) -> Item:
        """The closed intervals of today, the day's axis, and its name."""
        day, closed, _ = self._split(mirror, now)
        envs = [mirror.get("intraday", {}).get(f"queue:{q}") for q in self.scope.ids]
        newest = max((e.ts for e in envs if e is not None), default=None)
        return item(newest, day=day.text, slots=day.slots, ticks=day.ticks(),
                    points=points(self.kind, closed))  # fmt: skip

    def now_item(self, mirror: Mirror, now: float) -> Item:
        """The intervals still moving, with the age of the queue figures they came with."""
        day, _, recent = self._split(mirror, now)
        stats = mirror.get("queue", {})
        newest = max((stats[q].ts for q in self.scope.ids if q in stats), default=None)
        return item(newest, self.config.centre.stale_after, day=day.text,
                    points=points(self.kind, recent))  # fmt: skip


def agent_day_item(config: Config, agent_id: str, mirror: Mirror, now: float) -> Item:
    """An agent's own day (the ``agent`` chart, one item): per hour the contacts they handled
    and their AHT, and their team's AHT (``intraday`` ``agent:<id>`` and ``team:<name>``, from
    the producer's :class:`feeds.intraday.hours.Hours`). It has no age: an agent between
    contacts changes nothing, and nothing has gone stale."""
    day = Day.of(now, config.tz, HOUR)
    intraday = mirror.get("intraday", {})
    state = mirror.get("agent", {}).get(agent_id)
    team = state.data.get("team") if state is not None else None
    by_slot: dict[int, dict[str, Any]] = {}
    for key, fields in ((f"agent:{agent_id}", ("handled", "aht")),
                        (team_id(team) if team else "", ("team_aht",))):  # fmt: skip
        env = intraday.get(key)
        if env is None or env.data.get("day") != day.text:
            continue
        for row in env.data["rows"]:
            slot = day.slot(row["start"])
            if slot is not None:
                aht = None if row.get("aht") is None else round(row["aht"] / 60, 1)  # minutes
                got = {"handled": row.get("handled"), "aht": aht, "team_aht": aht}
                by_slot.setdefault(slot, {}).update(
                    {f: got[f] for f in fields if got[f] is not None}
                )
    return item(None, day=day.text, slots=day.slots, ticks=day.ticks(),
                points=points(KINDS["agent"], by_slot))  # fmt: skip


def watches_agent_day(agent_id: str, env: Envelope) -> bool:
    """Whether ``env`` can change the agent's day: their hours, or any team's (the item says
    which team is theirs when it is computed)."""
    return env.kind == "intraday" and (env.id == f"agent:{agent_id}" or env.id.startswith("team:"))
