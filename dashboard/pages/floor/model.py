"""The supervisor's floor: every agent as a cell, the queues in detail, the blended queue.

A supervisor's question is "who needs a look now?": the agent in wrap-up for six minutes, the
break that ran over, the queue with nobody available. The floor view (``view=floor``) answers
it from the hub's mirror like every other view: items computed once per change, shared by every
supervisor's screen, applied in the browser by ``floor.js`` (next to this file).

Items, and why they are split so:

* ``floor:agents``: every agent's cell, computed when the view is (re)built;
* ``floor:agent:<id>``: one agent's cell, recomputed when that agent or their contact changes.
  With 500 agents and 50 state changes a second, one agent's change costs one cell, not five
  hundred; the browser lays the newer cell over the one in ``floor:agents``.
* ``floor:backlog``: each agent's count of messages still to acknowledge (a message or an
  acknowledgement moves many agents at once, so it is one item of its own);
* ``floor:queues``: each queue's and each channel's card (:mod:`.card`);
* ``floor:blended``: every waiting contact across channels and queues, in the order the
  blended queue works them (:mod:`feeds.routing`).

Time in state ticks in the browser from ``since``; each cell carries its state's limits
(:class:`feeds.floor.Floor`), so the browser colours it on the second. Sorting, filtering and
collapsing past ``collapse_at`` agents are the browser's, on these cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dashboard.pages.agent.card import current_contact
from dashboard.pages.floor.card import queue_cards
from dashboard.pages.items import AGENT_LABELS, Item, blended_list, contact_where, item
from feeds.bus.fields import AGENT_STATES
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.floor import Floor
from feeds.notices.audience import Agent, agents_known, targets
from feeds.notices.messages import message_status
from feeds.routing import Router

AGENTS, BACKLOG, QUEUES = "floor:agents", "floor:backlog", "floor:queues"
BLENDED = "floor:blended"
BLENDED_SHOWN = 300  # waiting contacts listed; the rest are counted
AGENT_PREFIX = "floor:agent:"
# "Away first": who is not taking contacts, then who is about to, then the rest.
AWAY_FIRST = {"away": 0, "wrap": 1, "on_contact": 2, "available": 3, "offline": 4}
assert set(AWAY_FIRST) == set(AGENT_STATES)
STATE_ICONS = {"available": "✓", "on_contact": "☎\ufe0e", "wrap": "✎", "away": "‖", "offline": "○"}
assert set(STATE_ICONS) == set(AGENT_STATES)
NO_TEAM = "No team"

Mirror = Mapping[str, Mapping[str, Envelope]]


def agent_key(agent_id: str) -> str:
    return f"{AGENT_PREFIX}{agent_id}"


def contact_entry(contact: Envelope | None, queue_names: Mapping[str, str]) -> dict | None:
    """The agent's current contact as a cell shows it: its channel (and icon) and queue."""
    if contact is None:
        return None
    return {**contact_where(contact, queue_names), "ringing": contact.data["event"] == "offered"}


def agent_cell(
    env: Envelope, contact: Envelope | None, floor: Floor, queue_names: Mapping[str, str]
) -> dict[str, Any]:
    """One agent's cell: who, their team, state (word, icon, order), since when, the limits on
    their time in it, the queues they serve and the contact they are on."""
    d = env.data
    state, reason = d["state"], d.get("reason")
    limit = floor.limit(state, reason)
    return {
        "id": env.id,
        "name": d["name"],
        "team": d.get("team") or NO_TEAM,
        "state": state,
        "label": AGENT_LABELS[state],
        "icon": STATE_ICONS[state],
        "rank": AWAY_FIRST[state],
        "reason": reason or "",
        "since": d["since"],
        "warn": limit.warn if limit else None,
        "alert": limit.alert if limit else None,
        "queues": list(d.get("skills", ())),
        "contact": contact_entry(contact, queue_names),
    }


def contacts_by_agent(contacts: Iterable[Envelope]) -> dict[str, list[Envelope]]:
    """The live contacts grouped by the agent they are with (or ringing at)."""
    mine: dict[str, list[Envelope]] = {}
    for c in contacts:
        agent = c.data.get("agent_id")
        if agent:
            mine.setdefault(agent, []).append(c)
    return mine


def floor_cells(
    agents: Iterable[Envelope], contacts: Iterable[Envelope], floor: Floor, names: Mapping[str, str]
) -> Item:
    """Every agent's cell, by team then name (the browser sorts as the supervisor chooses)."""
    mine = contacts_by_agent(contacts)
    cells = [agent_cell(a, current_contact(mine.get(a.id, ()), a.id), floor, names) for a in agents]
    cells.sort(key=lambda c: (c["team"], c["name"], c["id"]))
    return item(list=cells, collapse_at=floor.collapse_at)


def ack_backlog(
    messages: Iterable[Envelope],
    acks: Iterable[Envelope],
    agents: Callable[[], Mapping[str, Agent]],
    now: float,
) -> dict[str, int]:
    """Per agent, the active messages that ask for an acknowledgement they have not given
    (targeted as :func:`feeds.notices.audience.targets` says, as the console counts them).

    ``agents`` is asked only when some message wants acknowledging: the backlog is computed on
    every agent's change, and building five hundred agents for no message was most of the
    floor's server time per change."""
    owed = [
        m for m in messages if m.data["ack_required"] and message_status(m.data, now) == "active"
    ]
    if not owed:
        return {}
    known = agents()
    done = {(a.data["message_id"], a.data["agent_id"]) for a in acks}
    backlog: dict[str, int] = {}
    for m in owed:
        d = m.data
        for agent in targets(d["audience"], known):
            if (m.id, agent) not in done:
                backlog[agent] = backlog.get(agent, 0) + 1
    return backlog


class FloorView:
    """The floor for supervisors; every supervisor's screen shares the one view."""

    key = "floor"

    def __init__(self, config: Config, roster: Callable[[], Mapping[str, Agent]]) -> None:
        self.config = config
        self.roster = roster
        self.queue_names = {q.id: q.name for q in config.queues}
        self.router = Router.of(config.routing.rule, config.queues)

    def keys(self) -> list[str]:
        return [AGENTS, BACKLOG, QUEUES, BLENDED]

    def affected(self, env: Envelope) -> set[str]:
        if env.kind == "agent":
            return {agent_key(env.id), BACKLOG, QUEUES}  # team and skills move audiences
        if env.kind == "contact":
            agent = env.data.get("agent_id")
            return {agent_key(agent), BLENDED} if agent else {BLENDED}
        if env.kind in ("message", "ack"):
            return {BACKLOG}
        if env.kind in ("queue", "delay", "outage"):
            return {QUEUES}
        return set()

    def compute(self, key: str, mirror: Mirror, now: float) -> Item:
        agents = mirror.get("agent", {})
        if key.startswith(AGENT_PREFIX):
            agent_id = key[len(AGENT_PREFIX) :]
            env = agents.get(agent_id)
            if env is None:  # gone from the floor (deleted)
                return item(cell=None, id=agent_id)
            mine = contacts_by_agent(mirror.get("contact", {}).values()).get(agent_id, ())
            contact = current_contact(mine, agent_id)
            return item(cell=agent_cell(env, contact, self.config.floor, self.queue_names))
        if key == AGENTS:
            contacts = mirror.get("contact", {}).values()
            return floor_cells(agents.values(), contacts, self.config.floor, self.queue_names)
        if key == BACKLOG:
            messages, acks = mirror.get("message", {}).values(), mirror.get("ack", {}).values()

            def known() -> dict[str, Agent]:
                return agents_known(agents.values(), self.roster())

            return item(counts=ack_backlog(messages, acks, known, now))
        if key == QUEUES:
            return queue_cards(self.config, mirror)
        if key == BLENDED:
            contacts = mirror.get("contact", {}).values()
            return blended_list(contacts, self.queue_names, BLENDED_SHOWN, self.router, now)
        raise KeyError(key)
