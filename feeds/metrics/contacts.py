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
    final = event(ts, data)
    _, queue, enqueued_at, answered_at, _, _ = final
    out: list[tuple[str, Event]] = [("offered", (enqueued_at, queue, enqueued_at, None, None, 0.0))]
    if data["event"] == "completed" and answered_at is not None:
        out.append(("answered", (answered_at, queue, enqueued_at, answered_at, None, 0.0)))
    out.append((data["event"], final))
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


def waiting(leg: Leg, has_next: bool, deleted: bool) -> tuple[str, float] | None:
    """(queue, enqueued_at) if the leg is still waiting: offered, no outcome, not moved on."""
    ev = leg.events
    if deleted or has_next or len(ev) != 1 or "offered" not in ev:
        return None
    offer = ev["offered"]
    return offer[1], offer[2]
