"""The agent tab's live items: one hub view per agent, and its pure view-models.

An agent's view (``view=agent&agent=<id>``, key ``agent:<id>``) holds five items: ``me`` (state,
time in state, today's stats), ``queues`` (the queues the agent is skilled for), ``messages``
(those whose audience includes the agent, with whether they acknowledged), ``outages`` (those
touching the agent's queues, or the whole centre) and ``contact`` (the contact the agent has
answered, with its moment-of-truth flags from :mod:`feeds.moments`).

Everything personal is filtered here, on the server: each agent's view is computed from the
mirror for that agent alone, so another agent's state, stats, contact, customer history and the
messages aimed only at them never enter this view's frames, and the stream (which only sends a
view's frames) cannot leak them. Only a supervisor, or the agent themselves, may open the view
(:func:`may_view`, checked by :func:`agent_view_for` before the stream starts).

Like the wall, times travel as timestamps (time in state, longest wait, message start and
expiry) and the browser (``agent.js``, next to this file, through ``assets/stream.js``) ticks
them, so a background tab is current the moment it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import tzinfo
from typing import Any

from dashboard.auth import Principal, has_role
from dashboard.pages.console.model import agents_known, fmt_time
from dashboard.pages.items import (
    NO_VALUE,
    Item,
    fmt_duration,
    outage_entry,
    outage_list,
    queue_tile,
)
from dashboard.pages.wall.layout import AGENT_LABELS
from feeds.bus.schema import Envelope
from feeds.config import Config, Moments, Queue
from feeds.customers.history import PastContact
from feeds.customers.moments import Flag, moment_flags
from feeds.metrics import formulas as metrics
from feeds.notices.messages import PRIORITY_ORDER, Agent, targets
from feeds.notices.outages import SEVERITY_ORDER, outage_touches

ME, QUEUES, MESSAGES, OUTAGES, CONTACT = "me", "queues", "messages", "outages", "contact"
KEYS = (ME, QUEUES, MESSAGES, OUTAGES, CONTACT)
OUTCOMES = {"offered": "waiting", "answered": "in progress", "completed": "handled"}

History = Callable[[str, str], list[PastContact] | None]
Mirror = Mapping[str, Mapping[str, Envelope]]


# -- access -------------------------------------------------------------------------------------


def may_view(principal: Principal | None, agent_id: str) -> bool:
    """An agent sees only their own tab; supervisors and admins may look at anyone's."""
    if principal is None:
        return False
    if has_role(principal, "supervisor"):
        return True
    return principal.role == "agent" and (principal.agent_id or principal.name) == agent_id


# -- view-models (pure) ---------------------------------------------------------------------------


def me_as_agent(
    agent_id: str, state: Envelope | None, roster: Callable[[], Mapping[str, Agent]]
) -> Agent:
    """Who the agent is for targeting: their live team and skills from the bus; without a
    state there (not signed in to the phone system yet), their user's team from the roster."""
    if state is not None:
        return agents_known([state], {})[agent_id]
    return roster().get(agent_id) or Agent(agent_id, agent_id)


def my_queues(agent: Agent, config: Config) -> list[Queue]:
    """The configured queues the agent is skilled for, in the config's order."""
    return [q for q in config.queues if q.id in agent.skills]


def me_item(agent: Agent, state: Envelope | None) -> Item:
    """State, time in state (a timer from ``since``) and today's stats of one agent.

    ASA is the agent's own: the mean queue time of the contacts they answered. The
    acknowledgement backlog is counted by the browser from the ``messages`` item, since a
    message starting or expiring changes it with nothing sent.
    """
    if state is None:
        return {
            "ts": None,
            "stale_after": None,
            "status": "ok",
            "name": agent.name,
            "team": agent.team,
            "state": None,
            "state_text": "Not signed in to the phone system",
            "reason": None,
            "since": None,
            "stats": {"handled": NO_VALUE, "aht": NO_VALUE, "asa": NO_VALUE},
        }
    d = state.data
    s = d["stats"]
    return {
        "ts": state.ts,
        "stale_after": None,
        "status": "ok",
        "name": d["name"],
        "team": d["team"],
        "state": d["state"],
        "state_text": AGENT_LABELS[d["state"]],
        "reason": d["reason"],
        "since": d["since"],
        "stats": {
            "handled": str(s["handled"]),
            "aht": fmt_duration(metrics.aht(s["handle_time"], s["handled"])),
            "asa": fmt_duration(metrics.asa(s["answer_wait"], s["answered"])),
        },
    }


def queue_entry(
    queue: Queue, stats: Envelope | None, delay: Envelope | None, stale_after: float
) -> dict[str, Any]:
    """A queue as the agent sees it: the wall's tile, plus the estimated wait."""
    tile = queue_tile(queue, stats, delay, stale_after)
    ewt = None
    if stats is not None:
        d = stats.data
        a = d["agents"]
        working = a["available"] + a["on_contact"] + a["wrap"]
        ewt = metrics.estimated_wait(d["waiting"], a["available"], working, d["aht"], d["asa"])
    status = queue.thresholds.longest_wait.status(ewt)
    tile["fields"]["ewt"] = {"text": fmt_duration(ewt), "status": status}
    return {"id": queue.id, "name": queue.name, "channel": queue.channel, **tile}


def queues_item(queues: Iterable[Queue], mirror: Mirror, stale_after: float) -> Item:
    stats, delays = mirror.get("queue", {}), mirror.get("delay", {})
    entries = [queue_entry(q, stats.get(q.id), delays.get(q.id), stale_after) for q in queues]
    return {"ts": None, "stale_after": None, "status": "ok", "list": entries}


def audience_text(audience: Mapping[str, Any], queue_names: Mapping[str, str]) -> str:
    """Why the agent got the message, in their terms."""
    kind, value = audience["kind"], audience["value"]
    if kind == "all":
        return "Everyone"
    if kind == "team":
        return f"Team {value}"
    if kind == "queue":
        return f"Queue {queue_names.get(value, value)}"
    return "You"


def messages_item(
    messages: Iterable[Envelope],
    acks: Mapping[str, Envelope],
    agent: Agent,
    queue_names: Mapping[str, str],
    now: float,
) -> Item:
    """The unexpired messages whose audience includes the agent: urgent first, then newest.

    Audience by :func:`feeds.messages.targets`, the rule the backend acknowledges and counts
    by, so the agent is shown an Acknowledge button exactly when their acknowledgement counts.
    Start and expiry travel with each entry: the browser shows and hides them on the second.
    """
    entries = []
    for m in messages:
        d = m.data
        if d["expires_at"] <= now or agent.id not in targets(d["audience"], {agent.id: agent}):
            continue
        ack = acks.get(f"{m.id}:{agent.id}")
        entries.append(
            {
                "id": m.id,
                "priority": d["priority"],
                "text": d["text"],
                "audience": audience_text(d["audience"], queue_names),
                "starts_at": d["starts_at"],
                "expires_at": d["expires_at"],
                "posted": m.ts,
                "author": d["author"],
                "ack_required": d["ack_required"],
                "acked_at": ack.data["at"] if ack is not None else None,
            }
        )
    entries.sort(key=lambda e: (PRIORITY_ORDER[e["priority"]], -e["posted"]))
    return {"ts": None, "stale_after": None, "status": "ok", "list": entries}


def outages_item(
    outages: Iterable[Envelope], queue_ids: Collection[str], queue_names: Mapping[str, str]
) -> Item:
    """Active outages touching the agent's queues or the whole centre, latest update first,
    with what the agent may say, do and offer."""
    found = [o for o in outages if outage_touches(o.data, queue_ids)]
    found.sort(key=lambda o: (-o.ts, SEVERITY_ORDER[o.data["severity"]]))
    return outage_list(
        [
            {**outage_entry(o), "queues": [queue_names.get(q, q) for q in o.data["queues"]]}
            for o in found
        ]
    )


def current_contact(contacts: Iterable[Envelope], agent_id: str) -> Envelope | None:
    """The contact the agent is talking to: answered by them and not yet completed (the live
    state drops contacts when they end); the latest answered, should a feed show two."""
    mine = [c for c in contacts if c.data["agent_id"] == agent_id and c.data["event"] == "answered"]
    return max(mine, key=lambda c: (c.data["answered_at"] or c.ts, c.id), default=None)


def _past_line(
    past: Mapping[str, Any],
    queue_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    tz: tzinfo,
    ref: float,
) -> dict[str, str]:
    """An earlier contact as one line of the card: when, where, and what came of it."""
    agent = agent_names.get(past["agent_id"], past["agent_id"]) if past["agent_id"] else None
    if past["outcome"] == "abandoned":
        outcome = f"gave up after {fmt_duration(past['waited'])}"
    elif past["outcome"] == "completed":
        took = f" in {fmt_duration(past['handle'])}" if past["handle"] is not None else ""
        outcome = f"handled by {agent}{took}"
    else:
        outcome = OUTCOMES[past["outcome"]] + (f" with {agent}" if agent else "")
    return {
        "id": past["id"],
        "when": fmt_time(past["at"], tz, ref),
        "where": queue_names.get(past["queue"], past["queue"]),
        "outcome": outcome,
    }


def flag_entry(
    flag: Flag,
    queue_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    tz: tzinfo,
    ref: float,
) -> dict[str, Any]:
    """A flag as the card shows it: the facts as short text, the suggestion, the specifics."""
    f = flag.facts
    entry: dict[str, Any] = {
        "kind": flag.kind,
        "title": flag.title,
        "suggestion": flag.suggestion,
        "detail": "",
    }
    if flag.kind == "outage":
        entry.update(
            detail=f["severity"].capitalize(),
            eta=f["eta"],  # formatted by the browser in the centre's time zone, as on the wall
            wording=f["wording"],
            offer=f["offer"],
            workaround=f["workaround"],
        )
    elif flag.kind == "waited":
        entry["detail"] = f"Waited {fmt_duration(f['waited'])} (target {fmt_duration(f['target'])})"
    elif flag.kind == "callback":
        queue = queue_names.get(f["queue"], f["queue"])
        entry["detail"] = (
            f"Gave up at {fmt_time(f['abandoned_at'], tz, ref)} after "
            f"{fmt_duration(f['waited'])} on {queue}"
        )
    elif flag.kind == "repeat":
        entry["last"] = [_past_line(p, queue_names, agent_names, tz, ref) for p in f["last"]]
    return entry


def no_card() -> Item:
    return {"ts": None, "stale_after": None, "status": "ok", "card": None}


def contact_item(
    contact: Envelope,
    queue: Queue | None,
    history: list[PastContact] | None,
    outages: Iterable[Envelope],
    settings: Moments,
    agent_names: Mapping[str, str],
    queue_names: Mapping[str, str],
    tz: tzinfo,
) -> Item:
    """The moment-of-truth card of the answered contact.

    ``history`` None means it could not be read: the card still shows, with the flags that
    need no history, and says the history is unavailable.
    """
    d = dict(contact.data)
    if d["answered_at"] is None:
        d["answered_at"] = contact.ts  # a feed that does not say: when we heard of it
    flags: list[Flag] = []
    if queue is not None:
        flags = moment_flags(contact.id, d, queue, history or [], outages, settings)
    ref = d["enqueued_at"]
    card = {
        "id": contact.id,
        "customer_id": d["customer_id"],
        "queue": queue_names.get(d["queue"], d["queue"]),
        "channel": d["channel"],
        "tags": d["tags"],
        "enqueued_at": d["enqueued_at"],
        "answered_at": d["answered_at"],
        "waited": fmt_duration(d["answered_at"] - d["enqueued_at"]),
        "history_missing": history is None,
        "flags": [flag_entry(f, queue_names, agent_names, tz, ref) for f in flags],
    }
    return {
        "ts": contact.ts,
        "stale_after": None,
        "status": "alert" if flags else "ok",
        "card": card,
    }


# -- the hub view ---------------------------------------------------------------------------------


class AgentView:
    """One agent's items. The spec remembers the agent's queues and the contact on the card
    (as last computed) so that it can tell, from an envelope alone, whether it matters here."""

    def __init__(
        self,
        config: Config,
        agent_id: str,
        roster: Callable[[], Mapping[str, Agent]],
        history: History | None,
    ) -> None:
        self.config = config
        self.agent_id = agent_id
        self.roster = roster
        self.history = history
        self.key = f"agent:{agent_id}"
        self.queue_names = {q.id: q.name for q in config.queues}
        self.queue_ids: frozenset[str] = frozenset()
        self.contact_id: str | None = None

    def keys(self) -> list[str]:
        return list(KEYS)

    def affected(self, env: Envelope) -> set[str]:
        kind = env.kind
        if kind == "agent":
            return {ME, QUEUES, MESSAGES, OUTAGES} if env.id == self.agent_id else set()
        if kind in ("queue", "delay"):
            return {QUEUES} if env.id in self.queue_ids else set()
        if kind == "message":
            return {MESSAGES}
        if kind == "ack":
            return {MESSAGES} if env.id.endswith(f":{self.agent_id}") else set()
        if kind == "outage":
            return {OUTAGES, CONTACT}
        if kind == "contact":
            mine = env.data.get("agent_id") == self.agent_id or env.id == self.contact_id
            return {CONTACT} if mine else set()
        return set()

    def compute(self, key: str, mirror: Mirror, now: float) -> Item:
        state = mirror.get("agent", {}).get(self.agent_id)
        agent = me_as_agent(self.agent_id, state, self.roster)
        if key == ME:
            return me_item(agent, state)
        if key == QUEUES:
            queues = my_queues(agent, self.config)
            self.queue_ids = frozenset(q.id for q in queues)
            return queues_item(queues, mirror, self.config.centre.stale_after)
        if key == MESSAGES:
            return messages_item(
                mirror.get("message", {}).values(),
                mirror.get("ack", {}),
                agent,
                self.queue_names,
                now,
            )
        if key == OUTAGES:
            queue_ids = {q.id for q in my_queues(agent, self.config)}
            return outages_item(mirror.get("outage", {}).values(), queue_ids, self.queue_names)
        if key == CONTACT:
            return self._contact(mirror)
        raise KeyError(key)

    def _contact(self, mirror: Mirror) -> Item:
        contact = current_contact(mirror.get("contact", {}).values(), self.agent_id)
        self.contact_id = contact.id if contact else None
        if contact is None:
            return no_card()
        d = contact.data
        names = {a: e.data["name"] for a, e in mirror.get("agent", {}).items()}
        names[self.agent_id] = "you"  # "handled by you": the customer may say so too
        return contact_item(
            contact,
            self.config.queue(d["queue"]),
            self.history(d["customer_id"], contact.id) if self.history is not None else None,
            mirror.get("outage", {}).values(),
            self.config.moments,
            names,
            self.queue_names,
            self.config.tz,
        )


def agent_view_for(
    config: Config,
    params: Mapping[str, str],
    principal: Principal | None,
    roster: Callable[[], Mapping[str, Agent]],
    history: History | None,
) -> AgentView:
    """The view for ``/stream?view=agent&agent=<id>``: ``LookupError`` for no or an unknown
    agent, ``PermissionError`` when the principal may not see that agent's tab."""
    agent_id = params.get("agent", "")
    if not agent_id:
        raise LookupError("agent: no agent given")
    if not may_view(principal, agent_id):
        raise PermissionError("an agent may only open their own tab")
    assert principal is not None  # may_view is False for None
    if principal.role != "agent" and agent_id not in roster():
        raise LookupError(f"agent: unknown agent {agent_id!r}")
    return AgentView(config, agent_id, roster, history)
