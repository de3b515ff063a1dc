"""A believable contact centre for the demo, the tests and load runs.

A wallboard's numbers are related: a queue builds when agents go on break, abandons follow long
waits and come back minutes later as repeat contacts, an outage floods two queues at once. A
demo or a test only convinces if those relations hold, so this is a small discrete-event
simulation (a heap of timed events, one seeded random generator, no wall clock) rather than
random numbers. The same seed and start always give the same envelopes.

Workload is sized from the headcount, so any config and any number of agents runs busy, and the
roster follows the same intraday curve as the arrivals, as a real centre schedules to its
forecast: a demo at 3 a.m. is as lively as one at 10 a.m., only with fewer people on the floor.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import redis

from feeds.aggregator import Aggregator
from feeds.bus import Bus
from feeds.config import Config, Queue
from feeds.schema import Envelope, make_envelope

log = logging.getLogger(__name__)

SOURCE = "simulator"
HEARTBEAT_EVERY = 5.0  # real seconds
WARMUP = 1800.0  # simulated before ``start`` so the floor is busy from the first second
ROSTER_EVERY = 900.0  # shifts start and end on the quarter hour
OUTAGE_AFTER = 60.0
OUTAGE_SURGE = 1.6  # arrival multiplier on the affected queues once the outage starts
TARGET_OCCUPANCY = 0.9
SHRINKAGE = 0.13  # share of on-shift time spent away (breaks, lunch, coaching, training)
MAX_AWAY_SHARE = 0.15  # supervisors stagger breaks rather than empty the floor
MAX_PENDING = 50_000  # envelopes kept for retry while Redis is unreachable
BACKFILL = 6 * 3600.0  # of the centre's day played at start, so today's totals are believable
BACKFILL_BATCH = 2000

# Arrival multiplier by local hour (linear in between): peaks mid-morning and early afternoon,
# never below half so the board is never dead. The roster follows it too.
INTRADAY = (
    0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.55, 0.65, 0.8, 0.95, 1.0, 0.95,
    0.8, 0.85, 0.95, 0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.5,
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


@dataclass(eq=False)
class _Agent:
    id: str
    name: str
    team: str
    skills: list[str]
    state: str = "offline"
    since: float = 0.0
    reason: str | None = None
    contact: _Contact | None = None
    login_at: float = 0.0
    next_away: float = math.inf
    away_pending: bool = False
    leaving: bool = False  # logs off when the current contact or break ends
    had_lunch: bool = False
    handled: int = 0
    handle_time: float = 0.0
    answered: int = 0
    answer_wait: float = 0.0


@dataclass(eq=False)
class _Contact:
    id: str
    queue: Queue
    customer_id: str
    tags: list[str]
    enqueued_at: float
    status: str = "waiting"  # waiting, ringing, answered, abandoned
    agent: _Agent | None = None
    answered_at: float = 0.0
    ended_at: float = 0.0
    talk: float = 0.0
    hold: float = 0.0
    wrap: float = 0.0


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """Log-normal with the given mean: durations are skewed, with a long tail of hard cases."""
    sigma2 = math.log1p(cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def _account(index: int) -> str:
    """A stable, scattered account number, so the busiest customers are not AC00000001."""
    return f"AC{10_000_000 + index * 2_654_435_761 % 90_000_000}"


class Simulation:
    """A contact centre that advances in simulated time and reports what happened.

    ``start`` is when reporting begins (epoch seconds); the centre has already been running
    for a warm-up half hour by then, so the first envelopes show a working floor, not an empty
    one filling up.
    """

    def __init__(
        self,
        config: Config,
        *,
        seed: int = 1,
        start: float,
        agents: int = 24,
        outage: bool = False,
        outage_after: float = OUTAGE_AFTER,
    ) -> None:
        if agents < 1:
            raise ValueError("agents must be at least 1")
        self.config = config
        self.start = start
        self.now = start - WARMUP
        self._tz = config.tz
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._contact_ids = itertools.count(1)
        self._out: list[Envelope] | None = None  # None while warming up: nothing is reported
        self._live: dict[str, _Contact] = {}
        self._waiting: dict[str, deque[_Contact]] = {q.id: deque() for q in config.queues}
        self._tags: dict[int, list[str]] = {}
        self._rates = self._peak_rates(agents)
        self._surge_queues = [q for q in ("faults", "billing") if outage and config.queue(q)]
        self._surge_since = math.inf
        self._agents = self._hire(agents)
        self._teams: dict[str, list[_Agent]] = {}
        for agent in self._agents:
            self._teams.setdefault(agent.team, []).append(agent)
        self._staff()
        for queue in config.queues:
            self._at(self.now + self._rng.expovariate(self._max_rate(queue)), self._arrival, queue)
        self._at(self.now + ROSTER_EVERY, self._roster)
        self._at(self._next_midnight(self.now), self._midnight)
        if outage:
            self._at(start + outage_after, self._declare_outage)
        self._process(math.nextafter(start, -math.inf))
        self._snapshot_due = True

    # -- the public clock -------------------------------------------------------------------

    def advance(self, until: float) -> list[Envelope]:
        """Run to ``until`` and return what happened since the last call, in time order.

        The first call at or after ``start`` begins with the state of the floor at ``start``
        (every agent, every contact in progress) so a consumer starting from nothing is whole.
        """
        self._out = out = []
        if self._snapshot_due and until >= self.start:
            self._snapshot_due = False
            self.now = self.start
            for agent in self._agents:
                self._emit_agent(agent)
            for contact in self._live.values():
                self._emit_contact(
                    contact, "answered" if contact.status == "answered" else "offered"
                )
        self._process(until)
        self._out = None
        return out

    def _process(self, until: float) -> None:
        while self._heap and self._heap[0][0] <= until:
            self.now, _, action = heapq.heappop(self._heap)
            action()

    def _at(self, t: float, handler: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._heap, (t, next(self._order), partial(handler, *args)))

    # -- setting up -------------------------------------------------------------------------

    def _peak_rates(self, agents: int) -> dict[str, float]:
        """Arrivals per second per queue at the intraday peak, sized to the headcount.

        The load in Erlangs is what the staffed agents can carry at the target occupancy; each
        channel takes its share and its queues split it unevenly (the first is the busiest).
        """
        channels = list(dict.fromkeys(q.channel for q in self.config.queues))
        total_share = sum(CHANNELS[c].share for c in channels)
        load = TARGET_OCCUPANCY * (1 - SHRINKAGE) * agents
        rates: dict[str, float] = {}
        for channel in channels:
            model = CHANNELS[channel]
            queues = [q for q in self.config.queues if q.channel == channel]
            weights = [1 / (1 + 0.35 * i) for i in range(len(queues))]
            for queue, weight in zip(queues, weights, strict=True):
                erlangs = load * model.share / total_share * weight / sum(weights)
                rates[queue.id] = erlangs / model.aht
        return rates

    def _hire(self, count: int) -> list[_Agent]:
        """Voice teams North and South on 2–3 voice queues each (some blended onto chat) and a
        Digital team on chat and email, sized to each side's share of the workload."""
        queues = self.config.queues
        voice = [q.id for q in queues if q.channel == "voice"]
        digital = [q.id for q in queues if q.channel != "voice"]
        chat = [q.id for q in queues if q.channel == "chat"]
        digital_share = sum(CHANNELS[q.channel].share for q in queues if q.channel != "voice")
        digital_share /= sum(CHANNELS[q.channel].share for q in queues)
        n_digital = count if not voice else min(count - 1, round(count * digital_share))
        if digital:
            n_digital = max(1, n_digital)
        roles = ["digital"] * n_digital + ["voice"] * (count - n_digital)
        self._rng.shuffle(roles)
        firsts = self._rng.sample(FIRST_NAMES, len(FIRST_NAMES))
        lasts = self._rng.sample(LAST_NAMES, len(LAST_NAMES))
        hired: list[_Agent] = []
        n_voice = 0
        for i, role in enumerate(roles):
            name = f"{firsts[i % len(firsts)]} {lasts[(i + i // len(firsts)) % len(lasts)]}"
            if role == "digital":
                team, skills = "Digital", list(digital)
            else:
                team = ("North", "South")[n_voice % 2]
                size = 3 if self._rng.random() < 0.35 else 2
                picked = {voice[(n_voice + j) % len(voice)] for j in range(size)}
                skills = [q for q in voice if q in picked]
                if n_voice % 3 == 2:
                    skills += chat
                n_voice += 1
            hired.append(_Agent(f"a{i + 1:02d}", name, team, skills))
        return hired

    def _staff(self) -> None:
        """Put each team's rostered share on the floor at the start of the warm-up."""
        for members in self._teams.values():
            on_shift = self._rng.sample(members, self._target(len(members)))
            for agent in members:
                if agent in on_shift:
                    agent.state = "available"
                    agent.since = self.now - self._rng.uniform(0, 300)
                    agent.login_at = agent.since - self._rng.uniform(0, 4 * 3600)
                    self._plan_away(agent, self.now - self._rng.uniform(0, 60 * 60))
                else:
                    agent.since = self.now - self._rng.uniform(3600, 8 * 3600)

    # -- time of day ------------------------------------------------------------------------

    def _local_hour(self, t: float) -> float:
        local = datetime.fromtimestamp(t, self._tz)
        return local.hour + local.minute / 60 + local.second / 3600

    def _profile(self, t: float) -> float:
        hour = self._local_hour(t)
        i = int(hour)
        return INTRADAY[i] + (INTRADAY[(i + 1) % 24] - INTRADAY[i]) * (hour - i)

    def _target(self, team_size: int) -> int:
        return max(1, round(team_size * self._profile(self.now)))

    def _next_midnight(self, t: float) -> float:
        day = datetime.fromtimestamp(t, self._tz).date() + timedelta(days=1)
        return datetime(day.year, day.month, day.day, tzinfo=self._tz).timestamp()

    # -- contacts ---------------------------------------------------------------------------

    def _max_rate(self, queue: Queue) -> float:
        surge = OUTAGE_SURGE if queue.id in self._surge_queues else 1.0
        return self._rates[queue.id] * max(INTRADAY) * surge

    def _rate(self, queue: Queue) -> float:
        surging = queue.id in self._surge_queues and self.now >= self._surge_since
        return self._rates[queue.id] * self._profile(self.now) * (OUTAGE_SURGE if surging else 1.0)

    def _arrival(self, queue: Queue) -> None:
        """Poisson arrivals with a time-varying rate, by thinning a constant-rate stream."""
        peak = self._max_rate(queue)
        if self._rng.random() * peak < self._rate(queue):
            u = self._rng.random()
            index = int(ZIPF_OFFSET * ((CUSTOMERS + ZIPF_OFFSET) / ZIPF_OFFSET) ** u - ZIPF_OFFSET)
            index = min(index, CUSTOMERS - 1)
            if index not in self._tags:
                self._tags[index] = [tag for tag, share in TAGS if self._rng.random() < share]
            self._enqueue(queue, _account(index), self._tags[index])
        self._at(self.now + self._rng.expovariate(peak), self._arrival, queue)

    def _enqueue(self, queue: Queue, customer_id: str, tags: list[str]) -> None:
        contact = _Contact(
            f"c{next(self._contact_ids):06d}", queue, customer_id, list(tags), self.now
        )
        self._live[contact.id] = contact
        self._emit_contact(contact, "offered")
        idle = [a for a in self._agents if a.state == "available" and queue.id in a.skills]
        if idle:
            self._route(contact, min(idle, key=lambda a: a.since))  # the longest idle
            return
        self._waiting[queue.id].append(contact)
        patience = CHANNELS[queue.channel].patience
        if patience is None:
            return
        share, seconds = QUICK_HANG_UP
        if self._rng.random() < share:
            patience = self._rng.uniform(*seconds)
        else:
            patience = _lognormal(self._rng, patience, 1.0)
        self._at(self.now + patience, self._abandon, contact)

    def _route(self, contact: _Contact, agent: _Agent) -> None:
        contact.status = "ringing"
        contact.agent = agent
        agent.contact = contact
        self._set_state(agent, "on_contact")
        ring = self._rng.uniform(*CHANNELS[contact.queue.channel].ring)
        self._at(self.now + ring, self._answer, contact)

    def _answer(self, contact: _Contact) -> None:
        model = CHANNELS[contact.queue.channel]
        contact.status = "answered"
        contact.answered_at = self.now
        contact.agent.answered += 1
        contact.agent.answer_wait += self.now - contact.enqueued_at
        self._emit_contact(contact, "answered")
        contact.talk = round(_lognormal(self._rng, model.talk, model.talk_cv), 1)
        if self._rng.random() < model.hold_share:
            contact.hold = round(_lognormal(self._rng, model.hold, 0.8), 1)
        contact.wrap = round(self._rng.uniform(*model.wrap), 1)
        self._at(self.now + contact.talk + contact.hold, self._hang_up, contact)

    def _hang_up(self, contact: _Contact) -> None:
        contact.ended_at = self.now
        self._set_state(contact.agent, "wrap")
        self._at(self.now + contact.wrap, self._complete, contact)

    def _complete(self, contact: _Contact) -> None:
        agent = contact.agent
        agent.handled += 1
        agent.handle_time += contact.talk + contact.hold + contact.wrap
        agent.contact = None
        del self._live[contact.id]
        self._emit_contact(contact, "completed")
        self._free(agent)

    def _abandon(self, contact: _Contact) -> None:
        if contact.status != "waiting":
            return
        contact.status = "abandoned"
        contact.ended_at = self.now
        del self._live[contact.id]
        self._emit_contact(contact, "abandoned")
        if self._rng.random() < CHANNELS[contact.queue.channel].callback:
            again = self.now + _lognormal(self._rng, CALLBACK_DELAY, 0.5)
            self._at(again, self._enqueue, contact.queue, contact.customer_id, contact.tags)

    def _most_overdue(self, agent: _Agent) -> _Contact | None:
        """The waiting contact, among the agent's skills, furthest past its queue's threshold.

        Measured against each queue's service-level threshold rather than in plain seconds, so
        a four-hour email target does not starve a one-minute chat of agents.
        """
        best: _Contact | None = None
        best_score = -1.0
        for queue_id in agent.skills:
            waiting = self._waiting[queue_id]
            while waiting and waiting[0].status != "waiting":
                waiting.popleft()  # abandoned: dropped lazily
            if waiting:
                head = waiting[0]
                score = (self.now - head.enqueued_at) / head.queue.sl_threshold
                if score > best_score:
                    best, best_score = head, score
        if best is not None:
            self._waiting[best.queue.id].popleft()
        return best

    # -- agents -----------------------------------------------------------------------------

    def _free(self, agent: _Agent) -> None:
        """The agent has nothing to do: log off, take a due break, or take the next contact."""
        if agent.leaving:
            agent.leaving = False
            self._set_state(agent, "offline")
        elif agent.away_pending and self._may_go_away():
            self._go_away(agent)
        elif contact := self._most_overdue(agent):
            self._route(contact, agent)
        else:
            self._set_state(agent, "available")

    def _may_go_away(self) -> bool:
        on_shift = sum(a.state != "offline" for a in self._agents)
        away = sum(a.state == "away" for a in self._agents)
        return away < max(1, round(MAX_AWAY_SHARE * on_shift))

    def _plan_away(self, agent: _Agent, after: float) -> None:
        agent.next_away = after + self._rng.uniform(*AWAY_GAP_MINUTES) * 60
        self._at(agent.next_away, self._away_due, agent)

    def _away_due(self, agent: _Agent) -> None:
        if agent.state == "offline" or self.now != agent.next_away:
            return  # planned in an earlier shift
        if agent.state != "available":
            agent.away_pending = True  # after this contact
        elif self._may_go_away():
            self._go_away(agent)
        else:
            agent.next_away = self.now + 300
            self._at(agent.next_away, self._away_due, agent)

    def _go_away(self, agent: _Agent) -> None:
        agent.away_pending = False
        hour = self._local_hour(self.now)
        if not agent.had_lunch and LUNCH_HOURS[0] <= hour < LUNCH_HOURS[1]:
            agent.had_lunch = True
            reason, minutes = "lunch", LUNCH_MINUTES
        else:
            reason = self._rng.choices(list(AWAY), [w for w, _ in AWAY.values()])[0]
            minutes = AWAY[reason][1]
        back = self.now + self._rng.uniform(*minutes) * 60
        self._set_state(agent, "away", reason)
        self._at(back, self._free, agent)
        self._plan_away(agent, back)

    def _roster(self) -> None:
        """Log agents in and out so each team follows the intraday curve; those on longest go
        first, and nobody is cut off mid-contact or mid-break."""
        for members in self._teams.values():
            target = self._target(len(members))
            on = [a for a in members if a.state != "offline" and not a.leaving]
            if len(on) < target:
                staying = [a for a in members if a.leaving]
                offline = sorted(
                    (a for a in members if a.state == "offline"), key=lambda a: a.since
                )
                for agent in (staying + offline)[: target - len(on)]:
                    if agent.leaving:
                        agent.leaving = False
                    else:
                        self._log_in(agent)
            for agent in sorted(on, key=lambda a: a.login_at)[: max(0, len(on) - target)]:
                if agent.state == "available":
                    self._set_state(agent, "offline")
                else:
                    agent.leaving = True
        self._at(self.now + ROSTER_EVERY, self._roster)

    def _log_in(self, agent: _Agent) -> None:
        agent.login_at = self.now
        agent.had_lunch = False
        agent.away_pending = False
        self._plan_away(agent, self.now)
        self._free(agent)

    def _midnight(self) -> None:
        """Agents' own stats are "today"; the centre's day starts at local midnight."""
        for agent in self._agents:
            agent.handled, agent.handle_time, agent.answered, agent.answer_wait = 0, 0.0, 0, 0.0
            self._emit_agent(agent)
        self._at(self._next_midnight(self.now), self._midnight)

    def _set_state(self, agent: _Agent, state: str, reason: str | None = None) -> None:
        agent.state, agent.reason, agent.since = state, reason, self.now
        self._emit_agent(agent)

    # -- the outage scenario ----------------------------------------------------------------

    def _declare_outage(self) -> None:
        self._surge_since = self.now
        eta = math.ceil((self.now + 3 * 3600) / 900) * 900  # engineers quote the quarter hour
        back_by = datetime.fromtimestamp(eta, self._tz).strftime("%H:%M")
        self._emit(
            "outage",
            "out-1",
            {
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
                "queues": self._surge_queues,
                "offer": "Goodwill credit up to £20",
                "started_at": round(self.now, 3),
            },
        )

    # -- reporting --------------------------------------------------------------------------

    def _emit(self, kind: str, id: str, data: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.append(make_envelope(kind, id, data, ts=round(self.now, 3), source=SOURCE))

    def _emit_agent(self, agent: _Agent) -> None:
        self._emit(
            "agent",
            agent.id,
            {
                "name": agent.name,
                "state": agent.state,
                "since": round(agent.since, 3),
                "reason": agent.reason,
                "team": agent.team,
                "skills": agent.skills,
                "contact_id": agent.contact.id if agent.contact else None,
                "stats": {
                    "handled": agent.handled,
                    "handle_time": round(agent.handle_time, 1),
                    "answered": agent.answered,
                    "answer_wait": round(agent.answer_wait, 1),
                },
            },
        )

    def _emit_contact(self, contact: _Contact, event: str) -> None:
        data: dict[str, Any] = {
            "event": event,
            "queue": contact.queue.id,
            "channel": contact.queue.channel,
            "customer_id": contact.customer_id,
            "enqueued_at": round(contact.enqueued_at, 3),
            "tags": contact.tags,
        }
        if event in ("answered", "completed"):
            data["answered_at"] = round(contact.answered_at, 3)
            data["agent_id"] = contact.agent.id
        if event in ("abandoned", "completed"):
            data["ended_at"] = round(contact.ended_at, 3)
        if event == "completed":
            data.update(talk=contact.talk, hold=contact.hold, wrap=contact.wrap)
        self._emit("contact", contact.id, data)


def day_start(ts: float, config: Config) -> float:
    """Local midnight of the centre's day containing ``ts``."""
    local = datetime.fromtimestamp(ts, config.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def run(
    bus: Bus,
    config: Config,
    *,
    seed: int = 1,
    speed: float = 1.0,
    outage: bool = False,
    agents: int = 24,
    stop: threading.Event,
    tick: float = 0.25,
    stats_every: float = 1.0,
    clock: Callable[[], float] = time.time,
) -> None:
    """Play the simulation onto the bus in real time (times ``speed``) until ``stop`` is set.

    It first plays up to six hours of the centre's day so far (not before local midnight), so
    the day's totals, the contact history and the agents' stats look like a real afternoon;
    the outage scenario still starts a minute after launch.

    Queue statistics come from an :class:`Aggregator` fed with the same events, as they would
    for a real ACD that only sends raw events. A Redis failure never ends the run: the events
    are kept and published on a later tick, so the board catches up once Redis is back.
    """
    began = clock()
    history_from = max(began - BACKFILL, day_start(began, config))
    sim = Simulation(
        config, seed=seed, start=history_from, agents=agents, outage=outage,
        outage_after=began - history_from + OUTAGE_AFTER,
    )  # fmt: skip
    aggregator = Aggregator(config)
    pending = sim.advance(began)  # today so far, published on the first tick
    for env in pending:
        aggregator.apply(env)
    last_stats = last_beat = -math.inf
    failing, dropped = False, 0
    log.info("simulating %d agents on %d queues at speed %g", agents, len(config.queues), speed)
    while True:
        real = clock()
        now = began + (real - began) * speed
        events = sim.advance(now)
        for env in events:
            aggregator.apply(env)
        pending.extend(events)
        if len(pending) > MAX_PENDING:
            dropped += len(pending) - MAX_PENDING
            del pending[: len(pending) - MAX_PENDING]
        batch = list(pending)
        stats_due = real - last_stats >= stats_every
        beat_due = real - last_beat >= HEARTBEAT_EVERY
        if stats_due:
            batch += aggregator.envelopes(now)
        if beat_due:  # liveness is about the wall clock, whatever the simulation speed
            beat = {"interval": HEARTBEAT_EVERY}
            batch.append(make_envelope("heartbeat", SOURCE, beat, ts=real, source=SOURCE))
        try:
            for i in range(0, len(batch), BACKFILL_BATCH):
                bus.publish_many(batch[i : i + BACKFILL_BATCH])
        except redis.RedisError as exc:
            if not failing:
                log.warning("publishing failed, retrying every tick: %s", exc)
            failing = True
        else:
            if failing:
                log.warning("publishing again; %d events dropped while Redis was down", dropped)
            failing, dropped = False, 0
            pending.clear()
            if stats_due:
                last_stats = real
            if beat_due:
                last_beat = real
        if stop.wait(tick):
            return
