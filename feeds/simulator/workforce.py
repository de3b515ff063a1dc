"""The simulated centre's people: who is hired into which team with which skills, the roster
that follows the intraday curve, breaks and lunch, logging in and out, and agent states.

A mixin of :class:`feeds.simulator.simulation.Simulation`, which owns the clock, the random
generator and the event heap these methods schedule on."""

from __future__ import annotations

import random
from collections.abc import Callable

from feeds.config import Config
from feeds.simulator import model as cm
from feeds.simulator.model import FloorAgent, LiveContact


class Workforce:
    """Hiring, rostering, breaks and states of the simulated agents."""

    config: Config
    now: float
    _rng: random.Random
    _agents: list[FloorAgent]
    _teams: dict[str, list[FloorAgent]]
    _featured: FloorAgent | None

    # Provided by the simulation.
    _at: Callable[..., None]
    _local_hour: Callable[[float], float]
    _profile: Callable[[float], float]
    _next_contact: Callable[[FloorAgent], LiveContact | None]
    _route: Callable[[LiveContact, FloorAgent], None]
    _emit_agent: Callable[[FloorAgent], None]

    def _hire(self, count: int) -> list[FloorAgent]:
        """Voice teams North and South on 2–3 voice queues each (some blended onto chat) and a
        Digital team on chat and email, sized to each side's share of the workload."""
        queues = self.config.queues
        voice = [q.id for q in queues if q.channel == "voice"]
        digital = [q.id for q in queues if q.channel != "voice"]
        chat = [q.id for q in queues if q.channel == "chat"]
        digital_share = sum(
            cm.channel_model(q.channel).share for q in queues if q.channel != "voice"
        )
        digital_share /= sum(cm.channel_model(q.channel).share for q in queues)
        n_digital = count if not voice else min(count - 1, round(count * digital_share))
        if digital:
            n_digital = max(1, n_digital)
        roles = ["digital"] * n_digital + ["voice"] * (count - n_digital)
        self._rng.shuffle(roles)
        firsts = self._rng.sample(cm.FIRST_NAMES, len(cm.FIRST_NAMES))
        lasts = self._rng.sample(cm.LAST_NAMES, len(cm.LAST_NAMES))
        hired: list[FloorAgent] = []
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
            hired.append(FloorAgent(f"a{i + 1:02d}", name, team, skills))
        return hired

    def _feature(self, agent_id: str | None) -> FloorAgent | None:
        """The featured agent, moved onto the voice queues an outage floods (with no random
        draw of its own: the same seed still gives the same centre)."""
        agent = next((a for a in self._agents if a.id == agent_id), None)
        voice = [q.id for q in self.config.queues if q.channel == "voice"]
        if agent is not None and voice:
            flooded = [q for q in voice if q in cm.OUTAGE_QUEUES]
            agent.team, agent.skills = "North", flooded or voice[:2]
        return agent

    def _staff(self) -> None:
        """Put each team's rostered share on the floor at the start of the warm-up."""
        for members in self._teams.values():
            on_shift = self._rng.sample(members, self._target(len(members)))
            for agent in members:
                if agent in on_shift or agent is self._featured:
                    agent.state = "available"
                    agent.since = self.now - self._rng.uniform(0, 300)
                    agent.login_at = agent.since - self._rng.uniform(0, 4 * 3600)
                    self._plan_away(agent, self.now - self._rng.uniform(0, 60 * 60))
                else:
                    agent.since = self.now - self._rng.uniform(3600, 8 * 3600)

    def _target(self, team_size: int) -> int:
        return max(1, round(team_size * self._profile(self.now)))

    def _may_go_away(self) -> bool:
        on_shift = sum(a.state != "offline" for a in self._agents)
        away = sum(a.state == "away" for a in self._agents)
        return away < max(1, round(cm.MAX_AWAY_SHARE * on_shift))

    def _plan_away(self, agent: FloorAgent, after: float) -> None:
        if agent is self._featured:
            return  # stays on the floor: the demo points people at this agent's tab
        agent.next_away = after + self._rng.uniform(*cm.AWAY_GAP_MINUTES) * 60
        self._at(agent.next_away, self._away_due, agent)

    def _away_due(self, agent: FloorAgent) -> None:
        if agent.state == "offline" or self.now != agent.next_away:
            return  # planned in an earlier shift
        if agent.state != "available":
            agent.away_pending = True  # after this contact
        elif self._may_go_away():
            self._go_away(agent)
        else:
            agent.next_away = self.now + 300
            self._at(agent.next_away, self._away_due, agent)

    def _go_away(self, agent: FloorAgent) -> None:
        agent.away_pending = False
        hour = self._local_hour(self.now)
        if not agent.had_lunch and cm.LUNCH_HOURS[0] <= hour < cm.LUNCH_HOURS[1]:
            agent.had_lunch = True
            reason, minutes = "lunch", cm.LUNCH_MINUTES
        else:
            reason = self._rng.choices(list(cm.AWAY), [w for w, _ in cm.AWAY.values()])[0]
            minutes = cm.AWAY[reason][1]
        back = self.now + self._rng.uniform(*minutes) * 60
        self._set_state(agent, "away", reason)
        self._at(back, self._free, agent)
        self._plan_away(agent, back)

    def _roster(self) -> None:
        """Log agents in and out so each team follows the intraday curve; those on longest go
        first, and nobody is cut off mid-contact or mid-break."""
        for members in self._teams.values():
            target = self._target(len(members))
            on = [
                a
                for a in members
                if a.state != "offline" and not a.leaving and a is not self._featured
            ]
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
        self._at(self.now + cm.ROSTER_EVERY, self._roster)

    def _log_in(self, agent: FloorAgent) -> None:
        agent.login_at = self.now
        agent.had_lunch = False
        agent.away_pending = False
        self._plan_away(agent, self.now)
        self._free(agent)

    def _set_state(self, agent: FloorAgent, state: str, reason: str | None = None) -> None:
        agent.state, agent.reason, agent.since = state, reason, self.now
        self._emit_agent(agent)
