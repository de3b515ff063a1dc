"""What one leg of a contact counts, from the events of it that the feed has delivered so far.

A leg's figures are a function of its events, not of the order they came in: each event kind
of a leg keeps its latest instance (the ordering rule, :mod:`feeds.bus.ordering`), and whenever
one changes the leg's entries are worked out again and the difference applied to the counters.
So a "completed" before its "answered", an offer re-delivered after midnight, or a transfer's
second leg seen before the first all end with the same counts as a tidy feed.

What a leg counts, each at the (trusted) time of the event that says it:

- offered: once, at the latest of its offer and its outcome, so every window that holds an
  answer or an abandon also holds its offer (rates stay within 0..1, even mid-stream);
- answered (with its wait, and whether within the SL threshold): at the "answered", or at the
  "completed" if that came alone and carries ``answered_at`` (a completed leg was answered);
- abandoned (with its wait, short or not, within the threshold or not): at the "abandoned", if
  neither an answer nor a completion outranks it;
- handled and its handle time (talk + hold + wrap): at the "completed";
- transferred: when the contact has a next leg, at that leg's first event.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from feeds.metrics.formulas import (
    ABANDON_WAIT,
    ABANDONED,
    ABANDONED_IN_THRESHOLD,
    ANSWER_WAIT,
    ANSWERED,
    ANSWERED_IN_THRESHOLD,
    HANDLE_TIME,
    HANDLED,
    OFFERED,
    SHORT_ABANDONED,
    TRANSFERRED,
    handle_time,
)
from feeds.metrics.windows import Entries

# What the counters need of one contact event, and nothing more (no tags, no customer: the
# aggregator holds a day of these): (trusted time, queue, enqueued_at, answered_at, ended_at,
# handle time = talk + hold + wrap).
Event = tuple[float, str, float, float | None, float | None, float]


def event(at: float, data: Mapping[str, Any]) -> Event:
    """The :data:`Event` of a validated contact event's data received at trusted time ``at``."""
    return (at, data["queue"], data["enqueued_at"], data.get("answered_at"),
            data.get("ended_at"), handle_time(data) or 0.0)  # fmt: skip


# What a finished leg's earlier events did not know yet (a replayed record tells the whole
# leg at once; its earlier events are its final one with these still empty).
LATER = {
    "offered": ("answered_at", "ended_at", "agent_id", "talk", "hold", "wrap"),
    "answered": ("ended_at", "talk", "hold", "wrap"),
}


def story(ts: float, data: Mapping[str, Any]) -> list[tuple[str, Event]]:
    """The events of a finished leg as its final event (stamped ``ts``) tells them: offered at
    its ``enqueued_at``, answered at its ``answered_at`` (when completed), then itself; the
    earlier ones as they said it then (the :data:`LATER` fields empty, so no handle time)."""
    return _story(data["event"], event(ts, data))


def _story(kind: str, final: Event) -> list[tuple[str, Event]]:
    """:func:`story` of a leg whose final event is ``kind``, ``final``."""
    _, queue, enqueued_at, answered_at, _, _ = final
    out: list[tuple[str, Event]] = [("offered", (enqueued_at, queue, enqueued_at, None, None, 0.0))]
    if kind == "completed" and answered_at is not None:
        out.append(("answered", (answered_at, queue, enqueued_at, answered_at, None, 0.0)))
    out.append((kind, final))
    return out


Limits = Mapping[str, tuple[float, float]]  # queue id -> (SL threshold, short abandon), seconds


@dataclass(slots=True)
class Leg:
    events: dict[str, Event] = field(default_factory=dict)  # latest of each event kind
    applied: tuple[str, Entries] | None = None  # (queue, entries) in the counters
    waiting: tuple[str, float] | None = None  # (queue, enqueued_at) while in the waiting set

    @property
    def first(self) -> float:
        return min(e[0] for e in self.events.values())


@dataclass(slots=True)
class Contact:
    legs: dict[int, Leg] = field(default_factory=dict)
    deleted: bool = False  # withdrawn by the feed: no longer waiting, counts stay
    last: float = 0.0  # latest event time, to forget the contact once long finished

    def finished(self) -> bool:
        return all(leg.waiting is None for leg in self.legs.values())


def entries(leg: Leg, next_start: float | None, limits: Limits) -> tuple[str, Entries]:
    """The leg's queue and what it counts there (nothing on a queue not configured)."""
    ev = leg.events
    offer, answer = ev.get("offered"), ev.get("answered")
    gone, done = ev.get("abandoned"), ev.get("completed")
    outcome = answer or done or gone
    qid = (done or answer or gone or offer)[1]  # the leg's latest value says
    limit = limits.get(qid)
    if limit is None:
        return qid, ()
    if outcome is None:
        t_offer = offer[0]
    else:
        t_offer = outcome[0] if offer is None or offer[0] < outcome[0] else offer[0]
    out: list[float] = [t_offer, OFFERED, 1.0]
    if answer is not None or (done is not None and done[3] is not None):
        t, _, enqueued_at, answered_at, _, _ = answer or done
        wait = (t if answered_at is None else answered_at) - enqueued_at
        wait = wait if wait > 0.0 else 0.0
        out += (t, ANSWERED, 1.0, t, ANSWER_WAIT, wait)
        if wait <= limit[0]:
            out += (t, ANSWERED_IN_THRESHOLD, 1.0)
    elif outcome is gone and gone is not None:
        t, _, enqueued_at, _, ended_at, _ = gone
        wait = (t if ended_at is None else ended_at) - enqueued_at
        wait = wait if wait > 0.0 else 0.0
        out += (t, ABANDONED, 1.0, t, ABANDON_WAIT, wait)
        if wait < limit[1]:
            out += (t, SHORT_ABANDONED, 1.0)
        if wait <= limit[0]:
            out += (t, ABANDONED_IN_THRESHOLD, 1.0)
    if done is not None:
        out += (done[0], HANDLED, 1.0, done[0], HANDLE_TIME, done[5])
    if next_start is not None:
        out += (next_start, TRANSFERRED, 1.0)
    return qid, tuple(out)


@dataclass(frozen=True)
class Told:
    """Finished contact legs told whole, as columns (a flat-out replay's contacts, a chunk at a
    time): for each, what its final event says, from which :meth:`story` tells its events as
    :func:`story` does, without making them unless asked."""

    cid: list[str]
    leg: np.ndarray  # ints
    queue: list[str]
    enqueued: np.ndarray  # enqueued_at: the offer's time
    answered: np.ndarray  # answered_at of a completed leg; NaN: abandoned (or not said)
    ended: np.ndarray  # the final event's ended_at (NaN: not said)
    at: np.ndarray  # the final event's time
    handle: np.ndarray  # its handle time (0 when not said)
    done: np.ndarray  # completed; else abandoned
    agent: list[str | None]  # who handled it (the agents' hours: feeds.intraday.hours)

    @classmethod
    def of(cls, finals: Sequence[tuple[str, float, Mapping[str, Any]]]) -> Told:
        """The legs whose final events (id, time, validated data) are ``finals``."""
        rows = [(data.get("leg", 1), *event(at, data)[1:], data["event"] == "completed")
                for _, at, data in finals]  # fmt: skip
        leg, queue, enqueued, answered, ended, handle, done = (
            list(zip(*rows, strict=True)) or [()] * 7
        )
        return cls([cid for cid, _, _ in finals], np.array(leg, dtype=np.int64), list(queue),
                   _floats(enqueued), _floats(answered), _floats(ended),
                   _floats([at for _, at, _ in finals]), _floats(handle),
                   np.array(done, dtype=bool),
                   [data.get("agent_id") for _, _, data in finals])  # fmt: skip

    def __len__(self) -> int:
        return len(self.cid)

    def take(self, rows: np.ndarray | slice) -> Told:
        """These rows (indexes or a slice), in that order."""
        if isinstance(rows, slice):
            return Told(*(getattr(self, f)[rows] for f in _TOLD_FIELDS))
        picked = rows.tolist()
        return Told(*(c[rows] if isinstance(c := getattr(self, f), np.ndarray)
                      else [c[i] for i in picked] for f in _TOLD_FIELDS))  # fmt: skip

    @staticmethod
    def join(blocks: Sequence[Told]) -> Told:
        """One block of these, in order."""
        return Told(*(np.concatenate(cols) if isinstance(cols[0], np.ndarray)
                      else [x for c in cols for x in c]
                      for cols in zip(*([getattr(b, f) for f in _TOLD_FIELDS] for b in blocks),
                                      strict=True)))  # fmt: skip

    def story(self, i: int) -> list[tuple[str, Event]]:
        """Leg ``i``'s events as :func:`story` tells them."""
        final = (float(self.at[i]), self.queue[i], float(self.enqueued[i]),
                 _none(self.answered[i]), _none(self.ended[i]), float(self.handle[i]))  # fmt: skip
        return _story("completed" if self.done[i] else "abandoned", final)

    def events(self) -> int:
        """How many events the legs' stories tell."""
        return 2 * len(self) + int((self.done & ~np.isnan(self.answered)).sum())

    def whole(self) -> np.ndarray:
        """Which legs :func:`told_entries` takes: completed ones that say when they were
        answered (the others are left to :func:`entries`), and abandoned ones."""
        return ~self.done | ~np.isnan(self.answered)

    @functools.cached_property
    def latest(self) -> np.ndarray:
        """Each leg's latest event time."""
        return np.fmax(np.fmax(self.enqueued, self.answered), self.at)


_TOLD_FIELDS = tuple(f.name for f in fields(Told))


def told_entries(told: Told, limits: Limits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`entries` of finished legs told whole (:meth:`Told.whole`), a column at a time:
    six (time, counter, amount) a leg, in the order :func:`entries` lists them, the
    amount NaN where it lists none (every slot, on a queue not configured here).
    tests/test_aggregator_told.py holds the two to each other."""
    n, done = len(told), told.done
    limit = np.array([limits.get(q, (np.nan, np.nan)) for q in told.queue], dtype=float)
    threshold, short = limit.reshape(-1, 2).T
    # the outcome: the answer of a completed leg, or the abandon (the final event itself)
    at = np.where(done, told.answered, told.at)
    end = np.where(done, told.answered, told.ended)  # answered_at, or ended_at if said
    wait = np.where(np.isnan(end), at, end) - told.enqueued
    wait = np.where(wait > 0.0, wait, 0.0)
    within = wait <= threshold
    times = [np.where(told.enqueued < at, at, told.enqueued), at, at, at,
             np.where(done, told.at, at), told.at]  # fmt: skip
    counters = [
        np.full(n, OFFERED), np.where(done, ANSWERED, ABANDONED),
        np.where(done, ANSWER_WAIT, ABANDON_WAIT),
        np.where(done, ANSWERED_IN_THRESHOLD, SHORT_ABANDONED),
        np.where(done, HANDLED, ABANDONED_IN_THRESHOLD), np.full(n, HANDLE_TIME),
    ]  # fmt: skip
    amounts = [
        np.ones(n), np.ones(n), wait, np.where(np.where(done, within, wait < short), 1.0, np.nan),
        np.where(done | within, 1.0, np.nan), np.where(done, told.handle, np.nan),
    ]  # fmt: skip
    amount = np.column_stack(amounts)
    amount[np.isnan(threshold)] = np.nan  # a queue not configured here counts nothing
    return np.column_stack(times), np.column_stack(counters), amount


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _none(value: float) -> float | None:
    return None if value != value else float(value)


def waiting(leg: Leg, has_next: bool, deleted: bool) -> tuple[str, float] | None:
    """(queue, enqueued_at) if the leg is still waiting: offered, no outcome, not moved on."""
    ev = leg.events
    if deleted or has_next or len(ev) != 1 or "offered" not in ev:
        return None
    offer = ev["offered"]
    return offer[1], offer[2]
