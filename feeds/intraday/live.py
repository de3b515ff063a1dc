"""Today's intervals, kept up to date by the producer that aggregates the queues.

The aggregator (:mod:`feeds.metrics.aggregator`) already settles what each leg of a contact
counts under the ordering rule, whatever order its events came in; it tells this module of
every leg it settles (``Aggregator.on_leg``), and the leg's counts go to the interval in which
it was offered (its ``enqueued_at``), taken back from where they were if the leg changed. So a
call offered at 10:14 and answered at 10:16 counts in the 10:00 interval, which goes on
changing after it closed. Agent time (occupancy, agents staffed) is read from the aggregator's
agent timelines: live for the current interval, then frozen when it closes, since timelines
are pruned and a restarted producer no longer has them (stored rows stand in).

Nothing here reads a clock or Redis: the producer passes the time, publishes
:meth:`Intraday.envelopes` and saves what :meth:`Intraday.take_changed` returns
(:mod:`feeds.intraday.store`).
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Iterable, Mapping
from datetime import timedelta
from typing import Any

import numpy as np

from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.intraday import rows
from feeds.intraday.grid import Day
from feeds.intraday.legs import Batched, Counted, Key, counted
from feeds.metrics import formulas
from feeds.metrics.agents import BUSY, WORKING, Agents
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.contacts import Leg, Told
from feeds.metrics.formulas import COUNTERS
from feeds.metrics.windows import add_in_order, triples

REPUBLISH_EVERY = 30.0  # seconds between day items while late contacts change closed intervals


def agent_time(
    agents: Agents, a: float, b: float, queues: Iterable[str], among: Container[str]
) -> dict[str, list]:
    """[busy, available, staffed] agent-seconds in ``[a, b)`` per queue of ``queues``; staffed
    counts a blended agent's working second once, shared equally among its queues in ``among``
    (the centre's, whichever few are asked about: so a board's queues add up to its people),
    busy and available count it on each (occupancy, docs/metrics.md)."""
    out: dict[str, list[float]] = {q: [0.0, 0.0, 0.0] for q in queues}
    for tl in agents.timelines.values():
        entries = tl.entries
        first = max(0, bisect.bisect_right(entries, a, key=lambda e: e.at) - 1)
        for k in range(first, len(entries)):
            e = entries[k]
            if e.at >= b:
                break
            end = entries[k + 1].at if k + 1 < len(entries) else b
            span = min(end, b) - max(e.at, a)
            if span <= 0 or e.state not in WORKING:
                continue
            shared = [q for q in e.skills if q in among]
            for q in shared:
                if q in out:
                    out[q][0 if e.state in BUSY else 1] += span
                    out[q][2] += span / len(shared)
    return out


class Intraday:
    """The intervals of today (and yesterday, whose late contacts still land) per queue."""

    def __init__(self, config: Config, aggregator: Aggregator) -> None:
        self.queues = {q.id: q for q in config.queues}
        self.tz, self.step = config.tz, config.history.step
        self.aggregator = aggregator
        aggregator.on_leg = self.leg
        aggregator.on_told = self.told
        self.day: Day | None = None
        self._legs: dict[tuple[str, int], Counted] = {}
        self._batched = Batched()  # legs counted a column at a time, not settled since
        self._counts: dict[Key, list[float]] = {}
        self._waits: dict[Key, dict[tuple[str, int], float]] = {}
        self._open: dict[Key, dict[tuple[str, int], float]] = {}
        self._frozen: dict[Key, list[float]] = {}  # agent time of closed intervals
        self._stored: dict[Key, Mapping[str, Any]] = {}  # rows saved before a restart
        self._rows: dict[Key, dict[str, Any]] = {}  # closed rows as last worked out
        self.changed: set[Key] = set()  # since the last take_changed
        self._floor = -float("inf")  # intervals before yesterday's are forgotten
        self._published: dict[str, tuple[float, float]] = {}  # queue → (running start, when)

    # -- the clock ------------------------------------------------------------------------

    def advance(self, now: float) -> Day:
        """Today as of ``now``; a new day forgets the day before yesterday."""
        day = self.day
        if day is None or now >= day.end:
            day = self.day = Day.of(now, self.tz, self.step)
            self._floor = Day.on(day.date - timedelta(days=1), self.tz, self.step).start
            self._forget_before(self._floor)
        return day

    def _forget_before(self, floor: float) -> None:
        for table in (self._counts, self._waits, self._open, self._frozen, self._stored,
                      self._rows):  # fmt: skip
            for key in [k for k in table if k[1] < floor]:
                del table[key]
        self._legs = {k: v for k, v in self._legs.items() if v.key[1] >= floor}
        self._batched.forget_before(floor)

    # -- contacts -------------------------------------------------------------------------

    def leg(self, cid: str, n: int, leg: Leg) -> None:
        """The aggregator settled leg ``n`` of contact ``cid``: count it where it was offered."""
        qid, entries = leg.applied or ("", ())
        new = None
        if entries and qid in self.queues:
            ev = leg.events
            top = ev.get("completed") or ev.get("answered") or ev.get("abandoned") or ev["offered"]
            start = self.advance(top[0]).interval(top[2])
            if start >= self._floor:
                values = [0.0] * len(COUNTERS)
                for _, i, v in triples(entries):
                    values[int(i)] += v
                new = counted((qid, start), values, leg.waiting[1] if leg.waiting else None)
        self._settled((cid, n), new)

    def told(self, told: Told, index: np.ndarray, amount: np.ndarray) -> None:
        """Legs the aggregator counted a column at a time (``Aggregator.apply_told``: new
        contacts' legs told whole, their entries' counters and amounts by
        :func:`feeds.metrics.contacts.told_entries`): what :meth:`leg` does for each, in
        order, with the same sums to the last bit (a leg counts where it was offered)."""
        given = ~np.isnan(amount)
        if not given[:, 0].any():  # all on queues not configured here
            return
        day = self.advance(float(told.at[0]))  # the aggregator's run is within one day
        width = len(COUNTERS)
        values = np.zeros((len(told), width))
        rows, slots = np.nonzero(given)
        values[rows, index[rows, slots]] = amount[rows, slots]
        keys = [(q, start) if ok and start >= self._floor else None
                for q, start, ok in zip(told.queue, day.intervals(told.enqueued),
                                        given[:, 0].tolist(), strict=True)]  # fmt: skip
        legs = list(zip(told.cid, told.leg.tolist(), strict=True))
        settled_alone = self._legs and not self._legs.keys().isdisjoint(legs)
        if settled_alone or not self._batched.none_of(legs):
            # one counted before (a contact forgotten since): one at a time
            for lk, key, row in zip(legs, keys, values.tolist(), strict=True):
                self._settled(lk, counted(key, row, None) if key is not None else None)
            return
        self._batched.add(legs, keys, values)
        rows, cols = np.nonzero((values != 0.0) & np.array([k is not None for k in keys])[:, None])
        for key in add_in_order(self._counts, keys, cols, values[rows, cols], width, of=rows):
            self._rows.pop(key, None)
            self.changed.add(key)

    def _settled(self, lk: tuple[str, int], new: Counted | None) -> None:
        """Leg ``lk`` now counts ``new`` (None: nowhere): take back what it counted before."""
        old = self._legs.get(lk)
        if old is None and (old := self._batched.recall(lk)) is not None:
            self._legs[lk] = old  # counted already, as a column: now as if settled alone
            self._note(lk, old, 1.0)
        if old == new:
            return
        if old is not None:
            self._count(lk, old, -1.0)
        if new is not None:
            self._count(lk, new, 1.0)
            self._legs[lk] = new
        else:
            self._legs.pop(lk, None)

    def _count(self, lk: tuple[str, int], c: Counted, sign: float) -> None:
        counts = self._counts.get(c.key)
        if counts is None:
            counts = self._counts[c.key] = [0.0] * len(COUNTERS)
        for i, v in enumerate(c.values):
            if v:  # most counters of a leg are 0: adding 0 changes nothing
                counts[i] += sign * v
        self._note(lk, c, sign)
        self.changed.add(c.key)
        self._rows.pop(c.key, None)

    def _note(self, lk: tuple[str, int], c: Counted, sign: float) -> None:
        """Keep (``sign`` 1) or drop (-1) how long leg ``lk`` waited, or since when it has
        been waiting, where it counts."""
        for table, value in ((self._waits, c.wait), (self._open, c.since)):
            if value is None:
                continue
            legs = table.get(c.key)
            if sign > 0:
                if legs is None:
                    legs = table[c.key] = {}
                legs[lk] = value
            elif legs is not None:
                legs.pop(lk, None)

    # -- rows -----------------------------------------------------------------------------

    def restore(self, stored: Mapping[Key, Mapping[str, Any]]) -> None:
        """Rows saved before a restart: they stand in for intervals nothing was counted in
        since (the contacts stream no longer holds them) and keep their agent time."""
        self._stored.update(stored)
        for key, row in stored.items():
            self._frozen.setdefault(key, [row.get(k) or 0.0 for k in rows.AGENT_TIMES])

    def row(self, qid: str, start: float, now: float) -> dict[str, Any]:
        """One queue's interval as of ``now`` (running: as far as it has run)."""
        key = (qid, start)
        end = min(start + self.step, Day.of(start, self.tz, self.step).end)
        closed = end <= now
        if closed and key in self._rows:
            return self._rows[key]
        stored = self._stored.get(key, {})
        counts = self._counts.get(key)
        raw: dict[str, Any] = {"start": start}
        if counts is not None:
            raw.update(zip(COUNTERS, counts, strict=True))
        else:
            raw.update({k: stored[k] for k in rows.COUNTERS if k in stored})
        if closed and key not in self._frozen:
            self._frozen[key] = self._agent_time(qid, start, end)
        agent = self._frozen[key] if closed else self._agent_time(qid, start, now)
        raw.update(zip(rows.AGENT_TIMES, agent, strict=True))
        # a contact still waiting has waited since it came (none yet, if it is stamped ahead
        # of ``now``: a replay trusts its stamps)
        batched = self._batched.longest(key)
        waits = [*self._waits.get(key, {}).values(), *([] if batched is None else [batched]),
                 *(max(now - s, 0.0) for s in self._open.get(key, {}).values())]  # fmt: skip
        raw["longest_wait"] = max(waits) if waits else stored.get("longest_wait")
        out = rows.finish(self.queues[qid], raw, min(end, now) - start, self._day_aht(qid, start))
        if closed and not self._open.get(key):  # a contact still waiting: its wait grows
            self._rows[key] = out
        return out

    def _agent_time(self, qid: str, a: float, b: float) -> list[float]:
        """One queue's agent time in ``[a, b)``, a blended agent's shared among all the
        centre's queues it works (not only this one)."""
        return agent_time(self.aggregator.agents, a, b, [qid], self.queues)[qid]

    def _day_aht(self, qid: str, upto: float) -> float | None:
        """The queue's AHT over the day up to an interval (one without its own has this)."""
        handled = handle = 0.0
        for (q, start), c in self._counts.items():
            if q == qid and self.day is not None and self.day.start <= start <= upto:
                handled += c[COUNTERS.index("handled")]
                handle += c[COUNTERS.index("handle_time")]
        return formulas.aht(handle, handled)

    def day_rows(self, qid: str, now: float) -> list[dict[str, Any]]:
        """Every interval of today up to the running one."""
        day = self.advance(now)
        current = day.slot(now)
        return [self.row(qid, s, now) for s in day.starts()[: (current or 0) + 1]]

    def recent(self, qid: str, now: float) -> list[dict[str, Any]]:
        """The intervals still changing most: the one before and the running one (today's)."""
        day = self.advance(now)
        current = day.slot(now) or 0
        return [self.row(qid, day.bounds(s)[0], now) for s in (current - 1, current) if s >= 0]

    def take_changed(self, now: float, queues: Iterable[str]) -> dict[Key, dict[str, Any]]:
        """The rows of ``queues`` changed since the last call, their running ones, and those
        with a contact still waiting (its wait, the interval's longest, grows as time passes)."""
        day, queues = self.advance(now), set(queues)
        keys = {k for k in self.changed if k[0] in queues}
        self.changed -= keys
        keys |= {(q, day.interval(now)) for q in queues}
        keys |= {k for k, waiting in self._open.items() if waiting and k[0] in queues}
        return {k: self.row(k[0], k[1], now) for k in keys}

    def envelopes(self, now: float, queues: Iterable[str], source: str) -> list[Envelope]:
        """The day items of ``queues`` (``intraday`` ``queue:<id>``) that are due: when a new
        interval starts, and every :data:`REPUBLISH_EVERY` seconds while contacts change the
        closed ones (the running interval travels with each ``queue`` item instead)."""
        day = self.advance(now)
        running = day.interval(now)
        out = []
        for qid in sorted(queues):
            last = self._published.get(qid)
            if last is None or last[0] != running or now - last[1] >= REPUBLISH_EVERY:
                data = {"day": day.text, "step": self.step, "rows": self.day_rows(qid, now)}
                out.append(make_envelope("intraday", f"queue:{qid}", data, ts=now, source=source))
                self._published[qid] = (running, now)
        return out
