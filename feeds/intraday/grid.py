"""The intervals of the centre's day: where each starts, which one a moment falls in.

Intervals run from local midnight in steps of the configured length (15, 30 or 60 minutes),
counted in real seconds: the spring daylight-saving day has 92 quarter hours and the autumn
one 100, and the repeated hour is two sets of intervals, never one that holds both. A slot is
an interval's number in its day, which is what the charts put on their x axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import numpy as np

from feeds.errors import SchemaError
from feeds.metrics.windows import day_of, day_start

TICK_HOURS = 3  # the charts' axis labels: every three hours of the clock


@dataclass(frozen=True)
class Day:
    """One local day cut into intervals of ``step`` seconds."""

    date: date
    start: float  # epoch seconds of its first instant
    end: float  # of the next day's
    step: int
    tz: tzinfo

    @classmethod
    def on(cls, day: date, tz: tzinfo, step: int) -> Day:
        return cls(day, day_start(day, tz), day_start(day + timedelta(days=1), tz), step, tz)

    @classmethod
    def of(cls, ts: float, tz: tzinfo, step: int) -> Day:
        """The day containing the moment ``ts``."""
        return cls.on(day_of(ts, tz), tz, step)

    @property
    def text(self) -> str:
        """``2025-10-26``: how the day is named in keys, items, files and addresses."""
        return self.date.isoformat()

    @property
    def slots(self) -> int:
        """Intervals in the day (the last one shorter if the day is not a whole number)."""
        return math.ceil((self.end - self.start) / self.step)

    def slot(self, ts: float) -> int | None:
        """The interval ``ts`` falls in, or None outside the day."""
        if not self.start <= ts < self.end:
            return None
        return int((ts - self.start) // self.step)

    def interval(self, ts: float) -> float:
        """The start of the interval ``ts`` falls in (any day: the grid runs from this day's
        midnight in steps; a moment on another day belongs to that day's grid)."""
        day = self if self.start <= ts < self.end else Day.of(ts, self.tz, self.step)
        return day.start + (ts - day.start) // self.step * self.step

    def intervals(self, ts: np.ndarray) -> list[float]:
        """:meth:`interval` of many moments: those of this day a column at a time (the same
        floats), any other one by one."""
        inside = (ts >= self.start) & (ts < self.end)
        starts = np.where(inside, self.start + (ts - self.start) // self.step * self.step, 0.0)
        out = zip(starts.tolist(), inside.tolist(), ts.tolist(), strict=True)
        return [s if ok else self.interval(t) for s, ok, t in out]

    def starts(self) -> list[float]:
        return [self.start + i * self.step for i in range(self.slots)]

    def bounds(self, slot: int) -> tuple[float, float]:
        start = self.start + slot * self.step
        return start, min(start + self.step, self.end)

    def label(self, slot: int) -> str:
        """The local clock time the interval starts at: ``08:15``."""
        return datetime.fromtimestamp(self.bounds(slot)[0], self.tz).strftime("%H:%M")

    def ticks(self) -> dict[str, list]:
        """Axis labels: the slots that start on a whole hour of the clock every
        :data:`TICK_HOURS` (on a daylight-saving day, where the clock says so)."""
        vals, text = [], []
        for slot in range(self.slots):
            local = datetime.fromtimestamp(self.bounds(slot)[0], self.tz)
            if local.minute == 0 and local.hour % TICK_HOURS == 0 and local.strftime("%H:00") \
                    not in text[-1:]:  # fmt: skip
                vals.append(slot)
                text.append(local.strftime("%H:00"))
        return {"vals": vals, "text": text}

    def following(self) -> Day:
        return Day.on(self.date + timedelta(days=1), self.tz, self.step)


def parse_day(text: str | None, tz: tzinfo, now: float, field: str = "day") -> date:
    """A day as a person names it: ``2025-10-26``, ``today`` (blank too) or ``yesterday``."""
    text = (text or "").strip().lower()
    today = day_of(now, tz)
    if text in ("", "today"):
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        reason = f"must be a date as YYYY-MM-DD, today or yesterday: {text!r}"
        raise SchemaError(field, reason) from None
