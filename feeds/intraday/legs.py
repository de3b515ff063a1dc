"""What each contact leg counts in the intervals, remembered so that a later event moves it.

A leg settled one at a time is remembered as a :class:`Counted`: where it counts, its counters
and how long it waited. A flat-out replay counts its legs a column at a time, and most never
come again: :class:`Batched` keeps those as the columns they came in, with each interval's
longest wait among them, and makes a leg a :class:`Counted` only if it comes again
(:meth:`Batched.recall`), as :class:`feeds.metrics.aggregator.Aggregator` does its contacts.
Read with :class:`feeds.intraday.live.Intraday`.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from feeds.metrics.formulas import ABANDON_WAIT, ABANDONED, ANSWER_WAIT, ANSWERED

Key = tuple[str, float]  # (queue, interval start)
Leg = tuple[str, int]  # (contact id, leg)
# How long a leg waited: its answer wait if it was answered, else its abandon wait if it was
# abandoned (the first that applies), else none.
_WAITS = ((ANSWERED, ANSWER_WAIT), (ABANDONED, ABANDON_WAIT))


class Counted(NamedTuple):  # a tuple: one is made for every leg settled
    key: Key  # where the leg counts
    values: tuple[float, ...]  # by formulas.COUNTERS
    wait: float | None  # answered or abandoned: how long it waited
    since: float | None  # still waiting: since when


def counted(key: Key, values: list[float], since: float | None) -> Counted:
    """What a leg counts at ``key`` (``values`` by formulas.COUNTERS), and how long it waited."""
    wait = next((values[w] for flag, w in _WAITS if values[flag]), None)
    return Counted(key, tuple(values), wait, since)


class _Batch(NamedTuple):
    keys: list[Key | None]  # where each leg counts (None: nowhere)
    values: np.ndarray  # a row a leg, by formulas.COUNTERS
    waits: np.ndarray  # how long each waited (NaN: it did not)
    gone: np.ndarray  # settled one at a time since (come again)
    legs: list[Leg]  # its legs that count somewhere


class Batched:
    """Legs counted a column at a time, kept as columns until one comes again."""

    def __init__(self) -> None:
        self._kept: dict[Leg, tuple[_Batch, int]] = {}  # each leg kept: its batch and row
        # the batches by the latest interval each counts in: forgotten whole once it goes
        self._by_last: dict[float, list[_Batch]] = {}
        self._floor = -np.inf  # intervals before it are forgotten
        self._longest: dict[Key, float] = {}  # the longest wait among them, by interval
        self._batches: dict[Key, list[_Batch]] = {}  # the batches with legs in each interval

    def none_of(self, legs: list[Leg]) -> bool:
        """Whether none of ``legs`` is kept here."""
        return self._kept.keys().isdisjoint(legs)

    def add(self, legs: list[Leg], keys: list[Key | None], values: np.ndarray) -> None:
        """Legs not counted before: each where it counts (None: nowhere) and its counters."""
        mine = [i for i, key in enumerate(keys) if key is not None]
        if not mine:
            return
        waits = np.full(len(keys), np.nan)
        for flag, w in reversed(_WAITS):  # the first that applies wins
            waits = np.where(values[:, flag] != 0, values[:, w], waits)
        kept = [legs[i] for i in mine]
        batch = _Batch(keys, values, waits, np.zeros(len(keys), dtype=bool), kept)
        self._kept.update(zip(kept, zip(itertools.repeat(batch), mine), strict=True))
        reached: dict[Key, int] = {}  # the intervals they count in, each with its number
        codes = [reached.setdefault(keys[i], len(reached)) for i in mine]  # type: ignore[arg-type]
        self._by_last.setdefault(max(k[1] for k in reached), []).append(batch)
        longest = np.full(len(reached), np.nan)
        np.fmax.at(longest, np.array(codes), waits[mine])  # NaN (no wait) loses to any wait
        for key, wait in zip(reached, longest.tolist(), strict=True):
            self._batches.setdefault(key, []).append(batch)
            if wait == wait:
                self._longest[key] = max(wait, self._longest.get(key, wait))

    def longest(self, key: Key) -> float | None:
        return self._longest.get(key)

    def recall(self, leg: Leg) -> Counted | None:
        """The leg as a :class:`Counted`, no longer kept here (None: it is not)."""
        found = self._kept.pop(leg, None)
        if found is None:
            return None
        batch, i = found
        batch.gone[i] = True
        key = batch.keys[i]
        if key is None or key[1] < self._floor:  # its interval is forgotten: so is the leg
            return None
        waits = [b.waits[j] for b in self._batches[key] for j, k in enumerate(b.keys)
                 if k == key and not b.gone[j] and b.waits[j] == b.waits[j]]  # fmt: skip
        if waits:
            self._longest[key] = float(max(waits))
        else:
            self._longest.pop(key, None)
        return counted(key, batch.values[i].tolist(), None)

    def forget_before(self, floor: float) -> None:
        """Drop the intervals that start before ``floor``, and their legs (a batch's at once,
        when the last interval it counts in goes; a recalled leg of a forgotten interval is
        none)."""
        for table in (self._longest, self._batches):
            for key in [k for k in table if k[1] < floor]:
                del table[key]
        self._floor = floor
        for last in [last for last in self._by_last if last < floor]:
            for batch in self._by_last.pop(last):
                for leg in batch.legs:
                    if self._kept.get(leg, (None,))[0] is batch:  # not recalled (and come again)
                        del self._kept[leg]
