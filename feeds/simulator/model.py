"""The simulated centre's make-up: channels, customers, people, and their parameters.

Kept apart from the event loop in :mod:`feeds.simulator` so the numbers that make the demo
believable (handle times, patience, shrinkage, the intraday curve) can be read and tuned in one
place.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from feeds.config import Queue

SOURCE = "simulator"
WARMUP = 1800.0  # simulated before ``start`` so the floor is busy from the first second
ROSTER_EVERY = 900.0  # shifts start and end on the quarter hour
OUTAGE_AFTER = 60.0
OUTAGE_QUEUES = ("faults", "billing")  # what the scenario's outage floods, when configured
OUTAGE_SURGE = 1.6  # arrival multiplier on the affected queues once the outage starts
TARGET_OCCUPANCY = 0.9
SHRINKAGE = 0.13  # share of on-shift time spent away (breaks, lunch, coaching, training)
MAX_AWAY_SHARE = 0.15  # supervisors stagger breaks rather than empty the floor

# Arrival multiplier by local hour (linear in between), the shape of a utility's day: quiet
# nights (never dead: the demo runs at any hour), a morning ramp from 7, a first peak at 10,
# the lunch-hour peak at 12-13, a long afternoon and the evening fall from 17. The roster
# follows it too, as a centre schedules to its forecast.
INTRADAY = (
    0.3, 0.28, 0.26, 0.26, 0.26, 0.28, 0.34, 0.48, 0.7, 0.88, 0.94, 0.92,
    1.0, 0.9, 0.86, 0.8, 0.74, 0.62, 0.5, 0.42, 0.38, 0.35, 0.32, 0.3,
)  # fmt: skip

# Customers: a Zipf–Mandelbrot choice from a large pool, so most contacts are from different
# customers but some customers call again and again, as they do when something is wrong.
CUSTOMERS = 100_000
ZIPF_OFFSET = 50.0
TAGS = (("vip", 0.04), ("at-risk", 0.03))  # per customer, so a VIP is a VIP on every call
CALLBACK_DELAY = 240.0  # mean seconds before an abandoner tries again
# Callers who hang up within seconds when not answered at once (a wrong option, a change of
# mind): the short abandons that the service level and abandon rate leave out.
QUICK_HANG_UP = (0.06, (1.0, 8.0))

AWAY = {  # reason: (weight, minutes)
    "break": (0.7, (10.0, 15.0)),
    "coaching": (0.15, (15.0, 25.0)),
    "training": (0.15, (20.0, 40.0)),
}
LUNCH_HOURS = (11.5, 14.5)
LUNCH_MINUTES = (30.0, 35.0)
AWAY_GAP_MINUTES = (75.0, 130.0)  # working time between two spells away

FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Dev", "Eilidh", "Femi", "Grace", "Harry", "Imran", "Jess",
    "Kwame", "Lucy", "Mohammed", "Niamh", "Owen", "Priya", "Rhys", "Sophie", "Tom", "Usha",
    "Wei", "Zara", "Callum", "Hannah", "Jamal", "Megan", "Ravi", "Siobhan", "Liam", "Amara",
)  # fmt: skip
LAST_NAMES = (
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Murphy", "Nowak", "Okafor", "Patel", "Quinn", "Robinson",
    "Shah", "Thomas", "Walsh", "Wright", "Young", "Zhang", "Kaur", "Mensah", "Ward",
)  # fmt: skip


@dataclass(frozen=True)
class ChannelModel:
    """How contacts on one channel arrive, take time, lose patience and come back."""

    share: float  # of the centre's workload
    talk: float  # mean seconds, log-normal
    talk_cv: float
    hold_share: float  # of contacts that put the customer on hold
    hold: float  # mean seconds of hold when there is one
    wrap: tuple[float, float]  # uniform seconds
    ring: tuple[float, float]  # seconds from routing to answer
    patience: float | None  # mean seconds a customer waits; None: waits for as long as it takes
    callback: float  # share of abandoners who try again a few minutes later

    @property
    def aht(self) -> float:
        return self.talk + self.hold_share * self.hold + sum(self.wrap) / 2


CHANNELS = {
    "voice": ChannelModel(
        share=0.72, talk=240.0, talk_cv=0.6, hold_share=0.25, hold=60.0, wrap=(20.0, 60.0),
        ring=(2.0, 6.0), patience=120.0, callback=0.45,
    ),
    "chat": ChannelModel(
        share=0.16, talk=330.0, talk_cv=0.55, hold_share=0.0, hold=0.0, wrap=(20.0, 50.0),
        ring=(3.0, 10.0), patience=240.0, callback=0.3,
    ),
    "email": ChannelModel(
        share=0.12, talk=450.0, talk_cv=0.7, hold_share=0.0, hold=0.0, wrap=(20.0, 60.0),
        ring=(1.0, 3.0), patience=None, callback=0.0,
    ),
}  # fmt: skip


def channel_model(channel: str) -> ChannelModel:
    """A channel's model: voice, chat and email their own; any other configured channel (SMS,
    social, web forms...) is worked like email, a written contact that waits its turn."""
    return CHANNELS.get(channel, CHANNELS["email"])


@dataclass(eq=False)
class FloorAgent:
    id: str
    name: str
    team: str
    skills: list[str]
    state: str = "offline"
    since: float = 0.0
    reason: str | None = None
    contact: LiveContact | None = None
    login_at: float = 0.0
    next_away: float = math.inf
    away_pending: bool = False
    leaving: bool = False  # logs off when the current contact or break ends
    had_lunch: bool = False
    handled: int = 0
    handle_time: float = 0.0
    answered: int = 0
    answer_wait: float = 0.0

    def data(self) -> dict[str, Any]:
        """This agent as an ``agent`` item."""
        return {
            "name": self.name,
            "state": self.state,
            "since": round(self.since, 3),
            "reason": self.reason,
            "team": self.team,
            "skills": self.skills,
            "contact_id": self.contact.id if self.contact else None,
            "stats": {
                "handled": self.handled,
                "handle_time": round(self.handle_time, 1),
                "answered": self.answered,
                "answer_wait": round(self.answer_wait, 1),
            },
        }


@dataclass(eq=False)
class LiveContact:
    id: str
    queue: Queue
    customer_id: str
    tags: list[str]
    enqueued_at: float
    status: str = "waiting"  # waiting, ringing, answered, abandoned
    agent: FloorAgent | None = None
    answered_at: float = 0.0
    ended_at: float = 0.0
    talk: float = 0.0
    hold: float = 0.0
    wrap: float = 0.0
    reason: str | None = None  # why they call
    outcome: str | None = None  # what came of it, once completed

    def order_data(self) -> dict[str, Any]:
        """What the routing rules order by (:mod:`feeds.routing`)."""
        return {"queue": self.queue.id, "enqueued_at": self.enqueued_at}

    def data(self, event: str) -> dict[str, Any]:
        """This contact as a ``contact`` item at ``event`` (``offered`` naming the agent while it
        rings at them)."""
        data: dict[str, Any] = {
            "event": event,
            "queue": self.queue.id,
            "channel": self.queue.channel,
            "customer_id": self.customer_id,
            "enqueued_at": round(self.enqueued_at, 3),
            "tags": self.tags,
            "reason": self.reason,
        }
        if event == "offered" and self.status == "ringing" and self.agent is not None:
            data["agent_id"] = self.agent.id
        if event in ("answered", "completed") and self.agent is not None:
            data["answered_at"] = round(self.answered_at, 3)
            data["agent_id"] = self.agent.id
        if event in ("abandoned", "completed"):
            data["ended_at"] = round(self.ended_at, 3)
        if event == "completed":
            data.update(talk=self.talk, hold=self.hold, wrap=self.wrap, outcome=self.outcome)
        return data


def profile(hour: float) -> float:
    """The arrival multiplier at a local hour of the day (0-24, fractional)."""
    i = int(hour) % 24
    return INTRADAY[i] + (INTRADAY[(i + 1) % 24] - INTRADAY[i]) * (hour - int(hour))


def peak_rates(queues: list[Queue], agents: int) -> dict[str, float]:
    """Arrivals per second per queue at the intraday peak, sized to the headcount.

    The load in Erlangs is what the staffed agents can carry at the target occupancy; each
    channel takes its share and its queues split it unevenly (the first is the busiest).
    """
    channels = list(dict.fromkeys(q.channel for q in queues))
    total_share = sum(channel_model(c).share for c in channels)
    load = TARGET_OCCUPANCY * (1 - SHRINKAGE) * agents
    rates: dict[str, float] = {}
    for channel in channels:
        model = channel_model(channel)
        mine = [q for q in queues if q.channel == channel]
        weights = [1 / (1 + 0.35 * i) for i in range(len(mine))]
        for queue, weight in zip(mine, weights, strict=True):
            erlangs = load * model.share / total_share * weight / sum(weights)
            rates[queue.id] = erlangs / model.aht
    return rates


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """Log-normal with the given mean: durations are skewed, with a long tail of hard cases."""
    sigma2 = math.log1p(cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def account_number(index: int) -> str:
    """A stable, scattered account number, so the busiest customers are not AC00000001."""
    return f"AC{10_000_000 + index * 2_654_435_761 % 90_000_000}"


def outage_data(now: float, tz: tzinfo, queues: list[str]) -> dict[str, Any]:
    """The scenario's outage: a power cut, worded as a real centre would brief its agents."""
    eta = math.ceil((now + 3 * 3600) / 900) * 900  # engineers quote the quarter hour
    back_by = datetime.fromtimestamp(eta, tz).strftime("%H:%M")
    return {
        "service": "Power network — North East",
        "severity": "major",
        "status": "investigating",
        "customer_wording": (
            "We know about a power cut affecting homes in parts of the North East. "
            f"Our engineers are on site and we expect power back by {back_by}. "
            "We're sorry for the disruption."
        ),
        "internal_note": "Substation fault at Gateshead, about 14,000 homes affected.",
        "workaround": (
            "Live updates on the power cut map at northwind.example/powercut. "
            "Customers relying on medical equipment: transfer to the priority line."
        ),
        "eta": eta,
        "queues": queues,
        "offer": "£25 goodwill credit for the power cut",
        "offer_amount": 25.0,
        "regions": ["North East"],
        "services": ["Electricity"],
        "started_at": round(now, 3),
    }
