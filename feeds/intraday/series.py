"""What an intraday chart or table draws, interval by interval, for a queue, a channel or a board.

The inputs are the bus's own items: each queue's day (``intraday`` ``queue:<id>``), its
forecast (``forecast:<id>``), and the intervals still changing that travel with its ``queue``
item. A chart's intervals are split in two: the *closed* ones, which change only when a day
item comes (every new interval, and every half minute while late contacts change them), and
the *recent* ones, which change with every ``queue`` item. Each is one item on the stream, so
a screen's frame per queue update carries two intervals, not the day; in the browser the two
are laid over each other (an interval is in one or the other, never both).

A point is an interval rolled up over the scope's queues (:func:`feeds.intraday.rows.rollup`:
counters summed, rates re-derived, never averaged), with only the values it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from feeds.config import Config, Queue
from feeds.errors import SchemaError
from feeds.intraday import rows
from feeds.intraday.grid import Day

# What a point may hold, and to how many decimals.
POINT = {
    "offered": 0, "answered": 0, "abandoned": 0, "service_level": 3, "target": 3, "asa": 0,
    "aht": 0, "abandon_rate": 3, "longest_wait": 0, "occupancy": 3, "staffed": 1,
    "required": 0, "forecast_volume": 1, "forecast_aht": 0, "forecast_required": 0,
}  # fmt: skip
Data = Mapping[str, Any]


@dataclass(frozen=True)
class Scope:
    """A set of queues seen as one: ``all``, ``channel:voice`` or ``queue:billing``."""

    key: str
    title: str
    queues: tuple[Queue, ...]

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.queues]


def scopes(config: Config) -> list[Scope]:
    """Every scope of the centre: all queues, each channel that has queues, each queue."""
    out = [Scope("all", "All queues", tuple(config.queues))]
    labels = {c.id: c.label for c in config.channels}  # a queue's is among them (the config's rule)
    for channel in dict.fromkeys(q.channel for q in config.queues):
        queues = tuple(q for q in config.queues if q.channel == channel)
        out.append(Scope(f"channel:{channel}", labels[channel], queues))
    out += [Scope(f"queue:{q.id}", q.name, (q,)) for q in config.queues]
    return out


def scope(config: Config, key: str, queues: Iterable[str] | None = None) -> Scope:
    """The scope named ``key`` (``""``: the given ``queues`` together, a board's)."""
    if not key and queues is not None:
        chosen = tuple(q for q in config.queues if q.id in set(queues))
        return Scope("board", "These queues", chosen)
    found = next((s for s in scopes(config) if s.key == key), None)
    if found is None:
        known = ", ".join(s.key for s in scopes(config))
        raise SchemaError("scope", f"unknown scope {key!r}; scopes: {known}")
    return found


def point(s: Scope, actual: Mapping[str, Data], plan: Mapping[str, Data]) -> dict[str, Any]:
    """One interval of the scope from its queues' rows (``actual``, ``plan``: by queue)."""
    by_id = {q.id: q for q in s.queues}
    mine = [(by_id[q], {**plan.get(q, {}), **_given(actual.get(q, {}))}) for q in by_id
            if q in actual or q in plan]  # fmt: skip
    if not mine:
        return {}
    rolled = rows.rollup(mine)
    if not actual:  # the plan alone: no actual figures, not even zeros
        rolled = {k: v for k, v in rolled.items() if k.startswith("forecast") or k == "target"}
    out = {}
    for name, digits in POINT.items():
        value = rolled.get(name)
        if value is not None:
            out[name] = round(value, digits) if digits else round(value)
    return out


def _given(row: Data) -> dict[str, Any]:
    """A row's values without its blanks: a row read back through the schema has every field,
    and an actual row's empty forecast must not hide the plan's."""
    return {k: v for k, v in row.items() if v is not None}


class Series:
    """One scope's points on a day, each part worked out again only when its inputs change: a
    view asks on every ``queue`` item of its queues, once per chart of the scope (the charts
    of a scope share one series, so the second asks for what the first worked out)."""

    def __init__(self, s: Scope) -> None:
        self.scope = s
        self._closed: tuple[Any, dict[int, dict[str, Any]]] = (None, {})
        self._recent: tuple[str, tuple[Any, ...], dict[int, dict[str, Any]]] = ("", (), {})

    def split(
        self,
        day: Day,
        days: Mapping[str, Any],
        stats: Mapping[str, Any],
        plans: Mapping[str, Any],
    ) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
        """(closed points, recent points) by slot, from each queue's day item, ``queue`` item
        and forecast item (envelopes, or None), as far as they are of ``day``."""
        ids = self.scope.ids
        given = (*(stats.get(q) for q in ids), *(plans.get(q) for q in ids))
        if self._recent[0] != day.text or not _same(self._recent[1], given):
            recent: dict[int, dict[str, Data]] = {}
            for q in ids:
                for row in stats[q].data.get("intervals", ()) if q in stats else ():
                    slot = day.slot(row["start"])
                    if slot is not None:
                        recent.setdefault(slot, {})[q] = row
            plan = _by_slot(day, plans, ids, only=set(recent))
            now = {s: point(self.scope, recent[s], plan.get(s, {})) for s in recent}
            self._recent = (day.text, given, now)
        now = self._recent[2]
        inputs = tuple((_stamp(days.get(q)), _stamp(plans.get(q))) for q in ids)
        key = (day.text, inputs, frozenset(now))
        if self._closed[0] != key:
            actual, plan = _by_slot(day, days, ids), _by_slot(day, plans, ids)
            closed = {s: point(self.scope, actual.get(s, {}), plan.get(s, {}))
                      for s in set(actual) | set(plan) if s not in now}  # fmt: skip
            self._closed = (key, {s: p for s, p in closed.items() if p})
        return self._closed[1], now


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """The same envelopes, one by one: the mirror replaces an item when it changes, so
    identity says it (the tuple held keeps the old ones alive: no id is reused meanwhile)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _stamp(env: Any) -> Any:
    return None if env is None else (env.seq, env.ts)


def _by_slot(
    day: Day, items: Mapping[str, Any], queue_ids: list[str], only: set[int] | None = None
) -> dict[int, dict[str, Data]]:
    out: dict[int, dict[str, Data]] = {}
    for q in queue_ids:
        env = items.get(q)
        if env is None or env.data.get("day") != day.text:
            continue
        for row in env.data["rows"]:
            slot = day.slot(row["start"])
            if slot is not None and (only is None or slot in only):
                out.setdefault(slot, {})[q] = row
    return out
