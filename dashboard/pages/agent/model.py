"""The agent tab's live items: one hub view per agent, and its pure view-models.

An agent's view (``view=agent&agent=<id>``, key ``agent:<id>``) holds these items: ``me`` (state,
time in state, today's stats), ``queues`` (the queues the agent is skilled for), ``messages``
(those whose audience includes the agent, with whether they acknowledged), ``outages`` (those
touching the agent's queues, or the whole centre), ``contact`` (the moment-of-truth card of
the contact ringing at the agent or answered by them, :mod:`dashboard.pages.agent.card`),
``next`` (the waiting contacts coming to them, in routing order: ``items.next_item``) and
``my_day`` (their day's chart).

Everything personal is filtered here, on the server: each agent's view is computed from the
mirror for that agent alone, so another agent's state, stats, contact, customer (profile,
history, what they were given) and the messages aimed only at them never enter this view's
frames, and the stream (which only sends a view's frames) cannot leak them. The customer is
read by id for the agent's own current contact only (``customers``, ``history``). Who may open
the view is decided by :func:`dashboard.auth.access.may_view_agent` before the stream starts.

Like the wall, times travel as timestamps (time in state, longest wait, message start and
expiry) and the browser (``agent.js``, next to this file, through ``assets/stream.js``) ticks
them, so a background tab is current the moment it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from dashboard.pages.agent.card import Desk, contact_item, current_contact
from dashboard.pages.charts.model import agent_day_item, watches_agent_day
from dashboard.pages.items import (
    AGENT_LABELS,
    NO_VALUE,
    Item,
    duration_field,
    feeding_sources,
    item,
    next_item,
    outage_entry,
    outage_list,
    queue_tile,
)
from feeds.bus.schema import Envelope
from feeds.config import Config, Queue
from feeds.customers.history import PastContact
from feeds.customers.profiles import Caller
from feeds.metrics import formulas as metrics
from feeds.notices.audience import Agent, Reader, agent_from_state, audience_text, reaches
from feeds.notices.messages import message_order
from feeds.notices.outages import outage_order, outage_touches
from feeds.routing import Router, is_waiting
from feeds.times import fmt_duration

ME, QUEUES, MESSAGES, OUTAGES, CONTACT = "me", "queues", "messages", "outages", "contact"
NEXT, NEXT_SHOWN = "next", 5  # the contacts coming to the agent: a short list, not the queue
MY_DAY = "my_day"  # the agent's own day chart (dashboard.pages.charts.model.agent_day_item)
KEYS = (ME, QUEUES, MESSAGES, OUTAGES, CONTACT, NEXT, MY_DAY)

History = Callable[[str, str], list[PastContact] | None]
Mirror = Mapping[str, Mapping[str, Envelope]]


class Customers(Protocol):
    """Reads the customer on a contact (:class:`feeds.customers.profiles.CustomerCache`)."""

    def __call__(self, customer_id: str, contact_id: str) -> Caller | None: ...
    def forget(self, customer_id: str) -> None: ...


# -- view-models (pure) ---------------------------------------------------------------------------


def me_as_agent(
    agent_id: str, state: Envelope | None, roster: Callable[[], Mapping[str, Agent]]
) -> Agent:
    """Who the agent is for targeting: their live team and skills from the bus; without a
    state there (not signed in to the phone system yet), their user's team from the roster."""
    if state is not None:
        return agent_from_state(state)
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
        return item(
            name=agent.name,
            team=agent.team,
            state=None,
            state_text="Not signed in to the phone system",
            reason=None,
            since=None,
            stats={"handled": NO_VALUE, "aht": NO_VALUE, "asa": NO_VALUE},
        )
    d = state.data
    s = d["stats"]
    return item(
        state.ts,
        name=d["name"],
        team=d["team"],
        state=d["state"],
        state_text=AGENT_LABELS[d["state"]],
        reason=d["reason"],
        since=d["since"],
        stats={
            "handled": str(s["handled"]),
            "aht": fmt_duration(metrics.aht(s["handle_time"], s["handled"])),
            "asa": fmt_duration(metrics.asa(s["answer_wait"], s["answered"])),
        },
    )


def queue_entry(
    queue: Queue,
    stats: Envelope | None,
    delay: Envelope | None,
    stale_after: float,
    sources: list[Any] | None = None,
) -> dict[str, Any]:
    """A queue as the agent sees it: the wall's tile (greyed, naming a silent source, as there),
    plus the estimated wait: the one the aggregator publishes (abandonment and blended agents
    counted, docs/metrics.md), or, from a feed that sends its own statistics without one, the
    same formula on what it does send."""
    tile = queue_tile(queue, stats, delay, stale_after, sources)
    ewt = None
    if stats is not None:
        d = stats.data
        ewt = d.get("estimated_wait")
        if ewt is None:
            a = d["agents"]
            working = a["available"] + a["on_contact"] + a["wrap"]
            ewt = metrics.estimated_wait(d["waiting"], a["available"], working, d["aht"], d["asa"])
    tile["fields"]["ewt"] = duration_field(ewt, queue.thresholds.longest_wait)
    return {"id": queue.id, "name": queue.name, "channel": queue.channel, **tile}


def queues_item(queues: Iterable[Queue], mirror: Mirror, stale_after: float) -> Item:
    stats, delays, beats = (mirror.get(k, {}) for k in ("queue", "delay", "heartbeat"))
    entries = [queue_entry(q, stats.get(q.id), delays.get(q.id), stale_after,
                           feeding_sources(stats.get(q.id), beats)) for q in queues]  # fmt: skip
    return item(list=entries)


def messages_item(
    messages: Iterable[Envelope],
    acks: Mapping[str, Envelope],
    agent: Agent,
    queue_names: Mapping[str, str],
    now: float,
) -> Item:
    """The unexpired messages whose audience includes the agent: urgent first, then newest.

    Audience by :func:`feeds.notices.audience.reaches`, the rule the backend acknowledges and
    counts by, so the agent is shown an Acknowledge button exactly when it counts.
    Start and expiry travel with each entry: the browser shows and hides them on the second.
    """
    entries = []
    for m in sorted(messages, key=lambda m: message_order(m.data, m.ts)):
        d = m.data
        if d["expires_at"] <= now or not reaches(d["audience"], Reader(agent=agent)):
            continue
        ack = acks.get(f"{m.id}:{agent.id}")
        entries.append(
            {
                "id": m.id,
                "priority": d["priority"],
                "text": d["text"],
                "audience": audience_text(d["audience"], queue_names, {}, me=agent.id),
                "starts_at": d["starts_at"],
                "expires_at": d["expires_at"],
                "posted": m.ts,
                "author": d["author"],
                "ack_required": d["ack_required"],
                "acked_at": ack.data["at"] if ack is not None else None,
            }
        )
    return item(list=entries)


def outages_item(
    outages: Iterable[Envelope], queue_ids: Collection[str], queue_names: Mapping[str, str]
) -> Item:
    """Active outages touching the agent's queues or the whole centre, in the order of every
    outage list, with what the agent may say, do and offer."""
    found = [o for o in outages if outage_touches(o.data, queue_ids)]
    found.sort(key=lambda o: outage_order(o.data))
    return outage_list(
        [
            {**outage_entry(o), "queues": [queue_names.get(q, q) for q in o.data["queues"]]}
            for o in found
        ]
    )


# -- the hub view ---------------------------------------------------------------------------------


class AgentView:
    """One agent's items. The spec remembers the agent's queues and the contact and customer on
    the card (as last computed) so that it can tell, from an envelope alone, whether it matters
    here; a change to that customer (profile, what they were given, the CRM's answer) also
    drops them from the shared customer cache so the card reads them again."""

    def __init__(
        self,
        config: Config,
        agent_id: str,
        roster: Callable[[], Mapping[str, Agent]],
        history: History | None,
        customers: Customers | None = None,
    ) -> None:
        self.config = config
        self.agent_id = agent_id
        self.roster = roster
        self.history = history
        self.customers = customers
        self.key = f"agent:{agent_id}"
        self.queue_names = {q.id: q.name for q in config.queues}
        self.router = Router.of(config.routing.rule, config.queues)
        self.queue_ids: frozenset[str] = frozenset()
        self.skills: frozenset[str] = frozenset()  # as NEXT last read them
        self.next_ids: frozenset[str] = frozenset()  # the waiting contacts NEXT counted
        self.contact_id: str | None = None
        self.customer_id: str | None = None
        self.contact_queue: str | None = None
        self.waiting_for_crm = False

    def keys(self) -> list[str]:
        return list(KEYS)

    def affected(self, env: Envelope) -> set[str]:
        kind, carded = env.kind, self.contact_id is not None
        if kind == "agent":
            if env.id != self.agent_id:
                return set()
            skills = frozenset(env.data.get("skills", ())) != self.skills
            return (
                {ME, QUEUES, MESSAGES, OUTAGES}
                | ({CONTACT} if carded else set())
                | ({NEXT} if skills else set())
            )
        if kind == "heartbeat":  # its producer may feed my queues
            return {QUEUES} if self.queue_ids else set()
        if kind in ("queue", "delay"):
            keys = {QUEUES} if env.id in self.queue_ids else set()
            return keys | ({CONTACT} if kind == "delay" and env.id == self.contact_queue else set())
        if kind == "message":
            return {MESSAGES}
        if kind == "ack":
            return {MESSAGES} if env.id.endswith(f":{self.agent_id}") else set()
        if kind == "outage":
            return {OUTAGES, CONTACT}
        if kind == "contact":
            mine = env.data.get("agent_id") == self.agent_id or env.id == self.contact_id
            waits = not env.deleted and is_waiting(env) and env.data["queue"] in self.skills
            coming = waits or env.id in self.next_ids
            return ({CONTACT} if mine else set()) | ({NEXT} if coming else set())
        if kind == "rule":
            return {CONTACT} if carded else set()
        if watches_agent_day(self.agent_id, env):
            return {MY_DAY}
        customer = {"customer": env.id, "commitment": env.data.get("customer_id")}.get(kind)
        crm = kind == "system" and env.id == "crm" and self.waiting_for_crm
        if self.customer_id is not None and (customer == self.customer_id or crm):
            if self.customers is not None:
                self.customers.forget(self.customer_id)
            return {CONTACT}
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
            return self._contact(mirror, now)
        if key == NEXT:
            self.skills, contacts = agent.skills, mirror.get("contact", {}).values()
            self.next_ids = frozenset(
                c.id for c in contacts if c.data["queue"] in agent.skills and is_waiting(c)
            )
            names = self.queue_names
            return next_item(agent.skills, contacts, self.router, names, now, NEXT_SHOWN)
        if key == MY_DAY:
            return agent_day_item(self.config, self.agent_id, mirror, now)
        raise KeyError(key)

    def _contact(self, mirror: Mirror, now: float) -> Item:
        contact = current_contact(mirror.get("contact", {}).values(), self.agent_id)
        self.contact_id = contact.id if contact else None
        self.customer_id = contact.data["customer_id"] if contact else None
        self.contact_queue = contact.data["queue"] if contact else None
        if contact is None:
            self.waiting_for_crm = False
            return item(card=None)
        d = contact.data
        names = {a: e.data["name"] for a, e in mirror.get("agent", {}).items()}
        names[self.agent_id] = "you"  # "handled by you": the customer may say so too
        customer, cid = d["customer_id"], contact.id
        caller = self.customers(customer, cid) if self.customers is not None else None
        self.waiting_for_crm = caller is not None and caller.crm == "pending"
        me = mirror.get("agent", {}).get(self.agent_id)
        c = self.config
        return contact_item(
            contact,
            queue=c.queue(d["queue"]),
            history=self.history(customer, cid) if self.history is not None else None,
            caller=caller,
            outages=mirror.get("outage", {}).values(),
            rules=mirror.get("rule", {}).values(),
            delay=mirror.get("delay", {}).get(d["queue"]),
            me=me.data if me is not None else None,
            desk=Desk(c.moments, c.customers, c.tz, self.queue_names, names),
            now=now,
        )
