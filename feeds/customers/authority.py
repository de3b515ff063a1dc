"""What an agent may give: standing authority rules, per-customer allowances, outage offers.

An agent's job at a moment of truth is to say yes within judicious limits, and they can only do
that knowing exactly where the limits are (docs/customers.md). Supervisors keep standing rules
(``rule`` items, :mod:`feeds.customers.rules`): by queue, by the agent's team or tier and by
the customer's segment, what one grant may be (``limit``), how much a customer may be given per
period (``allowance``) and how many times (``times``), and whether more needs a supervisor or is
never given. What agents gave is in the customer's ledger (``commitment`` items,
:mod:`feeds.customers.ledger`) and counts against the allowances.

**The conflict rule.** An outage's offer is a supervisor's decision for that incident, so a
customer the outage affects may be given it in full even where a standing rule of the same
action (a credit) allows less: once per customer per outage, and it does not use up the
rule's allowance. The card says so ("above your standing £20: approved for this outage").

Pure functions of rules, ledger entries and the contact; the refusals and the card's text share
one wording (:func:`fmt_money`, :data:`PERIOD_WORDS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from feeds.customers.matching import same
from feeds.errors import SchemaError

PERIOD_WORDS = {
    "contact": "on this contact", "day": "today", "week": "this week", "month": "this month",
    "year": "this year",
}  # fmt: skip


def fmt_money(amount: float, currency: str) -> str:
    """``£20``, ``£12.50``, ``£1,200``: whole amounts without pence."""
    return f"{currency}{amount:,.0f}" if amount == int(amount) else f"{currency}{amount:,.2f}"


def parse_amount(field: str, text: str | None) -> float | None:
    """An amount as people type it (``20``, ``£12.50``, ``1,200``); None when blank."""
    text = (text or "").strip().lstrip("£$€").replace(",", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise SchemaError(field, "must be an amount, like 20 or 12.50") from None


def applies(rule: Mapping[str, Any], queue_id: str, team: str | None, segment: str | None) -> bool:
    """Whether a rule covers this contact: its queue, the agent's team, the customer's segment.
    A rule limited to some segments does not apply to a customer whose segment is unknown."""
    if rule["queues"] and queue_id not in rule["queues"]:
        return False
    if rule["teams"] and not (team and any(same(team, t) for t in rule["teams"])):
        return False
    return not rule["segments"] or bool(segment and any(same(segment, s) for s in rule["segments"]))


def period_start(period: str, ref: float, tz: tzinfo) -> float:
    """When the allowance's current period began, on the centre's calendar: local midnight,
    Monday, the 1st, the 1st of January (``contact`` periods count by contact, not by time)."""
    local = datetime.fromtimestamp(ref, tz)
    day = datetime(local.year, local.month, local.day, tzinfo=tz)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    elif period == "year":
        day = day.replace(month=1, day=1)
    return day.timestamp()


def _counted(
    rule_id: str, period: str, entries: Iterable[Mapping[str, Any]], contact_id: str,
    ref: float, tz: tzinfo,
) -> list[Mapping[str, Any]]:  # fmt: skip
    """What was given under this rule in its current period."""
    mine = [e for e in entries if e["type"] == "gave" and e.get("rule_id") == rule_id]
    if period == "contact":
        return [e for e in mine if e.get("contact_id") == contact_id]
    since = period_start(period, ref, tz)
    return [e for e in mine if e["at"] >= since]


@dataclass(frozen=True)
class Standing:
    """A rule as it stands for one customer now: what was used, and what may still be given."""

    id: str
    rule: Mapping[str, Any]
    used: float  # amount given in the period
    count: int  # grants in the period
    left: float | None  # the most the agent may give now on their own; None: no amount cap
    blocked: str  # why nothing more may be given now; "" when something may

    def text(self, currency: str) -> dict[str, str]:
        """The card's lines, short: what the rule allows, and what is used of it."""
        r, m = self.rule, lambda a: fmt_money(a, currency)
        period = PERIOD_WORDS[r["period"]]
        allows = []
        if r["limit"] is not None:
            more = "more: a supervisor" if r["over_limit"] == "supervisor" else "never more"
            allows.append(f"up to {m(r['limit'])} ({more})")
        used = []
        if r["allowance"] is not None:
            used.append(f"{m(self.used)} of {m(r['allowance'])}")
        if r["times"] is not None:
            used.append(f"{self.count} of {r['times']}")
        if used:
            used_text = f"{', '.join(used)} used {period}"
        else:
            used_text = f"{m(self.used) if self.used else 'none'} given {period}"
        return {"allows": "; ".join(allows), "used": used_text, "blocked": self.blocked}


def standing(
    rule_id: str, rule: Mapping[str, Any], entries: Iterable[Mapping[str, Any]], *,
    contact_id: str, ref: float, tz: tzinfo, currency: str,
) -> Standing:  # fmt: skip
    """Rule ``rule_id`` for this customer: what their ledger used of it in the current period."""
    given = _counted(rule_id, rule["period"], entries, contact_id, ref, tz)
    used = sum(e.get("amount") or 0.0 for e in given)
    caps = [c for c in (rule["limit"],) if c is not None]
    blocked = ""
    if rule["allowance"] is not None:
        caps.append(max(0.0, rule["allowance"] - used))
        if used >= rule["allowance"]:
            allowed = fmt_money(rule["allowance"], currency)
            blocked = f"the {allowed} allowed {PERIOD_WORDS[rule['period']]} is used"
    if rule["times"] is not None and len(given) >= rule["times"]:
        blocked = f"used {len(given)} of {rule['times']} {PERIOD_WORDS[rule['period']]}"
    return Standing(rule_id, rule, used, len(given), min(caps) if caps else None, blocked)


def standings(
    rules: Iterable[tuple[str, Mapping[str, Any]]], entries: Iterable[Mapping[str, Any]], *,
    queue_id: str, team: str | None, segment: str | None, contact_id: str, ref: float,
    tz: tzinfo, currency: str,
) -> list[Standing]:  # fmt: skip
    """The rules that apply to this contact, by title, each as it stands for the customer."""
    entries = list(entries)
    found = [
        standing(rid, r, entries, contact_id=contact_id, ref=ref, tz=tz, currency=currency)
        for rid, r in rules
        if applies(r, queue_id, team, segment)
    ]
    return sorted(found, key=lambda s: (s.rule["title"].casefold(), s.id))


@dataclass(frozen=True)
class Offer:
    """An affected customer's outage offer, and how it sits with the standing rules."""

    outage_id: str
    service: str
    text: str
    amount: float | None
    given: bool  # already given to this customer for this outage
    above: tuple[str, ...]  # standing credit rules whose limit it exceeds (the conflict)

    def note(self, currency: str) -> str:
        """What the card says of the conflict, or that it was given."""
        if self.given:
            return "already given for this outage"
        if self.above and self.amount is not None:
            return (
                f"{fmt_money(self.amount, currency)} is above your standing limit "
                f"({', '.join(self.above)}): approved for this outage"
            )
        return ""


def outage_offer(
    outage_id: str, outage: Mapping[str, Any], entries: Iterable[Mapping[str, Any]],
    stands: Iterable[Standing],
) -> Offer | None:  # fmt: skip
    """The offer of an outage that affects this customer; None when it offers nothing."""
    amount = outage.get("offer_amount")
    if not outage["offer"] and amount is None:
        return None
    given = any(e["type"] == "gave" and e.get("outage_id") == outage_id for e in entries)
    above = tuple(
        s.rule["title"]
        for s in stands
        if amount is not None
        and s.rule["action"] == "credit"
        and s.rule["limit"] is not None
        and amount > s.rule["limit"]
    )
    return Offer(outage_id, outage["service"], outage["offer"], amount, given, above)


def check_grant(
    amount: float | None, *, currency: str, stand: Standing | None = None,
    offer: Offer | None = None,
) -> None:  # fmt: skip
    """Refuse (:class:`SchemaError` on ``rule`` or ``amount``) a grant the agent may not make:
    under a standing rule (``stand``) or an outage's offer (``offer``)."""
    m = lambda a: fmt_money(a, currency)  # noqa: E731
    if amount is not None and amount <= 0:
        raise SchemaError("amount", "must be more than 0")
    if offer is not None:
        if offer.given:
            raise SchemaError("rule", "the outage offer was already given to this customer")
        if amount is not None and offer.amount is not None and amount > offer.amount:
            raise SchemaError("amount", f"the outage offer is {m(offer.amount)}")
        return
    if stand is None:
        raise SchemaError("rule", "no rule of yours covers this contact")
    if stand.blocked:
        raise SchemaError("rule", stand.blocked)
    r = stand.rule
    if amount is None:
        if r["limit"] is not None or r["allowance"] is not None:
            raise SchemaError("amount", "say how much")
        return
    if r["limit"] is not None and amount > r["limit"]:
        if r["over_limit"] == "supervisor":
            reason = f"{m(amount)} is above your limit of {m(r['limit'])}: ask a supervisor"
        else:
            reason = f"{m(amount)} is more than this rule ever allows ({m(r['limit'])})"
        raise SchemaError("amount", reason)
    if stand.left is not None and amount > stand.left:
        period = PERIOD_WORDS[r["period"]]
        raise SchemaError("amount", f"only {m(stand.left)} may still be given {period}")


def allowed(
    rules: Iterable[tuple[str, Mapping[str, Any]]], ledger: Iterable[Mapping[str, Any]],
    outages: Iterable[tuple[str, Mapping[str, Any]]], *, queue_id: str, team: str | None,
    segment: str | None, contact_id: str, ref: float, tz: tzinfo, currency: str,
) -> tuple[list[Standing], list[Offer]]:  # fmt: skip
    """Everything an agent may give on this contact: the standing rules that apply, and the
    offers of the outages that affect the customer (``outages``: those, already matched). The
    card shows it and the ledger checks each grant against it: one rule for both."""
    ledger = list(ledger)
    stands = standings(
        rules, ledger, queue_id=queue_id, team=team, segment=segment, contact_id=contact_id,
        ref=ref, tz=tz, currency=currency,
    )  # fmt: skip
    offers = [o for oid, od in outages if (o := outage_offer(oid, od, ledger, stands)) is not None]
    return stands, offers
