"""What was promised before, and what to promise now: resetting the customer's expectation.

A customer who was promised a call back yesterday and did not get one opens with it, and an
agent who knows it apologises first. One whose case is late wants a new date, not the old one
again. So the card lists the promises made (by the CRM's callbacks and by agents from the card,
:mod:`feeds.customers.ledger`) with whether each was kept, and proposes the promise to make now
with approved wording: the outage's ETA and the supervisor's wording when an outage affects
them, else their case's ETA, else a call back within the centre's callback window.

A promise is kept when it is marked done, or when the customer was reached (an answered
contact) between the promise and its deadline; once its deadline has passed otherwise, it was
missed. Pure functions; times are measured from ``ref`` (the contact's enqueue time), so a card
does not change while the agent talks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from feeds.customers.history import PastContact
from feeds.customers.matching import same
from feeds.customers.moments import ordinal
from feeds.times import fmt_day, fmt_duration

PROMISE_STEP = 900.0  # a promised time is rounded up to the quarter hour, as people say them
PRIORITY_RANK = {"urgent": 0, "critical": 0, "high": 1, "major": 1, "normal": 2, "minor": 2,
                 "low": 3}  # fmt: skip


@dataclass(frozen=True)
class Promise:
    """A promise made to the customer, and where it stands at ``ref``."""

    due: float
    text: str
    status: str  # due, kept, missed
    at: float | None = None  # when it was promised, if known
    agent_id: str | None = None
    case_id: str | None = None
    id: str | None = None  # the ledger entry, for a promise made from the card


def _reached(history: Iterable[PastContact], since: float, until: float) -> bool:
    return any(
        c.answered_at is not None and since <= c.answered_at <= until
        for c in history
        if c.event in ("answered", "completed")
    )


def promises(
    profile: Mapping[str, Any] | None,
    ledger: Iterable[Mapping[str, Any]],
    history: Iterable[PastContact],
    ref: float,
) -> list[Promise]:
    """Every promise with a deadline, the most recent deadline first."""
    history = list(history)
    found = []
    for cb in (profile or {}).get("callbacks", []):
        status = {"done": "kept", "missed": "missed"}.get(cb["status"])
        if status is None:
            status = "missed" if cb["due"] < ref else "due"
        found.append(Promise(cb["due"], "call back", status, case_id=cb["case_id"]))
    for e in ledger:
        if e["type"] != "promised" or e.get("due") is None:
            continue
        if _reached(history, e["at"], e["due"]):
            status = "kept"
        else:
            status = "missed" if e["due"] < ref else "due"
        found.append(Promise(e["due"], e["text"], status, e["at"], e["agent_id"], id=e["id"]))
    return sorted(found, key=lambda p: -p.due)


def open_case(profile: Mapping[str, Any] | None, reason: str | None) -> Mapping[str, Any] | None:
    """The open case this contact is most likely about: one with the same reason, else the most
    pressing open one."""
    cases = [c for c in (profile or {}).get("cases", []) if c["status"] != "closed"]
    if reason:
        for case in cases:
            if same(case["reason"], reason):
                return case
    return min(cases, key=lambda c: PRIORITY_RANK[c["priority"]], default=None)


def callback_due(ref: float, hours: float, tz: tzinfo, opens: float, closes: float) -> float:
    """The end of the callback window from ``ref``, rounded up to the quarter hour and within
    opening hours: a window that ends after closing (or starts before opening) ends ``hours``
    after the next opening instead, at the latest at closing."""
    due = math.ceil((ref + hours * 3600) / PROMISE_STEP) * PROMISE_STEP
    local = datetime.fromtimestamp(due, tz)
    hour = local.hour + local.minute / 60
    if opens <= hour <= closes:
        return due
    day = local.date() if hour < opens else local.date() + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() + opens * 3600
    return min(start + hours * 3600, start + (closes - opens) * 3600)


@dataclass(frozen=True)
class Expectation:
    """The card's "reset the expectation": how pressing, by when, what to promise, how to say."""

    priority: str  # "urgent", "major outage"…; "" when nothing says
    issue: str  # what it is about: "billing dispute (case C-1042)"
    estimate: str  # "case was due yesterday 12:13"; "" when the promise says it, or unknown
    wait: str  # the queue's delay reason and expected wait, when one is set
    promise: str  # what to promise now
    due: float | None  # the promise's deadline
    wording: str  # the approved way to say it
    workaround: str = ""  # what they can do meanwhile (an outage's)


def expectation(
    reason: str | None,
    profile: Mapping[str, Any] | None,
    outages: Iterable[Mapping[str, Any]],
    delay: Mapping[str, Any] | None,
    kept: Iterable[Promise],
    *,
    ref: float,
    window: tuple[float, float, float],
    tz: tzinfo,
) -> Expectation:
    """What to tell the customer about their issue: from the most severe outage that affects
    them, else their open case, else a call back within the window. A missed promise is
    apologised for first. ``window``: the callback window's hours, and the hours the centre
    opens and closes."""
    day = lambda ts: fmt_day(ts, tz, ref)  # noqa: E731
    wait = ""
    if delay is not None:
        expect = delay.get("expected_wait")
        wait = delay["reason"] + (f" · expect {fmt_duration(expect)}" if expect else "")
    missed = next((p for p in kept if p.status == "missed"), None)
    sorry = ""
    if missed is not None:
        when = fmt_day(missed.due, tz, ref, clock=False)
        sorry = f"I'm sorry we didn't {missed.text} {when} as we promised. "
    outage = next(iter(outages), None)
    if outage is not None:
        eta, service = outage["eta"], outage["service"]
        said = outage["customer_wording"] or f"We know about a problem with {service}."
        return Expectation(
            f"{outage['severity']} outage", service, "" if eta else "no fix time yet", wait,
            f"Expected fixed by {day(eta)}" if eta else "Give them the workaround", eta,
            sorry + said, outage["workaround"],
        )  # fmt: skip
    case = open_case(profile, reason)
    hours, opens, closes = window
    due = callback_due(ref, hours, tz, opens, closes)
    if case is not None:
        issue = f"{case['reason']} (case {case['id']})"
        eta = case["eta"]
        if eta is not None and eta > ref:
            return Expectation(  # the promise carries the date: said once
                case["priority"], issue, "", wait,
                f"Case {case['id']} resolved by {day(eta)}", eta,
                sorry + f"Your case {case['id']} is with our team and we expect to resolve it by "
                f"{day(eta)}. I'll make sure you hear from us by then.",
            )  # fmt: skip
        late = f"case was due {day(eta)}" if eta is not None else "case has no date yet"
        return Expectation(
            case["priority"], issue, late, wait, f"Call back by {day(due)} with a new date", due,
            sorry + f"I'm sorry your case {case['id']} is taking longer than it should. I'll ask "
            f"the team for a firm date and make sure you get a call back by {day(due)}.",
        )  # fmt: skip
    return Expectation(
        "", reason or "", "", wait, f"Call back by {day(due)} if it is not settled now", due,
        sorry + f"If we can't settle this today, we'll call you back by {day(due)}.",
    )  # fmt: skip


def headline(
    count: int, days: float, topic: str | None, case: Mapping[str, Any] | None,
    made: Iterable[Promise], tz: tzinfo, ref: float,
) -> str:  # fmt: skip
    """The card's one line on what is going on: "3rd contact in 7 days: billing dispute (open
    case C-1042, promised callback yesterday, missed)"."""
    lead = f"{ordinal(count) if count > 1 else 'First'} contact in {days:g} days"
    topic = topic or (case["reason"] if case is not None else "")
    notes = []
    if case is not None:
        about = "" if same(case["reason"], topic) else f": {case['reason']}"
        notes.append(f"open case {case['id']}{about}")
    last = next(iter(made), None)
    if last is not None:
        what = "callback" if last.text == "call back" else f"“{last.text}”"
        state = f"due {fmt_day(last.due, tz, ref)}" if last.status == "due" else last.status
        notes.append(
            f"promised {what} {fmt_day(last.at or last.due, tz, ref, clock=False)}, {state}"
        )
    return lead + (f": {topic}" if topic else "") + (f" ({', '.join(notes)})" if notes else "")
