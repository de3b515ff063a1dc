"""The agent tab's moment-of-truth card: who is calling, why they called before, what the agent
may give and what to promise, on screen while the contact rings, before the agent says hello.

Pure view-models of :class:`dashboard.pages.agent.model.AgentView`'s ``contact`` item. The facts
come from the data side: the profile and the ledger (:mod:`feeds.customers.profiles`), the
flags (:mod:`feeds.customers.moments`), which outages affect the caller and why
(:mod:`feeds.customers.matching`), what the agent may give (:mod:`feeds.customers.authority`)
and what to promise (:mod:`feeds.customers.expectations`). Here they become short text, each
said once: an outage's wording is in "what to promise", its offer in "what you may give", and
the flag says only why the caller was matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from dashboard.pages.items import Item, item
from feeds.bus.fields import channel_kind
from feeds.bus.schema import Envelope
from feeds.config import Queue
from feeds.config_feeds import Customers, Moments
from feeds.customers.authority import Offer, Standing, allowed, fmt_money
from feeds.customers.expectations import expectation, headline, open_case, promises
from feeds.customers.history import PastContact
from feeds.customers.moments import Flag, affecting, moment_flags, within
from feeds.customers.profiles import Caller
from feeds.times import fmt_day, fmt_duration, time_text

OUTCOMES = {"offered": "waiting", "answered": "in progress", "completed": "handled"}
LOOKUP = {
    "pending": "Looking up the customer in the CRM…",
    "missing": "Not in the CRM: a new customer? Ask for their name.",
    "failed": "The CRM is not answering: greet them warmly and ask for their name. "
    "Everything else on this card still holds.",
    "": "No profile for this customer yet: ask for their name.",
}
HISTORY_LINES = 6  # earlier contacts and records listed


@dataclass(frozen=True)
class Desk:
    """What every card is computed with besides its contact: settings, names, the clock's zone."""

    moments: Moments
    customers: Customers
    tz: tzinfo
    queue_names: Mapping[str, str]
    agent_names: Mapping[str, str]  # the agent whose tab it is: "you"


def current_contact(contacts: Iterable[Envelope], agent_id: str) -> Envelope | None:
    """The contact the agent is on: the latest they answered (the live state drops a contact
    when it ends), else the one ringing at them (``offered`` naming them)."""
    mine = [c for c in contacts if c.data["agent_id"] == agent_id]
    answered = [c for c in mine if c.data["event"] == "answered"]
    if answered:
        return max(answered, key=lambda c: (c.data["answered_at"] or c.ts, c.id))
    ringing = [c for c in mine if c.data["event"] == "offered"]
    return max(ringing, key=lambda c: (c.ts, c.id), default=None)


def who(caller: Caller | None, lookup_timeout: float) -> dict[str, Any]:
    """How to greet them, and the facts that shape the contact; or why we do not know."""
    profile = caller.profile if caller else None
    crm = caller.crm if caller else ""
    lookup = {"state": crm or ("none" if profile is None else ""), "text": "", "since": None,
              "timeout": lookup_timeout}  # fmt: skip
    if profile is None:
        lookup["text"] = LOOKUP[crm] if caller else "Customer details cannot be read right now."
        if crm == "failed" and caller and caller.crm_detail:
            lookup["text"] += f" ({caller.crm_detail})"
        lookup["since"] = caller.crm_since if caller else None
        return {"greet": "", "name": "", "facts": "", "consent": [], "lookup": lookup}
    area = profile["postcode_area"]
    region = f"{profile['region']} ({area})" if profile["region"] and area else profile["region"]
    region = region or area
    facts = " · ".join(f for f in (profile["segment"], region, ", ".join(profile["products"])) if f)
    consent = [f"{'✓' if yes else 'No'} {flag}" for flag, yes in sorted(profile["consent"].items())]
    preferred = profile["preferred_name"]
    return {"greet": preferred or profile["name"], "name": profile["name"] if preferred else "",
            "facts": facts, "consent": consent, "lookup": lookup}  # fmt: skip


def _past_line(c: PastContact, desk: Desk, ref: float) -> dict[str, Any]:
    """An earlier contact: when, where, what came of it and who; why, and the outcome said."""
    p = c.summary()
    agent = desk.agent_names.get(p["agent_id"], p["agent_id"]) if p["agent_id"] else None
    if p["event"] == "abandoned":
        how = f"gave up after {fmt_duration(p['waited'])}"
    elif p["event"] == "completed":
        took = f" in {fmt_duration(p['handle'])}" if p["handle"] is not None else ""
        how = f"handled by {agent}{took}"
    else:
        how = OUTCOMES[p["event"]] + (f" with {agent}" if agent else "")
    why = " → ".join(x for x in (p["reason"], p["outcome"]) if x)
    where = f"{desk.queue_names.get(p['queue'], p['queue'])} · {channel_kind(p['channel']).label}"
    return {"id": p["id"], "at": p["at"], "when": fmt_day(p["at"], desk.tz, ref), "where": where,
            "outcome": how, "why": why}  # fmt: skip


def _ledger_line(e: Mapping[str, Any], status: str, desk: Desk, ref: float) -> dict[str, Any]:
    """What an agent gave or promised, as the next agent reads it."""
    agent = desk.agent_names.get(e["agent_id"], e["agent_id"])
    verb = "gave" if e["type"] == "gave" else "promised"
    due = f" by {fmt_day(e['due'], desk.tz, ref)}" if e.get("due") else ""
    said = f" ({status})" if status else ""
    return {"id": e["id"], "at": e["at"], "when": fmt_day(e["at"], desk.tz, ref),
            "where": "", "outcome": f"{agent} {verb}: {e['text']}{due}{said}", "why": "",
            "kind": e["type"]}  # fmt: skip


def history_lines(
    earlier: list[PastContact], ledger: list[Mapping[str, Any]], kept: Mapping[str, str],
    desk: Desk, ref: float,
) -> list[dict[str, Any]]:  # fmt: skip
    """Earlier contacts (any channel) and what was given or promised, newest first."""
    lines = [_past_line(c, desk, ref) for c in earlier]
    lines += [_ledger_line(e, kept.get(e["id"], ""), desk, ref) for e in ledger]
    return sorted(lines, key=lambda x: -x["at"])[:HISTORY_LINES]


def flag_entry(flag: Flag, desk: Desk, ref: float) -> dict[str, Any]:
    """A flag as the card shows it: title, the facts as short text, the suggestion."""
    f = flag.facts
    entry: dict[str, Any] = {"kind": flag.kind, "title": flag.title,
                             "suggestion": flag.suggestion, "detail": ""}  # fmt: skip
    if flag.kind == "outage":
        entry.update(detail=f"{f['severity'].capitalize()} · {f['why']}")
    elif flag.kind == "waited":  # the wait itself is in the card's head
        entry["detail"] = f"target {fmt_duration(f['target'])}"
    elif flag.kind == "callback":  # when is in "Before"
        queue = desk.queue_names.get(f["queue"], f["queue"])
        entry["detail"] = f"gave up after {fmt_duration(f['waited'])} on {queue}"
    elif flag.kind == "repeat":  # the count is the card's headline
        entry["title"] = "Repeat contact"
    return entry


def may_give(
    stands: list[Standing], offers: list[Offer], currency: str, segment_known: bool
) -> dict[str, Any]:
    """The rules that apply (what each allows, what is used of it) and the outage offers."""
    rules = [{"id": s.id, "title": s.rule["title"], "wording": s.rule["wording"],
              **s.text(currency)} for s in stands]  # fmt: skip
    shown = [{"id": o.outage_id, "service": o.service, "text": o.text, "note": o.note(currency),
              "amount": fmt_money(o.amount, currency) if o.amount is not None else ""}
             for o in offers]  # fmt: skip
    choices = [{"label": f"{s.rule['title']} ({s.text(currency)['allows'] or 'no limit'})",
                "value": f"rule:{s.id}"} for s in stands if not s.blocked]  # fmt: skip
    choices += [{"label": f"Outage offer: {o.service}", "value": f"outage:{o.outage_id}"}
                for o in offers if not o.given]  # fmt: skip
    note = "" if segment_known else "Their segment is not known: only rules for every customer."
    return {"rules": rules, "offers": shown, "choices": choices, "note": note}


def contact_item(
    contact: Envelope, *, queue: Queue | None, history: list[PastContact] | None,
    caller: Caller | None, outages: Iterable[Envelope], rules: Iterable[Envelope],
    delay: Envelope | None, me: Mapping[str, Any] | None, desk: Desk, now: float,
) -> Item:  # fmt: skip
    """The card of the contact ringing at the agent or answered by them (``me``: the agent's
    state, for their team and whether they are in wrap-up).

    ``history`` or ``caller`` None means it could not be read: the card still shows all it
    can and says what is missing. Times are said from the contact's enqueue time, so the card
    does not change while the agent talks; allowances count up to ``now``.
    """
    d = dict(contact.data)
    ringing = d["event"] == "offered"
    team = me["team"] if me else None
    # In wrap-up the call is over but the contact is not: the card stays, its talk time stops.
    wrap = me is not None and me["state"] == "wrap" and d["answered_at"] is not None
    talked_until = me["since"] if wrap and me["since"] >= d["answered_at"] else None
    profile = caller.profile if caller else None
    ledger = caller.ledger if caller else []
    ref, past = d["enqueued_at"], history or []
    outages = list(outages)
    flags: list[Flag] = []
    if queue is not None:
        flags = moment_flags(contact.id, d, queue, past, outages, desk.moments, profile)
    hit = affecting(d["queue"], outages, profile)
    segment = (profile or {}).get("segment") or None
    currency = desk.customers.currency
    stands, offers = allowed(
        [(r.id, r.data) for r in rules], ledger, [(o.id, o.data) for o, _ in hit],
        queue_id=d["queue"], team=team, segment=segment, contact_id=contact.id, ref=now,
        tz=desk.tz, currency=currency,
    )  # fmt: skip
    earlier = within(contact.id, ref, past, desk.moments.repeat_days)
    made = promises(profile, ledger, past, ref)
    kept = {p.id: p.status for p in made if p.id}
    topic = d["reason"] or next((c.reason for c in earlier if c.reason), None)
    cc = desk.customers
    expect = expectation(
        topic, profile, [o.data for o, _ in hit], delay.data if delay else None, made, ref=ref,
        window=(cc.callback_hours, cc.opens, cc.closes), tz=desk.tz,
    )  # fmt: skip
    days = desk.moments.repeat_days
    said = headline(len(earlier) + 1, days, topic, open_case(profile, topic), made, desk.tz, ref)
    card = {
        "id": contact.id,
        "state": "ringing" if ringing else "wrap" if talked_until else "answered",
        "customer_id": d["customer_id"],
        "queue": desk.queue_names.get(d["queue"], d["queue"]),
        "channel": channel_kind(d["channel"]).label,
        "tags": list(dict.fromkeys([*d["tags"], *(profile or {}).get("tags", [])])),
        "enqueued_at": ref,
        "answered_at": d["answered_at"],
        "talked_until": talked_until,
        "waited": fmt_duration(d["answered_at"] - ref) if d["answered_at"] else None,
        "who": who(caller, desk.customers.crm.timeout),
        "headline": said,
        "history": history_lines(earlier, ledger, kept, desk, ref),
        "history_missing": history is None,
        "give": may_give(stands, offers, currency, segment is not None or profile is None),
        "expect": {**expect.__dict__, "due_text": time_text(expect.due, desk.tz, now)},
        "outages": [o.id for o, _ in hit],
        "flags": [flag_entry(f, desk, ref) for f in flags],
    }
    return item(contact.ts, status="alert" if flags else "ok", card=card)
