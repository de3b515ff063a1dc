"""Queue statistics from raw contact and agent events, for feeds that do not send their own.

The aggregator is pure and incremental: it never reads a clock or Redis, so the same events
always give the same figures, and a producer (simulator, CSV replay, AMI) can feed it event by
event and publish only the queues that changed. Feeds are at-least-once, out of order, start
mid-day and come from clocks that disagree, so every event goes through the ordering rule of
:mod:`feeds.bus.ordering`, the rule the bus applies to its live state: the figures depend on
which events were delivered, never on their order or how often (tests/test_metrics_property.py
checks them against a from-scratch pandas computation on generated messy feeds).

Time is the receiver's: :meth:`apply` takes ``now``, the clock at which the event arrived, and
trusts an event's stamp only up to it; the centre's day and the rolling windows move with that
clock, never with a stamp, so a producer whose clock runs ahead cannot roll the day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from feeds.bus import ordering
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.metrics import formulas, staffing
from feeds.metrics.agents import Agents
from feeds.metrics.agents import Entry as AgentEntry
from feeds.metrics.contacts import (
    Contact,
    Event,
    Leg,
    Told,
    entries,
    event,
    told_entries,
    waiting,
)  # fmt: skip
from feeds.metrics.formulas import COUNTERS, WINDOW_SECONDS, Counts
from feeds.metrics.queue_data import effective_agents, queue_data, traffic
from feeds.metrics.windows import HORIZON, Tally, day_bounds

SWEEP_EVERY = 600.0  # seconds of clock between forgetting long-finished contacts
PRUNE_EVERY = 60  # seconds of clock between dropping buckets older than every window


class Aggregator:
    """Per-queue counters, waiting contacts and agents by state, from envelopes."""

    def __init__(self, config: Config) -> None:
        self._tz = config.tz
        self._queues = {q.id: q for q in config.queues}
        self._limits = {q.id: (q.sl_threshold, q.short_abandon) for q in config.queues}
        self._max_skew = config.ordering.max_skew
        self._remember = config.ordering.remember
        self._tallies = {qid: Tally() for qid in self._queues}
        self._waiting: dict[str, dict[tuple[str, int], float]] = {q: {} for q in self._queues}
        self._contacts: dict[str, Contact] = {}
        # Contacts counted a column at a time (apply_told): id -> (their block, row), until
        # one comes again and is made a Contact (_recall).
        self._told: dict[str, tuple[Told, int]] = {}
        self._agents = Agents()
        self._clock = -math.inf
        self._start = self._end = -math.inf  # today's bounds
        self._floor = -(2**62)  # newest second no rolling window holds
        self._next_sweep = -math.inf
        self._due = -math.inf  # the clock's next roll, prune or sweep
        self._first = math.inf  # earliest event time accepted: how far back the data goes
        self.refused = 0  # events stamped beyond the allowed skew
        # Told of each leg whose counts or waiting were settled (feeds.intraday's intervals).
        self.on_leg: Callable[[str, int, Leg], None] | None = None
        # Told of legs counted a column at a time (apply_told): see Intraday.told.
        self.on_told: Callable[[Told, np.ndarray, np.ndarray], None] | None = None

    # -- the clock ----------------------------------------------------------------------------

    def advance(self, now: float, changed: set[str] | None = None) -> None:
        """Move the clock to ``now`` (never back); a new day resets every queue (added to
        ``changed``)."""
        if now <= self._clock:
            return
        self._clock = now
        if now < self._due:
            return  # the common case: nothing to roll, prune or sweep yet
        if now >= self._end:
            if self._end > -math.inf and changed is not None:
                changed.update(self._queues)
            self._start, self._end = day_bounds(now, self._tz)
            for tally in self._tallies.values():
                tally.today = [0.0] * len(COUNTERS)
        floor = int(now) - HORIZON
        if floor >= self._floor + PRUNE_EVERY:  # rolling() ignores older buckets meanwhile
            for tally in self._tallies.values():
                tally.forget_before(floor)
            self._floor = floor
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            self._sweep()
        self._due = min(self._end, self._floor + HORIZON + PRUNE_EVERY, self._next_sweep)

    def _sweep(self) -> None:
        """Forget contacts finished longer ago than ``remember``, old agent history."""
        forget_before = self._clock - self._remember
        if self._first < forget_before:  # else no contact is that old yet (a day's replay)
            gone = [cid for cid, c in self._contacts.items()
                    if c.last < forget_before and c.finished()]  # fmt: skip
            for cid in gone:
                del self._contacts[cid]
            for cid in [cid for cid, (told, i) in self._told.items()
                        if told.latest[i] < forget_before]:  # fmt: skip
                del self._told[cid]
        self._agents.prune(min(self._start, self._clock - HORIZON), forget_before)

    @property
    def agents(self) -> Agents:
        """Every agent's timeline (agent time per interval: feeds.intraday)."""
        return self._agents

    @property
    def remembered(self) -> int:
        """Contacts held: those in progress, and finished ones not yet ``remember`` old."""
        return len(self._contacts) + len(self._told)

    # -- events -------------------------------------------------------------------------------

    def apply(self, env: Envelope, now: float | None = None) -> set[str]:
        """Apply one envelope received at ``now``; returns the ids of the queues it changed.

        ``now`` is the receiver's clock. An event stamped more than ``ordering.max_skew``
        ahead of it is refused (counted in :attr:`refused`), one a little ahead is taken as
        stamped ``now``. ``None`` trusts the stamp (a replay of a recorded feed, whose stamps
        are the only clock there is).
        """
        changed: set[str] = set()
        if env.kind not in ("contact", "agent"):
            return changed
        if now is None:
            now = env.ts
        try:
            at = ordering.trusted_time(env.ts, now, self._max_skew)
        except ordering.FutureEvent:
            self.refused += 1
            self.advance(now, changed)
            return changed
        self.advance(now, changed)
        if env.kind == "contact":
            self._apply_contact(env, at, changed)
        else:
            state = None if env.deleted else env.data["state"]
            skills = () if env.deleted else tuple(env.data.get("skills", ()))
            entry = AgentEntry(at, int(env.deleted), state, skills)
            changed.update(q for q in self._agents.apply(env.id, entry) if q in self._queues)
        return changed

    def apply_leg(self, cid: str, n: int, events: Iterable[tuple[str, Event]]) -> set[str]:
        """Apply one leg's events that arrive together, each stamped and trusted as it is (a
        replay of a recorded file: :func:`feeds.metrics.contacts.story` of a finished leg):
        the figures of :meth:`apply` over their envelopes with ``now=None``, since a leg's
        figures are a function of its events (:func:`entries`), but the leg is settled once,
        after all of them, and no envelope is built for an earlier event."""
        changed: set[str] = set()
        contact, moved = None, False
        for kind, new in events:
            self.advance(new[0], changed)
            contact = self._contact(cid, new[0])
            moved |= self._record(contact, n, kind, new)
        if moved and contact is not None:
            self._settle(cid, contact, n, changed)
            if n - 1 in contact.legs:  # its transfer may have moved (settling again is a no-op)
                self._settle(cid, contact, n - 1, changed)
        return changed

    def apply_told(self, told: Told) -> set[str]:
        """:meth:`apply_leg` of each leg of ``told`` (:func:`story`), in order, with the same
        figures to the last bit. Runs of legs of contacts not seen before, told whole
        (:meth:`Told.whole`), before a new day or a sweep, are counted a column at a time (a
        flat-out replay's day is mostly that); any other leg goes through :meth:`apply_leg`."""
        changed: set[str] = set()
        # a contact's first leg in the block, new here, told whole: a run may hold it
        new = ~pd.Index(told.cid).duplicated()
        if not (self._contacts.keys().isdisjoint(told.cid)
                and self._told.keys().isdisjoint(told.cid)):  # fmt: skip
            new &= [cid not in self._contacts and cid not in self._told for cid in told.cid]
        fits = new & told.whole()
        latest = told.latest
        i, moved = 0, -1
        while i < len(told):
            # A run may pass the times buckets are pruned (it adds a few a window never holds,
            # pruned after it), not a new day or a sweep (which contacts are remembered).
            stop = ~fits[i:] | (latest[i:] >= min(self._end, self._next_sweep))
            j = i + (int(stop.argmax()) if stop.any() else len(stop))
            if j > i:
                self._count_told(told.take(slice(i, j)), changed)
                i = j
            elif fits[i] and moved < i:
                # a new day or a sweep falls due within the leg: the clock moves through its
                # events as apply_leg moves it, and the next run counts it
                for _, event in told.story(i):
                    self.advance(event[0], changed)
                moved = i
            else:
                changed |= self.apply_leg(told.cid[i], int(told.leg[i]), told.story(i))
                i += 1
        return changed

    def _count_told(self, told: Told, changed: set[str]) -> None:
        """Count new contacts' legs told whole at once, the clock not due for a new day or a
        sweep meanwhile; each is remembered as told, and made a :class:`Contact` only if it
        comes again (:meth:`_contact`)."""
        at, index, amount = told_entries(told, self._limits)
        queues = np.array(told.queue, dtype=object)
        counted = ~np.isnan(amount)
        for qid in dict.fromkeys(told.queue):
            mine = (queues == qid)[:, None] & counted
            if mine.any():
                self._tallies[qid].add_many(at[mine], index[mine], amount[mine], self._start,
                                            self._floor)  # fmt: skip
                changed.add(qid)
        self._told.update({cid: (told, i) for i, cid in enumerate(told.cid)})
        earliest = np.fmin(np.fmin(told.enqueued, told.answered), told.at)
        self._first = min(self._first, float(earliest.min()))
        self.advance(float(told.latest.max()))  # prunes, if due
        if self.on_told is not None:
            self.on_told(told, index, amount)

    def _recall(self, cid: str) -> Contact:
        """A contact counted as told (:meth:`_count_told`) made a :class:`Contact`, as
        :meth:`apply_leg` would have left it: so a later event of it moves its counts."""
        told, i = self._told.pop(cid)
        events, n = told.story(i), int(told.leg[i])
        contact = Contact(last=float(told.latest[i]))
        for kind, new in events:
            self._record(contact, n, kind, new)
        leg = contact.legs[n]
        leg.applied = entries(leg, None, self._limits)
        return contact

    def _contact(self, cid: str, at: float) -> Contact:
        """The contact (a new one if unknown) with an event at ``at`` noted."""
        contact = self._contacts.get(cid)
        if contact is None and cid in self._told:
            contact = self._contacts[cid] = self._recall(cid)
        if contact is None:
            contact = self._contacts[cid] = Contact()
        if at > contact.last:
            contact.last = at
        if at < self._first:
            self._first = at
        return contact

    @staticmethod
    def _record(contact: Contact, n: int, kind: str, new: Event) -> bool:
        """Keep ``new`` as leg ``n``'s ``kind`` event; False when it changes nothing (older
        than the one kept, or the same again)."""
        leg = contact.legs.get(n)
        if leg is None:
            leg = contact.legs[n] = Leg()
        else:
            old = leg.events.get(kind)
            if old is not None and (new[0] < old[0] or (new[0] == old[0] and new == old)):
                return False
        leg.events[kind] = new
        return True

    def _apply_contact(self, env: Envelope, at: float, changed: set[str]) -> None:
        """Record a contact event in its leg and bring the counters in line."""
        contact = self._contact(env.id, at)
        if env.deleted:
            if not contact.deleted:
                contact.deleted = True
                for n in contact.legs:
                    self._settle(env.id, contact, n, changed)
            return
        data = env.data
        n = data.get("leg", 1)
        leg = contact.legs.get(n)
        first = math.inf if leg is None else leg.first
        if not self._record(contact, n, data["event"], event(at, data)):
            return
        self._settle(env.id, contact, n, changed)
        if n - 1 in contact.legs and contact.legs[n].first != first:
            self._settle(env.id, contact, n - 1, changed)  # its transfer moved

    def _settle(self, cid: str, contact: Contact, n: int, changed: set[str]) -> None:
        """Bring the counters and the waiting set in line with leg ``n``'s events."""
        leg = contact.legs[n]
        after = contact.legs.get(n + 1)
        applied = entries(leg, None if after is None else after.first, self._limits)
        before = leg.applied
        if applied != before:  # entries are only ever made for configured queues
            if before is not None and before[1]:
                self._tallies[before[0]].add(before[1], -1.0, self._start, self._floor)
                changed.add(before[0])
            if applied[1]:
                self._tallies[applied[0]].add(applied[1], 1.0, self._start, self._floor)
                changed.add(applied[0])
            leg.applied = applied
        wait = waiting(leg, after is not None, contact.deleted)
        if wait is not None and wait[0] not in self._waiting:
            wait = None  # a queue not configured here
        if wait != leg.waiting:
            if leg.waiting is not None:
                del self._waiting[leg.waiting[0]][(cid, n)]
                changed.add(leg.waiting[0])
            if wait is not None:
                self._waiting[wait[0]][(cid, n)] = wait[1]
                changed.add(wait[0])
            leg.waiting = wait
        if self.on_leg is not None:
            self.on_leg(cid, n, leg)

    # -- figures ------------------------------------------------------------------------------

    def counts(self, queue_id: str, now: float) -> dict[str, Counts]:
        """The queue's counters in every window ("today", "15m", "30m", "60m") as of ``now``
        (or the clock, if later), agent time for occupancy included."""
        return self._counts(now, [queue_id])[queue_id]

    def _counts(self, now: float, queue_ids: Iterable[str]) -> dict[str, dict[str, Counts]]:
        self.advance(now)
        now = self._clock
        queue_ids = list(queue_ids)
        rolling = {w: now - s for w, s in WINDOW_SECONDS.items()}
        times = self._agents.times(self._start, rolling, now, queue_ids)
        out: dict[str, dict[str, Counts]] = {}
        for qid in queue_ids:
            tally = self._tallies[qid]
            by_window = {"today": tally.today, **tally.rolling(int(now))}
            out[qid] = {w: Counts(*values, *times[qid][w]) for w, values in by_window.items()}
        return out

    def stats(self, queue_id: str, now: float) -> dict[str, Any]:
        """The ``queue`` envelope data of one configured queue as of ``now``."""
        if queue_id not in self._queues:
            raise KeyError(queue_id)
        return self._stats(now, [queue_id])[queue_id]

    def _stats(self, now: float, queue_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        counts = self._counts(now, self._queues)  # shares of blended agents need every queue
        now = self._clock
        by_state = self._agents.counts(self._queues)
        span = max(0.0, now - self._first)
        load: dict[str, staffing.Queue | None] = {}
        for qid, q in self._queues.items():
            window, today = q.metrics.staffing_window, counts[qid]["today"]
            load[qid] = traffic(q, counts[qid][window], min(WINDOW_SECONDS[window], span),
                                formulas.aht(today.handle_time, today.handled))  # fmt: skip
        effective = effective_agents(self._agents.latest(), load)
        return {qid: queue_data(self._queues[qid], counts[qid], by_state[qid],
                                self._waiting[qid], load[qid], effective[qid])
                for qid in queue_ids}  # fmt: skip

    def envelopes(
        self, now: float, source: str = "aggregator", queues: Iterable[str] | None = None
    ) -> list[Envelope]:
        """``queue`` envelopes for ``queues`` (default: every configured queue)."""
        ids = list(self._queues if queues is None else queues)
        stats = self._stats(now, ids)
        return [make_envelope("queue", qid, stats[qid], ts=now, source=source) for qid in ids]
