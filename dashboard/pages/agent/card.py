"""The agent tab's moment-of-truth card: the contact the agent is on, and why it matters.

Pure view-models of :class:`dashboard.pages.agent.model.AgentView`'s ``contact`` item: the
flags come from :mod:`feeds.customers.moments`; here they become short text an agent reads in
the second before they speak, with the earlier contacts that make a caller a repeat caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

from dashboard.pages.items import Item, item
from feeds.bus.schema import Envelope
from feeds.config import Moments, Queue
from feeds.customers.history import PastContact
from feeds.customers.moments import Flag, moment_flags
from feeds.times import fmt_duration, fmt_time

OUTCOMES = {"offered": "waiting", "answered": "in progress", "completed": "handled"}


def current_contact(contacts: Iterable[Envelope], agent_id: str) -> Envelope | None:
    """The contact the agent is talking to: answered by them and not yet completed (the live
    state drops contacts when they end); the latest answered, should a feed show two."""
    mine = [c for c in contacts if c.data["agent_id"] == agent_id and c.data["event"] == "answered"]
    return max(mine, key=lambda c: (c.data["answered_at"] or c.ts, c.id), default=None)


def _past_line(
    past: Mapping[str, Any],
    queue_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    tz: tzinfo,
    ref: float,
) -> dict[str, str]:
    """An earlier contact as one line of the card: when, where, and what came of it."""
    agent = agent_names.get(past["agent_id"], past["agent_id"]) if past["agent_id"] else None
    if past["outcome"] == "abandoned":
        outcome = f"gave up after {fmt_duration(past['waited'])}"
    elif past["outcome"] == "completed":
        took = f" in {fmt_duration(past['handle'])}" if past["handle"] is not None else ""
        outcome = f"handled by {agent}{took}"
    else:
        outcome = OUTCOMES[past["outcome"]] + (f" with {agent}" if agent else "")
    return {
        "id": past["id"],
        "when": fmt_time(past["at"], tz, ref),
        "where": queue_names.get(past["queue"], past["queue"]),
        "outcome": outcome,
    }


def flag_entry(
    flag: Flag,
    queue_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    tz: tzinfo,
    ref: float,
) -> dict[str, Any]:
    """A flag as the card shows it: the facts as short text, the suggestion, the specifics."""
    f = flag.facts
    entry: dict[str, Any] = {
        "kind": flag.kind,
        "title": flag.title,
        "suggestion": flag.suggestion,
        "detail": "",
    }
    if flag.kind == "outage":
        entry.update(
            detail=f["severity"].capitalize(),
            eta=f["eta"],  # formatted by the browser in the centre's time zone, as on the wall
            wording=f["wording"],
            offer=f["offer"],
            workaround=f["workaround"],
        )
    elif flag.kind == "waited":
        entry["detail"] = f"Waited {fmt_duration(f['waited'])} (target {fmt_duration(f['target'])})"
    elif flag.kind == "callback":
        queue = queue_names.get(f["queue"], f["queue"])
        entry["detail"] = (
            f"Gave up at {fmt_time(f['abandoned_at'], tz, ref)} after "
            f"{fmt_duration(f['waited'])} on {queue}"
        )
    elif flag.kind == "repeat":
        entry["last"] = [_past_line(p, queue_names, agent_names, tz, ref) for p in f["last"]]
    return entry


def no_card() -> Item:
    return item(card=None)


def contact_item(
    contact: Envelope,
    queue: Queue | None,
    history: list[PastContact] | None,
    outages: Iterable[Envelope],
    settings: Moments,
    agent_names: Mapping[str, str],
    queue_names: Mapping[str, str],
    tz: tzinfo,
) -> Item:
    """The moment-of-truth card of the answered contact.

    ``history`` None means it could not be read: the card still shows, with the flags that
    need no history, and says the history is unavailable.
    """
    d = dict(contact.data)
    if d["answered_at"] is None:
        d["answered_at"] = contact.ts  # a feed that does not say: when we heard of it
    flags: list[Flag] = []
    if queue is not None:
        flags = moment_flags(contact.id, d, queue, history or [], outages, settings)
    ref = d["enqueued_at"]
    card = {
        "id": contact.id,
        "customer_id": d["customer_id"],
        "queue": queue_names.get(d["queue"], d["queue"]),
        "channel": d["channel"],
        "tags": d["tags"],
        "enqueued_at": d["enqueued_at"],
        "answered_at": d["answered_at"],
        "waited": fmt_duration(d["answered_at"] - d["enqueued_at"]),
        "history_missing": history is None,
        "flags": [flag_entry(f, queue_names, agent_names, tz, ref) for f in flags],
    }
    return item(contact.ts, status="alert" if flags else "ok", card=card)
