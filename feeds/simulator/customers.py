"""The simulated centre's customers: who they are, what they have, and why they call.

An energy retailer's customers, believable enough to greet by name: a title and a name, a
tariff (segment), a region with its postcode area, the products they have, open cases for the
customers who keep calling (their reason is why they call again), and callbacks promised to
some of them, a few of which were missed. Each profile is a function of the seed and the
customer's index alone, so a customer is the same person on every contact and in every run.
"""

from __future__ import annotations

import random
from datetime import datetime, tzinfo
from typing import Any

from feeds.simulator.model import LAST_NAMES

WOMEN = ("Aisha", "Chloe", "Eilidh", "Grace", "Jess", "Lucy", "Niamh", "Priya", "Sophie", "Usha",
         "Zara", "Hannah", "Megan", "Siobhan", "Amara", "Margaret", "Joan", "Fatima")  # fmt: skip
MEN = ("Ben", "Dev", "Femi", "Harry", "Imran", "Kwame", "Mohammed", "Owen", "Rhys", "Tom", "Wei",
       "Callum", "Jamal", "Ravi", "Liam", "Gordon", "Arthur", "Kenneth")  # fmt: skip
TITLES = {WOMEN: (("Mrs", 0.45), ("Ms", 0.4), ("Miss", 0.1), ("Dr", 0.05)),
          MEN: (("Mr", 0.95), ("Dr", 0.05))}  # fmt: skip
SEGMENTS = (("Standard tariff", 0.55), ("Fixed saver", 0.2), ("Prepayment", 0.1),
            ("Business", 0.08), ("Priority services", 0.07))  # fmt: skip
REGIONS = (
    ("North East", ("NE", "DH", "SR", "TS"), 0.16), ("Yorkshire", ("LS", "YO", "HU", "S"), 0.13),
    ("North West", ("M", "L", "PR", "CA"), 0.15), ("Midlands", ("B", "NG", "LE", "CV"), 0.15),
    ("London", ("E", "N", "SE", "SW"), 0.13), ("South West", ("BS", "EX", "PL", "TR"), 0.1),
    ("Scotland", ("EH", "G", "AB", "DD"), 0.11), ("Wales", ("CF", "SA", "LL"), 0.07),
)  # fmt: skip
AFFECTED_REGION = "North East"  # where the demo's power cut is
PRODUCTS = (("Electricity", 0.92), ("Gas", 0.64), ("Smart meter", 0.45), ("Broadband", 0.18),
            ("Boiler cover", 0.14))  # fmt: skip
REASONS = {  # why people call each queue (by the queue ids of the example config)
    "billing": ("billing dispute", "payment plan", "high bill", "refund request",
                "late payment fee", "direct debit change"),
    "faults": ("power cut", "no gas supply", "smart meter fault", "meter not reading"),
    "moving": ("moving home", "final bill", "change of tenancy"),
    "chat": ("meter reading", "tariff question", "billing dispute", "account login"),
    "email": ("complaint", "refund request", "meter reading"),
}  # fmt: skip
OTHER_REASONS = ("account question",)
OUTCOMES = (("resolved", 0.55), ("callback promised", 0.14), ("case opened", 0.1),
            ("escalated to the billing team", 0.07), ("credit applied", 0.07),
            ("engineer booked", 0.07))  # fmt: skip
FREQUENT = 400  # the busiest customers (the Zipf head) often have a case open: why they call
CASE_REASONS = ("billing dispute", "refund request", "smart meter fault", "high bill",
                "payment plan", "final bill")  # fmt: skip


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(weighted, [w[-1] for w in weighted])[0]


def _daytime(rng: random.Random, now: float, days: int, tz: tzinfo) -> float:
    """A time in working hours ``days`` after ``now``'s day: when a case is due or a call back
    was promised."""
    day = datetime.fromtimestamp(now, tz).date().toordinal() + days
    at = datetime.fromordinal(day).replace(hour=rng.randint(9, 17), minute=rng.choice((0, 30)))
    return at.replace(tzinfo=tz).timestamp()


def profile(seed: int, index: int, now: float, tz: tzinfo) -> dict[str, Any]:
    """Customer ``index``'s profile (``customer`` data) as of ``now``."""
    rng = random.Random(f"{seed}:customer:{index}")
    names = WOMEN if rng.random() < 0.5 else MEN
    first, last = rng.choice(names), rng.choice(LAST_NAMES)
    title = _pick(rng, TITLES[names])[0]
    region, areas, _ = _pick(rng, REGIONS)
    products = [p for p, share in PRODUCTS if rng.random() < share] or ["Electricity"]
    data: dict[str, Any] = {
        "name": f"{first} {last}",
        "preferred_name": f"{title} {last}" if rng.random() < 0.6 else first,
        "segment": _pick(rng, SEGMENTS)[0],
        "region": region,
        "postcode_area": rng.choice(areas),
        "products": products,
        "consent": {"marketing": rng.random() < 0.4, "recording": rng.random() < 0.97},
        "cases": [],
        "callbacks": [],
    }
    if rng.random() < (0.6 if index < FREQUENT else 0.05):
        case_id = f"C-{1000 + (index * 7919 + seed) % 9000}"
        opened = now - rng.uniform(1, 12) * 86400
        data["cases"].append({
            "id": case_id, "reason": rng.choice(CASE_REASONS), "status": "open",
            "priority": rng.choices(("normal", "high", "urgent"), (0.6, 0.3, 0.1))[0],
            "opened_at": round(opened), "eta": _daytime(rng, now, rng.randint(-1, 3), tz),
        })  # fmt: skip
        if rng.random() < 0.5:  # a call back was promised: yesterday (and missed), or to come
            due = _daytime(rng, now, rng.choice((-1, -1, 0, 1)), tz)
            data["callbacks"].append({"due": due, "case_id": case_id})
    return data


def reason(rng: random.Random, queue_id: str, customer: dict[str, Any]) -> str:
    """Why this customer calls this queue now: mostly their open case, if they have one."""
    cases = [c for c in customer["cases"] if c["status"] != "closed"]
    if cases and rng.random() < 0.7:
        return cases[0]["reason"]
    return rng.choice(REASONS.get(queue_id, OTHER_REASONS))


def outcome(rng: random.Random) -> str:
    return _pick(rng, OUTCOMES)[0]


# The demo's standing authority rules (``floorboard rule seed-demo``, run by ``floorboard demo``):
# what a retailer's agents typically may give without asking.
DEMO_RULES = (
    {"title": "Goodwill credit", "action": "credit", "limit": 20, "allowance": 30,
     "period": "day",
     "wording": "I've added a goodwill credit to your account; you'll see it on your next bill."},
    {"title": "Waive a late-payment fee", "action": "waiver", "times": 1, "period": "year",
     "queues": ["billing", "email"],
     "wording": "I've taken the late-payment fee off your account."},
    {"title": "Refund an overpayment", "action": "refund", "limit": 50, "period": "day",
     "queues": ["billing", "email", "moving"],
     "wording": "The refund will be back in your bank account within 5 working days."},
    {"title": "Priority services goodwill", "action": "credit", "limit": 40, "allowance": 40,
     "period": "month", "segments": ["Priority services"],
     "wording": "I've added a credit for the trouble, and flagged your account for priority."},
    {"title": "Payment holiday", "action": "other", "times": 1, "period": "year",
     "teams": ["North", "South"], "queues": ["billing"],
     "wording": "We can pause your payments for up to 30 days while you get back on track."},
)  # fmt: skip
