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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
)
from feeds.metrics.windows import Entry

Event = tuple[float, Mapping[str, Any]]  # (trusted time, contact data)
Limits = Mapping[str, tuple[float, float]]  # queue id -> (SL threshold, short abandon), seconds


@dataclass(slots=True)
class Leg:
    events: dict[str, Event] = field(default_factory=dict)  # latest of each event kind
    applied: tuple[str, tuple[Entry, ...]] | None = None  # (queue, entries) in the counters
    waiting: tuple[str, float] | None = None  # (queue, enqueued_at) while in the waiting set

    @property
    def first(self) -> float:
        return min(t for t, _ in self.events.values())

    def top(self) -> Event:
        """The leg's latest value by the ordering rule: its furthest phase."""
        ev = self.events
        return ev.get("completed") or ev.get("answered") or ev.get("abandoned") or ev["offered"]


@dataclass(slots=True)
class Contact:
    legs: dict[int, Leg] = field(default_factory=dict)
    deleted: bool = False  # withdrawn by the feed: no longer waiting, counts stay
    last: float = 0.0  # latest event time, to forget the contact once long finished

    def finished(self) -> bool:
        return all(leg.waiting is None for leg in self.legs.values())


def entries(leg: Leg, next_start: float | None, limits: Limits) -> tuple[str, tuple[Entry, ...]]:
    """The leg's queue and what it counts there (nothing on a queue not configured)."""
    qid = leg.top()[1]["queue"]
    limit = limits.get(qid)
    if limit is None:
        return qid, ()
    threshold, short = limit
    ev = leg.events
    offer, answer, gone, done = (
        ev.get(k) for k in ("offered", "answered", "abandoned", "completed")
    )
    outcome = answer or done or gone
    t_offer = max(offer[0] if offer else outcome[0], outcome[0] if outcome else offer[0])
    out: list[Entry] = [(t_offer, OFFERED, 1.0)]
    if answer is not None or (done is not None and done[1].get("answered_at") is not None):
        t, d = answer or done
        answered_at = d.get("answered_at")
        wait = max(0.0, (t if answered_at is None else answered_at) - d["enqueued_at"])
        out += [(t, ANSWERED, 1.0), (t, ANSWER_WAIT, wait)]
        if wait <= threshold:
            out.append((t, ANSWERED_IN_THRESHOLD, 1.0))
    elif outcome is gone and gone is not None:
        t, d = gone
        ended_at = d.get("ended_at")
        wait = max(0.0, (t if ended_at is None else ended_at) - d["enqueued_at"])
        out += [(t, ABANDONED, 1.0), (t, ABANDON_WAIT, wait)]
        if wait < short:
            out.append((t, SHORT_ABANDONED, 1.0))
        if wait <= threshold:
            out.append((t, ABANDONED_IN_THRESHOLD, 1.0))
    if done is not None:
        t, d = done
        handle = sum(d.get(k) or 0.0 for k in ("talk", "hold", "wrap"))
        out += [(t, HANDLED, 1.0), (t, HANDLE_TIME, handle)]
    if next_start is not None:
        out.append((next_start, TRANSFERRED, 1.0))
    return qid, tuple(out)


def waiting(leg: Leg, has_next: bool, deleted: bool) -> tuple[str, float] | None:
    """(queue, enqueued_at) if the leg is still waiting: offered, no outcome, not moved on."""
    ev = leg.events
    if deleted or has_next or len(ev) != 1 or "offered" not in ev:
        return None
    data = ev["offered"][1]
    return data["queue"], data["enqueued_at"]
