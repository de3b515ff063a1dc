"""Each agent's day by the hour, and their team's: contacts handled and handle time.

What the agent tab's chart shows ("how am I doing against the team"), counted by the producer
from the contact events it takes: a completed leg counts for the agent who handled it, in the
local hour it was completed. A leg is remembered, so a re-delivered or corrected completion
moves its count rather than adding it twice. Teams are the agents' own (their ``agent`` items);
an agent who changes team takes their hours along.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import numpy as np

from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.intraday import rows
from feeds.intraday.grid import Day
from feeds.metrics import formulas
from feeds.metrics.contacts import Told
from feeds.metrics.windows import add_in_order

HOUR = 3600
PUBLISH_EVERY = 5.0  # seconds between an agent's items while they keep completing contacts


@functools.lru_cache(maxsize=4096)  # a centre's few teams, asked of at every completion
def team_id(team: str) -> str:
    """A team's item id (``team:North``): its name with what an id cannot hold made ``-``."""
    return "team:" + re.sub(r"[^A-Za-z0-9_.@-]", "-", team)[:100]


class Hours:
    """Contacts handled per agent per hour, today."""

    def __init__(self, config: Config) -> None:
        self.tz = config.tz
        self.day: Day | None = None
        self._done: dict[tuple[str, int], tuple[str, float, float]] = {}  # leg → agent, hour, time
        self._cells: dict[tuple[str, float], list[float]] = {}  # (agent, hour) → handled, time
        self.teams: dict[str, str] = {}  # agent → team
        self._dirty: set[str] = set()  # item ids to publish
        self._last = -float("inf")

    def advance(self, now: float) -> Day:
        day = self.day
        if day is None or now >= day.end:
            day = self.day = Day.of(now, self.tz, HOUR)
            floor = Day.on(day.date - timedelta(days=1), self.tz, HOUR).start
            self._done = {k: v for k, v in self._done.items() if v[1] >= floor}
            self._cells = {k: v for k, v in self._cells.items() if k[1] >= floor}
            self._dirty |= {f"agent:{a}" for a in self.teams} | {team_id(t) for t in
                                                                   self.teams.values()}  # fmt: skip
        return day

    def apply(self, env: Envelope, at: float) -> None:
        """An envelope the producer took, at trusted time ``at``."""
        if env.deleted:
            return
        d = env.data
        if env.kind == "agent":
            team, old = d.get("team") or "", self.teams.get(env.id)
            if team != old:
                self._dirty |= {team_id(team), *([team_id(old)] if old is not None else [])}
                self.teams[env.id] = team
            return
        if env.kind != "contact" or d["event"] != "completed" or not d.get("agent_id"):
            return
        hour = self.advance(at).interval(at)
        self._move((env.id, d.get("leg", 1)), (d["agent_id"], hour, formulas.handle_time(d) or 0))

    def _move(self, key: tuple[str, int], new: tuple[str, float, float]) -> None:
        """Leg ``key`` now counts for (agent, hour, handle time): taken back from where it
        counted before."""
        old = self._done.get(key)
        if old == new:
            return
        for (agent, start, handle), sign in ((old, -1.0), (new, 1.0)) if old else ((new, 1.0),):
            cell = self._cells.setdefault((agent, start), [0.0, 0.0])
            cell[0] += sign
            cell[1] += sign * handle
            self._dirty |= {f"agent:{agent}", team_id(self.teams.get(agent, ""))}
        self._done[key] = new

    def told(self, told: Told) -> None:
        """:meth:`apply` of the final events of legs told at once (a flat-out replay), their
        stamps trusted, with the same sums to the last bit: a day at a time, each cell's
        completions added in order."""
        mine = np.flatnonzero(told.done & np.array([bool(a) for a in told.agent], dtype=bool))
        at = told.at[mine]
        i = 0
        while i < len(mine):
            day = self.advance(float(at[i]))
            j = i + int(np.searchsorted(at[i:], day.end))
            rows = mine[i:j]
            taken = rows.tolist()
            agents = [told.agent[r] for r in taken]
            keys = list(zip([told.cid[r] for r in taken], told.leg[rows].tolist(), strict=True))
            hours, handles = day.intervals(at[i:j]), told.handle[rows]
            if len(set(keys)) < len(keys) or not self._done.keys().isdisjoint(keys):
                # a leg counted before, or twice here: one at a time
                cells = zip(agents, hours, handles.tolist(), strict=True)
                for key, new in zip(keys, cells, strict=True):
                    self._move(key, new)
            else:
                self._add(keys, agents, hours, handles)
            i = j

    def _add(self, keys: list[tuple[str, int]], agents: list[str], hours: list[float],
             handles: np.ndarray) -> None:  # fmt: skip
        """Count legs not counted before (``keys``), each for an agent in an hour with its
        handle time, in order."""
        cells = zip(agents, hours, handles.tolist(), strict=True)
        self._done.update(zip(keys, cells, strict=True))
        n = len(keys)
        sums = np.column_stack([np.ones(n), handles]).ravel()  # handled, handle time
        add_in_order(self._cells, list(zip(agents, hours, strict=True)), np.tile([0, 1], n),
                     sums, 2, of=np.repeat(np.arange(n), 2))  # fmt: skip
        for agent in set(agents):
            self._dirty |= {f"agent:{agent}", team_id(self.teams.get(agent, ""))}

    def rows(self, agents: Iterable[str]) -> list[dict[str, Any]]:
        """Today's hours of ``agents`` together: handled, handle time and AHT per hour."""
        assert self.day is not None
        agents = list(agents)
        out = []
        for start in self.day.starts():
            handled = handle = 0.0
            for agent in agents:
                cell = self._cells.get((agent, start))
                if cell:
                    handled, handle = handled + cell[0], handle + cell[1]
            if handled > 0:
                out.append(rows.compact({"start": start, "handled": round(handled),
                                         "handle_time": handle,
                                         "aht": formulas.aht(handle, handled)}))  # fmt: skip
        return out

    def envelopes(self, now: float, source: str) -> list[Envelope]:
        """The ``agent:<id>`` and ``team:<name>`` items changed since the last, at most every
        :data:`PUBLISH_EVERY` seconds (and at once on a new day)."""
        day = self.advance(now)
        if not self._dirty or (now - self._last < PUBLISH_EVERY and self._last >= day.start):
            return []
        self._last, dirty, self._dirty = now, self._dirty, set()
        out = []
        for item in sorted(dirty - {team_id("")}):  # agents of no team have no team line
            kind, _, name = item.partition(":")
            members = ([name] if kind == "agent" else
                       [a for a, t in self.teams.items() if team_id(t) == item])  # fmt: skip
            data = {"day": day.text, "step": HOUR, "rows": self.rows(members)}
            out.append(make_envelope("intraday", item, data, ts=now, source=source))
        return out
