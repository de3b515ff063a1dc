"""Which callers an outage affects, and why: the card says why a caller was matched.

A power cut in the North East does not hit a Manchester customer who happens to call Billing,
and flagging every caller of a queue teaches agents to ignore the flag. So an outage may name
the regions (or postcode areas), the services and the customer segments it hits, and a caller
is affected when everything the outage names matches what we know of them: a region the outage
names (or their postcode area), a product among its services, a segment among its segments.
Where the customer is affected does not depend on where they called: an affected customer is
affected on any queue.

Matching by queue stays as the fallback, for outages that name none of these and for callers
we know too little about (no profile yet, or a profile without the field the outage names): an
unknown caller on an affected queue is flagged, and the card says it is a guess.

Pure functions of the outage's data, the contact's queue and the profile (``customer`` data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feeds.notices.outages import outage_touches

DIMENSIONS = ("regions", "services", "segments")  # the outage's fields naming who it affects


@dataclass(frozen=True)
class Match:
    """Why a caller is taken to be affected: ``by`` the customer's own details, or by ``queue``
    (the fallback); ``why`` is what the card says."""

    by: str
    why: str


def names(text: str | None) -> list[str]:
    """Names as people type a list of them: ``North East, Yorkshire`` (commas; blanks dropped)."""
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def same(a: str, b: str) -> bool:
    """Names compared as people mean them: case and spacing do not matter ("north  east")."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _theirs(dimension: str, profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the customer has for one dimension, as (value, how the card says it)."""
    if dimension == "regions":
        found = []
        if profile.get("region"):
            found.append((profile["region"], f"lives in {profile['region']}"))
        if profile.get("postcode_area"):
            area = profile["postcode_area"]
            found.append((area, f"postcode area {area}"))
        return found
    if dimension == "services":
        return [(p, f"has {p}") for p in profile.get("products", [])]
    segment = profile.get("segment")
    return [(segment, f"{segment} customer")] if segment else []


def outage_match(
    outage: Mapping[str, Any], queue_id: str, profile: Mapping[str, Any] | None
) -> Match | None:
    """Whether an active outage affects this caller, and why; None when it does not."""
    if outage["status"] == "resolved":
        return None
    named = {d: outage.get(d) or [] for d in DIMENSIONS}
    unknown = [d for d in DIMENSIONS if named[d]]
    if profile is not None and unknown:
        reasons = []
        for dimension in list(unknown):
            theirs = _theirs(dimension, profile)
            if not theirs:
                continue  # we do not know it: neither for nor against
            unknown.remove(dimension)
            names = named[dimension]
            hit = next((said for value, said in theirs if any(same(value, n) for n in names)), None)
            if hit is None:
                return None  # we know it, and it is not among what the outage names
            reasons.append(hit)
        if reasons:
            return Match("customer", "; ".join(reasons))
    if not outage_touches(outage, (queue_id,)):
        return None
    if unknown:
        gap = "no profile" if profile is None else f"their {', '.join(unknown)} not known"
        return Match("queue", f"calling an affected queue ({gap})")
    return Match("queue", "calling an affected queue" if outage["queues"] else "centre-wide")
