"""The windows a figure covers: the centre's day, and the rolling last 15, 30 and 60 minutes.

"Today" runs from the first instant of the local date in the centre's time zone to the first
instant of the next: 24 hours on most days, 23 on the spring daylight-saving night and 25 on
the autumn one, computed from the zone's rules rather than by adding 86,400 seconds. A rolling
window of W seconds holds the events whose whole second is among the last W up to the current
one; the counters keep one bucket per second for the last hour, so any rolling window is a sum
of buckets and an event arriving late lands in its own second, not in the second it arrived.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import pandas as pd

from feeds.metrics.formulas import COUNTERS, WINDOW_SECONDS

HORIZON = max(WINDOW_SECONDS.values())  # seconds of buckets kept: the longest rolling window
# What a contact counts: (time, counter index, amount) triples, flat in one tuple (one object
# per leg rather than one per figure: the aggregator makes one for every event it takes).
Entries = tuple[float, ...]


def triples(entries: Entries) -> Iterator[tuple[float, float, float]]:
    """The (time, counter index, amount) triples of ``entries`` (a zip, no generator: the
    aggregator's hot loops walk it)."""
    flat = iter(entries)
    return zip(flat, flat, flat, strict=True)


def add_in_order(
    table: dict[Any, list[float]], keys: np.ndarray | list[Any], index: np.ndarray,
    value: np.ndarray, width: int, of: np.ndarray | None = None,
) -> list[Any]:  # fmt: skip
    """Add each ``value[k]`` to ``table[key][index[k]]`` in turn, as a loop would
    (``numpy.add.at`` adds one at a time, so the sums are the same to the last bit), its key
    ``keys[k]``, or ``keys[of[k]]`` given ``of`` (values of rows that share a key); a key new
    to ``table`` gets a row of zeros, the new ones in the order the keys first come. Returns
    the keys added to, in that order. ``keys``: an array, or a list (of tuples; None: none)."""
    codes, reached = pd.factorize(keys if isinstance(keys, np.ndarray)
                                  else pd.Series(keys, dtype=object))  # fmt: skip
    reached = reached.tolist()
    block = np.array([table.get(k, [0.0] * width) for k in reached]).reshape(-1, width)
    np.add.at(block, (codes if of is None else codes[of], index), value)
    table.update(zip(reached, block.tolist(), strict=True))
    return reached


def day_of(ts: float, tz: tzinfo) -> date:
    """The centre's local date at ``ts``."""
    return datetime.fromtimestamp(ts, tz).date()


def day_start(day: date, tz: tzinfo) -> float:
    """The first instant of the local ``day``: midnight, or the end of a gap that swallowed it."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def day_bounds(ts: float, tz: tzinfo) -> tuple[float, float]:
    """``[start, end)`` of the centre's day containing ``ts``, as epoch seconds."""
    day = day_of(ts, tz)
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


class Tally:
    """One queue's counters: today's totals, and per-second buckets for the last hour.

    Entries are added and taken back (an event that arrives late can change what an earlier
    one counted), so every figure is the sum of what the queue's contacts count *now*.
    Entries added a column at a time (:meth:`add_many`) wait as columns until the buckets are
    read: a flat-out replay's clock runs through hours a second, and most of its entries leave
    the last hour before anyone reads it, so they never need a bucket.
    """

    __slots__ = ("_pending", "_recent", "today")

    def __init__(self) -> None:
        self.today = [0.0] * len(COUNTERS)
        self._recent: dict[int, list[float]] = {}
        # entries added a column at a time, not in buckets yet: (seconds, counters, values) of
        # each add_many, with its first and last second
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, int]] = []

    @property
    def recent(self) -> dict[int, list[float]]:
        """The buckets by second, the entries waiting as columns added first, in order."""
        if self._pending:
            second, index, value = self._waiting()
            self._pending = []
            add_in_order(self._recent, second, index, value, len(COUNTERS))
        return self._recent

    def _waiting(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries waiting as columns, in the order they were added."""
        second, index, value = (np.concatenate([p[k] for p in self._pending]) for k in range(3))
        return second, index, value

    def add(self, entries: Entries, sign: float, start: float, floor: int) -> None:
        """Add (``sign`` 1) or take back (-1) entries; ``start`` is today's first instant and
        ``floor`` the newest second no rolling window holds any more."""
        today, recent = self.today, self.recent
        for t, i, v in triples(entries):
            i, v = int(i), sign * v
            if t >= start:
                today[i] += v
            s = int(t)
            if s > floor:
                bucket = recent.get(s)
                if bucket is None:
                    bucket = recent[s] = [0.0] * len(COUNTERS)
                bucket[i] += v

    def add_many(self, at: np.ndarray, index: np.ndarray, value: np.ndarray, start: float,
                 floor: int) -> None:  # fmt: skip
        """:meth:`add` (sign 1) of many entries at once, as columns in the order :meth:`add`
        would take them: each figure and bucket gets the same additions in the same order
        (``numpy.add.at`` adds one at a time), so the sums are the same to the last bit, and
        new buckets are made in the order the entries first reach them."""
        today = np.array(self.today)
        now = at >= start
        np.add.at(today, index[now], value[now])
        self.today = today.tolist()
        second = at.astype(np.int64)  # int(): whole seconds, as add() counts them
        live = second > floor
        if live.any():
            second = second[live]
            self._pending.append((second, index[live], value[live], second.min(), second.max()))

    def forget_before(self, floor: int) -> None:
        """Drop the buckets at or before second ``floor``, oldest first, stopping at the first
        newer one: buckets are made in about time order, so this walks only what it drops. A
        bucket made late (an event that arrived late) may wait behind newer ones until they
        go too; :meth:`rolling` counts none older than its longest window meanwhile, nor any
        entry still waiting as a column, which goes now."""
        kept = []
        for second, index, value, first, last in self._pending:
            if first > floor:
                kept.append((second, index, value, first, last))
            elif last > floor:  # some go: the later ones stay, in order
                keep = second > floor
                second = second[keep]
                kept.append((second, index[keep], value[keep], second.min(), last))
        self._pending = kept
        recent = self._recent
        for s in list(itertools.takewhile(lambda s: s <= floor, recent)):
            del recent[s]

    def rolling(self, now_second: int) -> dict[str, list[float]]:
        """Each rolling window's counters: buckets grouped by age band, each summed once."""
        widths = sorted(WINDOW_SECONDS.values())
        bands: list[list[list[float]]] = [[] for _ in widths]
        for s, bucket in self.recent.items():
            age = now_second - s
            for band, width in enumerate(widths):
                if age < width:
                    bands[band].append(bucket)
                    break
        out: dict[str, list[float]] = {}
        acc = [0.0] * len(COUNTERS)
        by_width = {width: name for name, width in WINDOW_SECONDS.items()}
        for band, width in enumerate(widths):
            if bands[band]:
                acc = [
                    a + sum(col) for a, col in zip(acc, zip(*bands[band], strict=True), strict=True)
                ]
            out[by_width[width]] = acc
        return out
