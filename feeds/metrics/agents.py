"""Agents as the aggregator sees them: each one's states in time order, for counts and occupancy.

An agent's latest value is its event with the greatest key (time, then a deletion beats a value
at the same time), the rule the bus applies to its live state. A deletion stays in the timeline
as the agent's latest entry, so a late event stamped before it cannot bring the agent back; it
is forgotten ``remember`` seconds later. Occupancy needs the time each agent spent in each state
inside a window, so each timeline keeps today's and the last hour's entries, plus the one entry
before them that says what the agent was doing when the window opened.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from feeds.bus.fields import AGENT_STATES

BUSY = frozenset({"on_contact", "wrap"})
WORKING = frozenset({"available", "on_contact", "wrap"})  # on the queue now, ready or busy


@dataclass(slots=True, frozen=True)
class Entry:
    at: float
    deleted: int
    state: str | None
    skills: tuple[str, ...]

    @property
    def key(self) -> tuple[float, int]:
        return (self.at, self.deleted)


@dataclass(slots=True)
class Timeline:
    entries: list[Entry] = field(default_factory=list)  # sorted by key
    floor: float = float("-inf")  # entries before this were pruned: older events are moot
    # The finished intervals' time since a day's start, per skill: (start, [busy, available]);
    # dropped whenever the entries change.
    closed: tuple[float, dict[str, list[float]]] | None = None

    @property
    def latest(self) -> Entry:
        return self.entries[-1]

    def closed_since(self, start: float) -> dict[str, list[float]]:
        """[busy, available] seconds per skill of the intervals that have ended, from ``start``."""
        if self.closed is None or self.closed[0] != start:
            out: dict[str, list[float]] = {}
            entries = self.entries
            for k in range(len(entries) - 1):
                _add_span(out, entries[k], entries[k + 1].at - max(entries[k].at, start))
            self.closed = (start, out)
        return self.closed[1]


def _add_span(sums: dict[str, list[float]], e: Entry, span: float) -> None:
    """Add ``span`` seconds in ``e``'s state to its skills' [busy, available] sums."""
    if span > 0 and e.state in WORKING:
        slot = 0 if e.state in BUSY else 1
        for qid in e.skills:
            sums.setdefault(qid, [0.0, 0.0])[slot] += span


class Agents:
    """Every agent's timeline, and what the queues need of them."""

    def __init__(self) -> None:
        self.timelines: dict[str, Timeline] = {}

    def apply(self, agent_id: str, entry: Entry) -> set[str]:
        """Place one event; returns the queues whose agents changed."""
        tl = self.timelines.get(agent_id)
        if tl is None:
            tl = self.timelines[agent_id] = Timeline()
        if entry.at < tl.floor:
            return set()  # before what the windows look at, and superseded at the floor
        entries = tl.entries
        if not entries or entry.key > entries[-1].key:  # the usual case: the newest event
            old = entries[-1] if entries else None
            if old is not None and tl.closed is not None:
                _add_span(tl.closed[1], old, entry.at - max(old.at, tl.closed[0]))
            entries.append(entry)
            before = (old.state, old.skills) if old is not None else (None, ())
            if before == (entry.state, entry.skills):
                return set()
            return set(before[1]) | set(entry.skills)
        # a late or same-instant event: its place found in O(log n), not by listing every key
        i = bisect.bisect_left(entries, entry.key, key=Entry.key.fget)
        tl.closed = None
        if i < len(entries) and entries[i].key == entry.key:
            old = tl.entries[i]
            if (old.state, old.skills) == (entry.state, entry.skills):
                return set()  # a re-delivery
            tl.entries[i] = entry  # a true tie: the last arrival wins
        else:
            tl.entries.insert(i, entry)
            old = tl.entries[i - 1] if i > 0 else None
        if i < len(tl.entries) - 1:
            return set(entry.skills)  # history changed (occupancy), not the latest state
        before = (old.state, old.skills) if old is not None else (None, ())
        if before == (entry.state, entry.skills):
            return set()
        return set(before[1]) | set(entry.skills)

    def latest(self) -> Iterable[Entry]:
        """Each agent's current entry (deleted ones included: callers skip them)."""
        return (tl.latest for tl in self.timelines.values())

    def counts(self, queue_ids: Iterable[str]) -> dict[str, dict[str, int]]:
        """Agents by current state, per queue they are skilled for."""
        out = {qid: dict.fromkeys(AGENT_STATES, 0) for qid in queue_ids}
        for e in self.latest():
            if e.state is None:
                continue
            for qid in e.skills:
                if qid in out:
                    out[qid][e.state] += 1
        return out

    def times(
        self, today: float, rolling: Mapping[str, float], now: float, queue_ids: Iterable[str]
    ) -> dict[str, dict[str, list[float]]]:
        """Per queue and window: [busy, available] agent-seconds in ``[start, now]``, windows
        being "today" (from ``today``) and the ``rolling`` ones (name → start).

        Today's finished intervals are summed once per change of a timeline; the rolling
        windows look back only as far as the longest of them."""
        out = {qid: {w: [0.0, 0.0] for w in ("today", *rolling)} for qid in queue_ids}
        earliest = min(rolling.values(), default=now)
        for tl in self.timelines.values():
            for qid, (busy, available) in tl.closed_since(today).items():
                per_window = out.get(qid)
                if per_window is not None:
                    per_window["today"][0] += busy
                    per_window["today"][1] += available
            entries = tl.entries
            end = now
            for k in range(len(entries) - 1, -1, -1):
                e = entries[k]
                if end <= earliest and k < len(entries) - 1:
                    break
                if e.state in WORKING:
                    slot = 0 if e.state in BUSY else 1
                    spans = [(w, end - max(e.at, start)) for w, start in rolling.items()]
                    if k == len(entries) - 1:  # the interval still open counts today too
                        spans.append(("today", end - max(e.at, today)))
                    for qid in e.skills:
                        per_window = out.get(qid)
                        if per_window is None:
                            continue
                        for w, span in spans:
                            if span > 0:
                                per_window[w][slot] += span
                end = e.at
        return out

    def prune(self, keep_from: float, forget_before: float) -> None:
        """Drop entries that ended before ``keep_from`` (keeping the one in force then), and
        agents deleted before ``forget_before``."""
        for agent_id, tl in list(self.timelines.items()):
            if tl.latest.deleted and tl.latest.at < forget_before:
                del self.timelines[agent_id]
                continue
            cut = bisect.bisect_right([e.at for e in tl.entries], keep_from) - 1
            if cut > 0:
                del tl.entries[:cut]
                tl.floor = tl.entries[0].at
                tl.closed = None
