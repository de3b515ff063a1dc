"""Who a key message is for: the agents the centre knows, whom an audience reaches, and how an
audience reads to a person (and is typed by one).

One home for these rules, because the backend (posting, acknowledging, counting) and every
screen (the console's "acknowledged 2 of 3", the agent's "for Team North") must agree on them:
a screen that drew an audience differently from the count would show an Acknowledge button
whose click is refused, or a "pending" name who could never have acknowledged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

import redis

from feeds.bus.notice_kinds import Audience
from feeds.bus.schema import Envelope
from feeds.errors import SchemaError

log = logging.getLogger(__name__)

AUDIENCE_KINDS: tuple[str, ...] = get_args(Audience.model_fields["kind"].annotation)
ROSTER_SECONDS = 30.0  # how often a cached roster re-reads the agent users (added rarely)


@dataclass(frozen=True)
class Agent:
    """What targeting needs to know about an agent."""

    id: str
    name: str
    team: str | None = None
    skills: frozenset[str] = frozenset()


def agent_from_state(env: Envelope) -> Agent:
    """An agent as their live state on the bus describes them (team and skills change)."""
    d = env.data
    return Agent(env.id, d["name"], d["team"], frozenset(d["skills"]))


def agents_known(states: Iterable[Envelope], roster: Mapping[str, Agent]) -> dict[str, Agent]:
    """The roster with each agent's live state from the bus laid on top.

    The roster (agent users) counts too, so a message can target an agent who has not signed
    in to the telephony yet today (the bus has no state for them).
    """
    known = dict(roster)
    for env in states:
        known[env.id] = agent_from_state(env)
    return known


def targets(audience: Mapping[str, Any], agents: Mapping[str, Agent]) -> list[str]:
    """Ids of the agents an audience reaches: everyone, a team, a queue's skilled agents, one."""
    kind, value = audience["kind"], audience["value"]
    return sorted(
        a.id
        for a in agents.values()
        if kind == "all"
        or (kind == "team" and a.team == value)
        or (kind == "queue" and value in a.skills)
        or (kind == "agent" and a.id == value)
    )


@dataclass(frozen=True)
class Reader:
    """Who is reading key messages, for :func:`reaches`: one agent (the messages aimed at them),
    the floor (walls and viewers: messages for everyone, or for one of ``queues``, any queue
    when None, or for ``team``, a team's own wall), or a supervisor (``everything``)."""

    agent: Agent | None = None
    queues: frozenset[str] | None = None
    everything: bool = False
    team: str | None = None


SUPERVISOR = Reader(everything=True)
FLOOR = Reader()


def reaches(audience: Mapping[str, Any], reader: Reader) -> bool:
    """Whether a message with this audience is the reader's to see: the one rule the streams
    (wall ticker, agent tab, console) and the API's reads all apply."""
    if reader.everything:
        return True
    if reader.agent is not None:
        return reader.agent.id in targets(audience, {reader.agent.id: reader.agent})
    kind, value = audience["kind"], audience.get("value")
    return (
        kind == "all"
        or (kind == "queue" and (reader.queues is None or value in reader.queues))
        or (kind == "team" and reader.team is not None and value == reader.team)
    )


def audience_text(
    audience: Mapping[str, Any],
    queue_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    me: str | None = None,
) -> str:
    """ "Everyone", "Team North", "Queue Faults & Outages", "Agent Ann Lee", or "You" when the
    audience is the agent ``me`` reading it: as a person says it."""
    kind, value = audience["kind"], audience.get("value")
    if kind == "all":
        return "Everyone"
    if kind == "team":
        return f"Team {value}"
    if kind == "queue":
        return f"Queue {queue_names.get(value, value)}"
    if value == me:
        return "You"
    return f"Agent {agent_names.get(value, value)}"


def parse_audience(field: str, text: str) -> dict[str, str]:
    """An audience as a person types it, ``all``, ``team:NAME``, ``queue:ID`` or ``agent:ID``,
    → the stored form. Whether that team, queue or agent exists is checked when the message is
    written, against the centre as it is then."""
    if text == "all":
        return {"kind": "all"}
    kind, sep, value = text.partition(":")
    if not sep or kind not in AUDIENCE_KINDS or kind == "all" or not value:
        raise SchemaError(field, "expected all, team:NAME, queue:ID or agent:ID")
    return {"kind": kind, "value": value}


def typed_audience(audience: Mapping[str, Any]) -> str:
    """The stored form → what :func:`parse_audience` reads (``team:North``): how listings made
    for typing back, such as the command line's, show an audience."""
    return "all" if audience["kind"] == "all" else f"{audience['kind']}:{audience['value']}"


class Roster:
    """The agents the account store knows, re-read at most every :data:`ROSTER_SECONDS`.

    The hub computes items under its lock on every change; one Redis read per half-minute keeps
    that cheap. If Redis cannot answer, the last roster is kept: the subscriber notices the
    outage itself and resnapshots when it is back.
    """

    def __init__(
        self,
        read: Callable[[], Mapping[str, Agent]],
        ttl: float = ROSTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.read = read
        self.ttl = ttl
        self.clock = clock
        self.agents: dict[str, Agent] = {}
        self.read_at: float | None = None

    def __call__(self) -> dict[str, Agent]:
        now = self.clock()
        if self.read_at is None or now - self.read_at >= self.ttl:
            try:
                self.agents = dict(self.read())
            except redis.RedisError as exc:
                log.warning("cannot read the agent roster, keeping the last one: %s", exc)
            self.read_at = now
        return self.agents
