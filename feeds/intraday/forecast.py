"""A planner's forecast: volume and AHT per interval per queue, checked row by row.

A CSV file (the command line, ``text/csv`` to the API) or JSON rows (the API), one row per
queue and interval::

    queue,interval,volume,aht
    billing,08:00,23.5,310

``interval`` is the local clock time the interval starts at, on the configured grid (``08:15``
with 15-minute intervals, not with 30); ``volume`` the contacts expected (a number ≥ 0, may be
fractional); ``aht`` seconds of talk + hold + wrap (> 0; may be empty where the volume is 0).
A forecast is a day's template, applied to a date: on the spring daylight-saving day the
intervals the clock skips do not exist and their rows are left out (counted as ``skipped``);
on the autumn one the repeated hour takes its rows twice.

Every row is checked before anything is stored, and every problem is named, line (the header
is line 1) or row and column, with the reason: a file is stored whole or not at all.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import pandas as pd

from feeds.config import Config
from feeds.errors import SchemaError
from feeds.intraday import rows
from feeds.intraday.grid import Day

COLUMNS = ("queue", "interval", "volume", "aht")
MAX_ROWS = 50_000
MAX_VOLUME = 100_000.0
MAX_AHT = 86_400.0
MAX_ERRORS = 20  # problems listed at most; a file with more has a bigger problem
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ForecastError(SchemaError):
    """A refused forecast: the first problem as its field and reason, all of them listed."""

    def __init__(self, errors: list[SchemaError]) -> None:
        super().__init__(errors[0].field, errors[0].reason)
        self.errors = errors


@dataclass
class Forecast:
    """A checked forecast for one day: each queue's rows, ready for the store."""

    day: Day
    by_queue: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: int = 0  # rows for times the day does not have (the spring clock change)

    @property
    def intervals(self) -> int:
        return sum(len(r) for r in self.by_queue.values())


def read_csv(text: str, config: Config, day: Day) -> Forecast:
    """A forecast file's rows (``where``: ``line 4, column volume``)."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skip_blank_lines=False)  # fmt: skip
    except pd.errors.EmptyDataError:
        raise SchemaError("csv", "the file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SchemaError("csv", f"cannot be read: {str(exc).strip()}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in frame.columns:
        if column not in COLUMNS:
            known = ", ".join(COLUMNS)
            raise SchemaError(f"line 1, column {column}", f"unknown column; columns: {known}")
    for column in COLUMNS[:3]:
        if column not in frame.columns:
            raise SchemaError("line 1", f"needs a column {column!r}")
    records = frame.to_dict("records")
    numbered = [(f"line {i + 2}", ", column {}", r) for i, r in enumerate(records)
                if any(str(v).strip() for v in r.values())]  # fmt: skip
    return _checked(numbered, config, day)


def read_rows(items: Any, config: Config, day: Day) -> Forecast:
    """JSON rows (``where``: ``rows.3.volume``)."""
    if not isinstance(items, list) or not items:
        raise SchemaError("rows", "must be a non-empty list of {queue, interval, volume, aht}")
    numbered = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SchemaError(f"rows.{i}", "must be an object")
        for name in item:
            if name not in COLUMNS:
                raise SchemaError(f"rows.{i}.{name}", "unknown field")
        record = {k: "" if v is None else str(v) for k, v in item.items()}
        numbered.append((f"rows.{i}", ".{}", record))
    return _checked(numbered, config, day)


def _number(text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be a number, not {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"must be between {low:g} and {high:g}")
    return value


def _row(record: Mapping[str, Any], config: Config, minutes: int) -> tuple[str, Any]:
    """(column, value) pairs checked one by one: the first problem raises (column, reason)."""
    queue = str(record.get("queue", "")).strip()
    if config.queue(queue) is None:
        known = ", ".join(q.id for q in config.queues)
        raise _Bad("queue", f"unknown queue {queue!r}; queues: {known}" if queue else "is required")
    text = str(record.get("interval", "")).strip()
    m = HHMM.match(text)
    if not m:
        raise _Bad("interval", f"must be a time as HH:MM, not {text!r}")
    at = time(int(m[1]), int(m[2]))
    if (at.hour * 60 + at.minute) % minutes:
        raise _Bad("interval", f"{text} does not start a {minutes}-minute interval")
    try:
        volume = _number(str(record.get("volume", "")).strip(), 0, MAX_VOLUME)
    except ValueError as exc:
        raise _Bad("volume", str(exc)) from None
    aht_text = str(record.get("aht", "")).strip()
    if not aht_text and volume == 0:
        return queue, (at, volume, None)
    try:
        aht = _number(aht_text, 1, MAX_AHT) if aht_text else None
    except ValueError as exc:
        raise _Bad("aht", f"{exc} (seconds)") from None
    if aht is None:
        raise _Bad("aht", "is required where the volume is not 0")
    return queue, (at, volume, aht)


class _Bad(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


Numbered = list[tuple[str, str, Mapping[str, Any]]]  # (where, "+ column" template, record)


def _checked(numbered: Numbered, config: Config, day: Day) -> Forecast:
    if len(numbered) > MAX_ROWS:
        raise SchemaError("rows", f"more than {MAX_ROWS} rows: split the forecast")
    minutes = config.history.interval_minutes
    errors: list[SchemaError] = []
    seen: dict[tuple[str, time], str] = {}
    parsed: list[tuple[str, time, float, float | None]] = []
    for where, column, record in numbered:
        try:
            queue, (at, volume, aht) = _row(record, config, minutes)
        except _Bad as bad:
            errors.append(SchemaError(where + column.format(bad.column), bad.reason))
        else:
            first = seen.setdefault((queue, at), where)
            if first != where:
                reason = f"{at:%H:%M} for {queue} is already on {first}"
                errors.append(SchemaError(where + column.format("interval"), reason))
            parsed.append((queue, at, volume, aht))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ForecastError(errors)
    return _on_day(parsed, config, day)


def _starts(day: Day, at: time) -> list[float]:
    """The instants the local time ``at`` starts an interval on ``day``: none in the spring
    gap, two in the repeated autumn hour."""
    out = []
    for fold in (0, 1):
        local = datetime.combine(day.date, at, tzinfo=day.tz).replace(fold=fold)
        ts = local.timestamp()
        back = datetime.fromtimestamp(ts, day.tz)
        if (back.hour, back.minute) == (at.hour, at.minute) and ts not in out:
            out.append(ts)
    return out


def _on_day(parsed: Iterable[tuple[str, time, float, float | None]], config: Config,
            day: Day) -> Forecast:  # fmt: skip
    forecast = Forecast(day)
    for queue_id, at, volume, aht in parsed:
        queue = config.queue(queue_id)
        assert queue is not None
        starts = _starts(day, at)
        forecast.skipped += not starts
        for start in starts:
            end = day.bounds(day.slot(start) or 0)[1]
            need = rows.forecast_required(queue, volume, aht, end - start) if aht else 0
            row = {"start": start, "forecast_volume": volume, "forecast_aht": aht,
                   "forecast_required": need}  # fmt: skip
            forecast.by_queue.setdefault(queue_id, []).append(rows.compact(row))
    for found in forecast.by_queue.values():
        found.sort(key=lambda r: r["start"])
    return forecast
