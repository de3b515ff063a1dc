"""Moment-of-truth flags: what an agent must know about the customer they are about to answer.

A customer decides what they think of the company in the first seconds of a contact, and the
agent can only meet them well knowing what happened before: a service failure that hits them,
a long wait or an earlier attempt they gave up on, a third call this week, a valued or wavering
customer. Each flag comes with a short suggested approach, so the agent opens with the right
sentence instead of finding out half-way through the call.

Pure functions of the contact, the customer's history (:mod:`feeds.history`), the live
outages and the config; no clock (times are measured from the contact's own enqueue and answer
times, so a card does not change while the agent talks). Durations and times stay numbers in
``facts``: the view-model formats them for the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from feeds.bus.schema import Envelope
from feeds.config import Queue
from feeds.config_feeds import Moments
from feeds.customers.history import PastContact
from feeds.customers.matching import Match, outage_match
from feeds.notices.outages import outage_order

SUGGEST_OUTAGE = (
    "Acknowledge the outage before they have to explain it, and use the approved wording."
)
SUGGEST_CALLBACK = (
    "They gave up earlier and tried again: apologise that they could not get through, and "
    "thank them for calling back."
)
SUGGEST_WAITED = "Apologise for the wait and thank them for holding."
SUGGEST_REPEAT = (
    "Don't make them repeat themselves: summary of their last contacts below. Pick up where "
    "they left off, and own it until it is fixed."
)
SUGGEST_AT_RISK = (
    "Listen first, resolve it on this contact if you can, and escalate rather than transfer."
)
SUGGEST_VIP = "Take ownership, and offer a callback rather than a transfer."


@dataclass(frozen=True)
class Flag:
    """One reason this contact matters, and how to approach it."""

    kind: str  # outage, callback, waited, repeat, at-risk, vip
    title: str
    suggestion: str
    facts: dict[str, Any] = field(default_factory=dict)


def affecting(
    queue_id: str, outages: Iterable[Envelope], profile: Mapping[str, Any] | None = None
) -> list[tuple[Envelope, Match]]:
    """The active outages that affect this caller (:func:`feeds.customers.matching.outage_match`),
    most severe first, each with why."""
    hit = [(o, m) for o in outages if (m := outage_match(o.data, queue_id, profile)) is not None]
    return sorted(hit, key=lambda om: outage_order(om[0].data))


def outage_flags(
    queue_id: str, outages: Iterable[Envelope], profile: Mapping[str, Any] | None = None
) -> list[Flag]:
    """One flag per active outage affecting the caller, most severe first, saying why they were
    matched (their region, service or segment; or only their queue)."""
    return [
        Flag(
            "outage",
            f"Hit by an outage: {o.data['service']}",
            SUGGEST_OUTAGE,
            {
                "outage_id": o.id,
                "severity": o.data["severity"],
                "wording": o.data["customer_wording"],
                "offer": o.data["offer"],
                "workaround": o.data["workaround"],
                "eta": o.data["eta"],
                "matched_by": match.by,
                "why": match.why,
            },
        )
        for o, match in affecting(queue_id, outages, profile)
    ]


def _earlier(
    contact_id: str, enqueued_at: float, history: Iterable[PastContact]
) -> list[PastContact]:
    """The customer's other contacts that came in before this one, newest first."""
    found = [c for c in history if c.id != contact_id and c.enqueued_at <= enqueued_at]
    return sorted(found, key=lambda c: (c.enqueued_at, c.id), reverse=True)


def within(
    contact_id: str, enqueued_at: float, history: Iterable[PastContact], days: float
) -> list[PastContact]:
    """The customer's earlier contacts that came in at most ``days`` before this one, newest
    first: the window the repeat count and the card's history look at."""
    since = enqueued_at - days * 86400
    return [c for c in _earlier(contact_id, enqueued_at, history) if c.enqueued_at >= since]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def repeat_flag(
    contact_id: str, enqueued_at: float, history: Iterable[PastContact], settings: Moments
) -> Flag | None:
    """This customer's ``repeat_contacts``-th contact (or later) within ``repeat_days``.

    Counted at the time this contact came in, this one included; an earlier contact counts
    when it came in at most ``repeat_days`` before.
    """
    window = within(contact_id, enqueued_at, history, settings.repeat_days)
    count = len(window) + 1
    if count < settings.repeat_contacts:
        return None
    return Flag(
        "repeat",
        f"Repeat contact: {ordinal(count)} in {settings.repeat_days:g} days",
        SUGGEST_REPEAT,
        {
            "count": count,
            "days": settings.repeat_days,
            "last": [c.summary() for c in window[: settings.summary_contacts]],
        },
    )


def callback_flag(
    contact_id: str, enqueued_at: float, history: Iterable[PastContact], settings: Moments
) -> Flag | None:
    """The customer abandoned a contact within ``abandoned_callback_hours`` before this one, and
    nobody has answered them since: this contact is them trying again."""
    since = enqueued_at - settings.abandoned_callback_hours * 3600
    for c in _earlier(contact_id, enqueued_at, history):
        if c.event in ("answered", "completed"):
            return None  # they got through after giving up: that was the callback
        gave_up = c.ended_at if c.ended_at is not None else c.enqueued_at
        if c.event == "abandoned" and since <= gave_up <= enqueued_at:
            return Flag(
                "callback",
                "Called back after giving up",
                SUGGEST_CALLBACK,
                {"abandoned_at": gave_up, "waited": gave_up - c.enqueued_at, "queue": c.queue},
            )
    return None


def waited_flag(enqueued_at: float, answered_at: float | None, queue: Queue) -> Flag | None:
    """Answered after the queue's service-level threshold: they waited longer than promised."""
    if answered_at is None:
        return None
    waited = answered_at - enqueued_at
    if waited <= queue.sl_threshold:
        return None
    return Flag(
        "waited",
        "Waited longer than the target",
        SUGGEST_WAITED,
        {"waited": waited, "target": queue.sl_threshold},
    )


def tag_flags(tags: Iterable[str]) -> list[Flag]:
    """VIP and at-risk tags carried on the contact (any case; ``at_risk`` too)."""
    found = {t.lower().replace("_", "-") for t in tags}
    flags = []
    if "at-risk" in found:
        flags.append(Flag("at-risk", "At risk of leaving", SUGGEST_AT_RISK))
    if "vip" in found:
        flags.append(Flag("vip", "VIP customer", SUGGEST_VIP))
    return flags


def moment_flags(
    contact_id: str,
    contact: Mapping[str, Any],
    queue: Queue,
    history: Iterable[PastContact],
    outages: Iterable[Envelope],
    settings: Moments,
    profile: Mapping[str, Any] | None = None,
) -> list[Flag]:
    """Every flag of a contact (``contact`` data; ``answered_at`` None while it rings), in the
    order to act on them: the outage to acknowledge, the apology, the history, who they are.
    ``profile``: the customer's, when known: outages match them by it, and its tags count."""
    history = list(history)
    enqueued = contact["enqueued_at"]
    flags = outage_flags(contact["queue"], outages, profile)
    for flag in (
        callback_flag(contact_id, enqueued, history, settings),
        waited_flag(enqueued, contact["answered_at"], queue),
        repeat_flag(contact_id, enqueued, history, settings),
    ):
        if flag is not None:
            flags.append(flag)
    return flags + tag_flags([*contact["tags"], *(profile or {}).get("tags", [])])
