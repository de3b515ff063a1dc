"""Queue statistics from raw contact and agent events, for feeds that do not send their own.

The aggregator is pure and incremental: it never reads a clock or Redis, so the same events
always give the same figures, and a producer (simulator, CSV replay, AMI) can feed it event by
event and publish only the queues that changed. Feeds are at-least-once and may arrive out of
order or start mid-day, so every event is applied defensively: a contact is counted once per
event kind, has one outcome (answered or abandoned), and the waiting set never goes negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from feeds.bus.schema import (
    AGENT_STATES,
    AgentState,
    ContactEvent,
    Envelope,
    QueueStats,
    make_envelope,
)
from feeds.config import Config
from feeds.metrics import formulas as metrics

_OUTCOMES = frozenset({"answered", "abandoned"})


@dataclass
class _Counters:
    """Since the start of the centre's day; reset together at local midnight."""

    offered: int = 0
    answered: int = 0
    answered_in_threshold: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    handled: int = 0
    answer_wait: float = 0.0
    handle_time: float = 0.0


@dataclass
class _Contact:
    queue: str
    seen: set[str] = field(default_factory=set)
    # The day whose ``offered`` counter holds this contact. An outcome also counts the offer
    # when it was not counted today, so today's offered always covers today's answered and
    # abandoned and the rates stay within 0..1 even for feeds that start mid-day.
    offered_day: date | None = None


@dataclass
class _Agent:
    ts: float
    state: str
    skills: tuple[str, ...]


class Aggregator:
    """Per-queue counters, waiting contacts and agents by state, from envelopes."""

    def __init__(self, config: Config) -> None:
        self._tz = config.tz
        self._queues = {q.id: q for q in config.queues}
        self._counters = {qid: _Counters() for qid in self._queues}
        self._waiting: dict[str, dict[str, float]] = {qid: {} for qid in self._queues}
        self._contacts: dict[str, _Contact] = {}
        self._agents: dict[str, _Agent] = {}
        self._day: date | None = None

    def _local_day(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self._tz).date()

    def _roll(self, day: date) -> set[str]:
        """Start a new day when ``day`` is past the current one; returns the queues that reset.

        Contacts still waiting and agents carry over: a caller queueing across midnight is
        still waiting, but yesterday's answers must not flatter today's service level.
        """
        if self._day is not None and day <= self._day:
            return set()
        rolled = self._day is not None
        self._day = day
        if not rolled:
            return set()
        self._counters = {qid: _Counters() for qid in self._queues}
        self._contacts = {
            cid: c for cid, c in self._contacts.items() if cid in self._waiting[c.queue]
        }
        return set(self._queues)

    def apply(self, env: Envelope) -> set[str]:
        """Apply one envelope; returns the ids of the queues whose statistics changed."""
        if env.kind == "contact" and not env.deleted:
            return self._apply_contact(env)
        if env.kind == "agent":
            return self._apply_agent(env)
        return set()

    def _apply_contact(self, env: Envelope) -> set[str]:
        ev: ContactEvent = env.body()
        queue = self._queues.get(ev.queue)
        if queue is None:
            return set()
        day = self._local_day(env.ts)
        changed = self._roll(day)
        contact = self._contacts.setdefault(env.id, _Contact(ev.queue))
        if ev.event in contact.seen or (ev.event in _OUTCOMES and contact.seen & _OUTCOMES):
            return changed
        contact.seen.add(ev.event)
        waiting = self._waiting[contact.queue]
        if ev.event == "offered" and not contact.seen & _OUTCOMES:
            waiting[env.id] = ev.enqueued_at
            changed.add(contact.queue)
        elif ev.event in _OUTCOMES and waiting.pop(env.id, None) is not None:
            changed.add(contact.queue)
        # Late events from an earlier day move contacts but do not touch today's counters.
        if day != self._day:
            return changed
        counters = self._counters[ev.queue]
        if ev.event != "completed" and contact.offered_day != self._day:
            counters.offered += 1
            contact.offered_day = self._day
        if ev.event == "answered":
            wait = max(0.0, (ev.answered_at or env.ts) - ev.enqueued_at)
            counters.answered += 1
            counters.answer_wait += wait
            counters.answered_in_threshold += wait <= queue.sl_threshold
        elif ev.event == "abandoned":
            counters.abandoned += 1
            gave_up_after = (ev.ended_at or env.ts) - ev.enqueued_at
            counters.short_abandoned += gave_up_after < queue.short_abandon
        elif ev.event == "completed":
            counters.handled += 1
            counters.handle_time += (ev.talk or 0.0) + (ev.hold or 0.0) + (ev.wrap or 0.0)
        changed.add(ev.queue)
        return changed

    def _apply_agent(self, env: Envelope) -> set[str]:
        changed = self._roll(self._local_day(env.ts))
        before = self._agents.get(env.id)
        if before is not None and env.ts < before.ts:
            return changed  # an older state arriving late must not overwrite the newer one
        if env.deleted:
            after = None
            self._agents.pop(env.id, None)
        else:
            body: AgentState = env.body()
            after = _Agent(env.ts, body.state, tuple(body.skills))
            self._agents[env.id] = after
        if before and after and (before.state, before.skills) == (after.state, after.skills):
            return changed
        touched = (before.skills if before else ()) + (after.skills if after else ())
        return changed | {qid for qid in touched if qid in self._queues}

    def stats(self, queue_id: str, now: float) -> dict[str, Any]:
        """The ``queue`` envelope data of one configured queue as of ``now``."""
        self._roll(self._local_day(now))
        queue = self._queues[queue_id]
        c = self._counters[queue_id]
        waiting = self._waiting[queue_id]
        agents = dict.fromkeys(AGENT_STATES, 0)
        for agent in self._agents.values():
            if queue_id in agent.skills:
                agents[agent.state] += 1
        data = {
            "name": queue.name,
            "channel": queue.channel,
            "waiting": len(waiting),
            "longest_wait_since": min(waiting.values(), default=None),
            "offered": c.offered,
            "answered": c.answered,
            "answered_in_threshold": c.answered_in_threshold,
            "abandoned": c.abandoned,
            "short_abandoned": c.short_abandoned,
            "service_level": metrics.service_level(
                c.answered_in_threshold, c.answered, c.abandoned, c.short_abandoned
            ),
            "asa": metrics.asa(c.answer_wait, c.answered),
            "aht": metrics.aht(c.handle_time, c.handled),
            "abandon_rate": metrics.abandon_rate(c.abandoned, c.short_abandoned, c.offered),
            "agents": agents,
        }
        return QueueStats.model_validate(data).model_dump(mode="json")

    def envelopes(
        self, now: float, source: str = "aggregator", queues: Iterable[str] | None = None
    ) -> list[Envelope]:
        """``queue`` envelopes for ``queues`` (default: every configured queue)."""
        ids = self._queues if queues is None else queues
        return [
            make_envelope("queue", qid, self.stats(qid, now), ts=now, source=source) for qid in ids
        ]
