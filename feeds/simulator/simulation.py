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
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from feeds import routing as routing_rules
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config, Queue
from feeds.simulator import customers as people
from feeds.simulator import model as cm
from feeds.simulator.model import FloorAgent, LiveContact, account_number, lognormal, outage_data
from feeds.simulator.workforce import Workforce

log = logging.getLogger(__name__)

# How a freed agent picks the next waiting contact among the queues they have the skill for:
# "overdue", the one furthest past its queue's service-level threshold (the demo's default);
# "blended", the one that arrived first, whatever its channel; "queue_priority", the first
# waiting in the highest-ranked queue (voice, chat, then email). The rules: feeds.routing.
ROUTINGS = routing_rules.ROUTINGS


class Simulation(Workforce):
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
        outage_after: float = cm.OUTAGE_AFTER,
        featured: str | None = None,
        routing: str | None = None,
    ) -> None:
        """``featured``: an agent kept on the floor and first in line for contacts on the
        queues an outage floods (the demo's suggested agent, so their card shows at once).
        ``routing``: which waiting contact a freed agent takes (:data:`ROUTINGS`; None: the
        config's ``[routing] rule``)."""
        if agents < 1:
            raise ValueError("agents must be at least 1")
        self.routing = routing or config.routing.rule
        self._router = routing_rules.Router.of(self.routing, config.queues)
        self.config = config
        self.start = start
        self.now = start - cm.WARMUP
        self._tz = config.tz
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._contact_ids = itertools.count(1)
        self._out: list[Envelope] | None = None  # None while warming up: nothing is reported
        self._live: dict[str, LiveContact] = {}
        self._waiting: dict[str, deque[LiveContact]] = {q.id: deque() for q in config.queues}
        self._tags: dict[int, list[str]] = {}
        # Who the customers are and why they call: their own generator, so the floor's events
        # are the same with or without them.
        self._seed = seed
        self._calls = random.Random(f"{seed}:calls")
        self._profiles: dict[str, dict[str, Any]] = {}
        self._published: set[str] = set()
        self._rates = cm.peak_rates(config.queues, agents)
        self._surge_queues = [q for q in cm.OUTAGE_QUEUES if outage and config.queue(q)]
        self._surge_since = math.inf
        self._agents = self._hire(agents)
        self._featured = self._feature(featured)
        self._teams: dict[str, list[FloorAgent]] = {}
        for agent in self._agents:
            self._teams.setdefault(agent.team, []).append(agent)
        self._staff()
        for queue in config.queues:
            self._at(self.now + self._rng.expovariate(self._max_rate(queue)), self._arrival, queue)
        self._at(self.now + cm.ROSTER_EVERY, self._roster)
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

    # -- time of day ------------------------------------------------------------------------

    def _local_hour(self, t: float) -> float:
        local = datetime.fromtimestamp(t, self._tz)
        return local.hour + local.minute / 60 + local.second / 3600

    def _profile(self, t: float) -> float:
        return cm.profile(self._local_hour(t))

    def _next_midnight(self, t: float) -> float:
        day = datetime.fromtimestamp(t, self._tz).date() + timedelta(days=1)
        return datetime(day.year, day.month, day.day, tzinfo=self._tz).timestamp()

    # -- contacts ---------------------------------------------------------------------------

    def _max_rate(self, queue: Queue) -> float:
        surge = cm.OUTAGE_SURGE if queue.id in self._surge_queues else 1.0
        return self._rates[queue.id] * max(cm.INTRADAY) * surge

    def _rate(self, queue: Queue) -> float:
        surging = queue.id in self._surge_queues and self.now >= self._surge_since
        return (
            self._rates[queue.id] * self._profile(self.now) * (cm.OUTAGE_SURGE if surging else 1.0)
        )

    def _arrival(self, queue: Queue) -> None:
        """Poisson arrivals with a time-varying rate, by thinning a constant-rate stream."""
        peak = self._max_rate(queue)
        if self._rng.random() * peak < self._rate(queue):
            index = _customer(self._rng)
            if index not in self._tags:
                self._tags[index] = [tag for tag, share in cm.TAGS if self._rng.random() < share]
            tags, why = self._tags[index], None
            if self._surging(queue) and self._calls.random() < 1 - 1 / cm.OUTAGE_SURGE:
                index, tags, why = self._affected(), [], "power cut"  # the outage's own callers
            customer = account_number(index)
            if customer not in self._profiles:
                self._profiles[customer] = people.profile(self._seed, index, self.now, self._tz)
            why = why or people.reason(self._calls, queue.id, self._profiles[customer])
            self._enqueue(queue, customer, tags, why)
        self._at(self.now + self._rng.expovariate(peak), self._arrival, queue)

    def _surging(self, queue: Queue) -> bool:
        return queue.id in self._surge_queues and self.now >= self._surge_since

    def _affected(self) -> int:
        """A customer in the outage's region with electricity: who the surge is made of (drawn
        like every caller, so those hit call again, as they do while the power is off)."""
        for _ in range(200):
            index = _customer(self._calls)
            p = people.profile(self._seed, index, self.now, self._tz)
            if p["region"] == people.AFFECTED_REGION and "Electricity" in p["products"]:
                return index
        return index

    def _enqueue(
        self, queue: Queue, customer_id: str, tags: list[str], reason: str | None = None
    ) -> None:
        contact = LiveContact(
            f"c{next(self._contact_ids):06d}", queue, customer_id, list(tags), self.now,
            reason=reason,
        )  # fmt: skip
        self._live[contact.id] = contact
        self._emit_contact(contact, "offered")
        idle = [a for a in self._agents if a.state == "available" and queue.id in a.skills]
        if idle:
            featured = self._featured in idle
            self._route(contact, self._featured if featured else min(idle, key=lambda a: a.since))
            return
        self._waiting[queue.id].append(contact)
        patience = cm.channel_model(queue.channel).patience
        if patience is None:
            return
        share, seconds = cm.QUICK_HANG_UP
        if self._rng.random() < share:
            patience = self._rng.uniform(*seconds)
        else:
            patience = lognormal(self._rng, patience, 1.0)
        self._at(self.now + patience, self._abandon, contact)

    def _route(self, contact: LiveContact, agent: FloorAgent) -> None:
        contact.status = "ringing"
        contact.agent = agent
        agent.contact = contact
        self._emit_contact(contact, "offered")  # ringing at the agent: their card shows it
        self._set_state(agent, "on_contact")
        ring = self._rng.uniform(*cm.channel_model(contact.queue.channel).ring)
        self._at(self.now + ring, self._answer, contact)

    def _answer(self, contact: LiveContact) -> None:
        model = cm.channel_model(contact.queue.channel)
        contact.status = "answered"
        contact.answered_at = self.now
        contact.agent.answered += 1
        contact.agent.answer_wait += self.now - contact.enqueued_at
        self._emit_contact(contact, "answered")
        contact.talk = round(lognormal(self._rng, model.talk, model.talk_cv), 1)
        if self._rng.random() < model.hold_share:
            contact.hold = round(lognormal(self._rng, model.hold, 0.8), 1)
        contact.wrap = round(self._rng.uniform(*model.wrap), 1)
        self._at(self.now + contact.talk + contact.hold, self._hang_up, contact)

    def _hang_up(self, contact: LiveContact) -> None:
        contact.ended_at = self.now
        self._set_state(contact.agent, "wrap")
        self._at(self.now + contact.wrap, self._complete, contact)

    def _complete(self, contact: LiveContact) -> None:
        agent = contact.agent
        agent.handled += 1
        agent.handle_time += contact.talk + contact.hold + contact.wrap
        agent.contact = None
        del self._live[contact.id]
        contact.outcome = people.outcome(self._calls)
        self._emit_contact(contact, "completed")
        self._free(agent)

    def _abandon(self, contact: LiveContact) -> None:
        if contact.status != "waiting":
            return
        contact.status = "abandoned"
        contact.ended_at = self.now
        del self._live[contact.id]
        self._emit_contact(contact, "abandoned")
        if self._rng.random() < cm.channel_model(contact.queue.channel).callback:
            again = self.now + lognormal(self._rng, cm.CALLBACK_DELAY, 0.5)
            self._at(
                again, self._enqueue, contact.queue, contact.customer_id, contact.tags,
                contact.reason,
            )  # fmt: skip

    def _next_contact(self, agent: FloorAgent) -> LiveContact | None:
        """The waiting contact the agent takes next, among the heads of their skills' queues
        (each queue is in arrival order), by the simulation's :data:`ROUTINGS` rule.

        Each queue is in arrival order, so its head is the one the rule would pick of it.
        """
        heads: list[LiveContact] = []
        for queue_id in agent.skills:
            waiting = self._waiting[queue_id]
            while waiting and waiting[0].status != "waiting":
                waiting.popleft()  # abandoned: dropped lazily
            if waiting:
                heads.append(waiting[0])
        if not heads:
            return None
        best = min(heads, key=lambda c: self._router.key(c.order_data(), c.id, self.now))
        self._waiting[best.queue.id].popleft()
        return best

    # -- agents -----------------------------------------------------------------------------

    def _free(self, agent: FloorAgent) -> None:
        """The agent has nothing to do: log off, take a due break, or take the next contact."""
        if agent.leaving:
            agent.leaving = False
            self._set_state(agent, "offline")
        elif agent.away_pending and self._may_go_away():
            self._go_away(agent)
        elif contact := self._next_contact(agent):
            self._route(contact, agent)
        else:
            self._set_state(agent, "available")

    def _midnight(self) -> None:
        """Agents' own stats are "today"; the centre's day starts at local midnight."""
        for agent in self._agents:
            agent.handled, agent.handle_time, agent.answered, agent.answer_wait = 0, 0.0, 0, 0.0
            self._emit_agent(agent)
        self._at(self._next_midnight(self.now), self._midnight)

    # -- the outage scenario ----------------------------------------------------------------

    def _declare_outage(self) -> None:
        self._surge_since = self.now
        self._emit("outage", "out-1", outage_data(self.now, self._tz, self._surge_queues))

    # -- reporting --------------------------------------------------------------------------

    def _emit(self, kind: str, id: str, data: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.append(make_envelope(kind, id, data, ts=round(self.now, 3), source=cm.SOURCE))

    def _emit_agent(self, agent: FloorAgent) -> None:
        self._emit("agent", agent.id, agent.data())

    def _emit_contact(self, contact: LiveContact, event: str) -> None:
        customer = contact.customer_id
        if self._out is not None and customer not in self._published:
            self._published.add(customer)  # before their first contact: the card has them
            self._emit("customer", customer, self._profiles[customer])
        self._emit("contact", contact.id, contact.data(event))


def _customer(rng: random.Random) -> int:
    """A caller, by a Zipf–Mandelbrot choice from the pool (see model.CUSTOMERS)."""
    u = rng.random()
    index = int(cm.ZIPF_OFFSET * ((cm.CUSTOMERS + cm.ZIPF_OFFSET) / cm.ZIPF_OFFSET) ** u
                - cm.ZIPF_OFFSET)  # fmt: skip
    return min(index, cm.CUSTOMERS - 1)
