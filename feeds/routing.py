"""Which waiting contact comes next: the blended queue in arrival order, or queue by queue.

A centre that blends its channels works every contact in the order it arrived (the sources
this product is built from: iGo answers an email that came before a call before that call),
each going to an agent with the skill for its queue. A centre that does not serves its queues
by priority: every call before any chat, every chat before any email; or, the demo's default,
takes the contact furthest past its queue's service-level threshold. Which of the three is in
force is the config's ``[routing] rule``; the floor's blended list, an agent's next items (the
agent tab, the floor's "next for") and the simulator's routing all come from the rules here.

Blended: a contact's ``priority`` first (higher first: a VIP or a promised callback may jump
the line), then arrival (``enqueued_at``). Queue by queue: the queue's rank, then as blended
within it. Overdue: priority, then how far past its queue's threshold (wait ÷ threshold, most
first), then arrival. Last the id, so ties read the same on every screen. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict

from feeds.bus.schema import Envelope

Routing = Literal["overdue", "blended", "queue_priority"]
ROUTINGS: tuple[str, ...] = get_args(Routing)
# The rule as a person reads it (the agent tab says by which rule its list is ordered).
RULE_TEXT = {
    "overdue": "most overdue against its queue's target first",
    "blended": "in the order they arrived, whatever the channel",
    "queue_priority": "queue by queue: voice, then chat, then the rest",
}
assert tuple(RULE_TEXT) == ROUTINGS
DEFAULT_THRESHOLD = 20.0  # seconds: a queue the config does not know (as a queue's default)
FLAGS = ("callback", "vip")  # tags a contact's entry shows as flags


def blended_order(data: Mapping[str, Any], contact_id: str = "") -> tuple[float, float, str]:
    """The sort key of the blended queue: priority (higher first), arrival, id."""
    return (-data.get("priority", 0), data["enqueued_at"], contact_id)


def queue_order(
    data: Mapping[str, Any], rank: Mapping[str, int], contact_id: str = ""
) -> tuple[int, float, float, str]:
    """The sort key queue by queue: the queue's rank (0 first), then as :func:`blended_order`."""
    return (rank.get(data["queue"], len(rank)), *blended_order(data, contact_id))


def overdue_order(
    data: Mapping[str, Any], thresholds: Mapping[str, float], now: float, contact_id: str = ""
) -> tuple[float, float, float, str]:
    """The sort key by how overdue: priority, then wait ÷ the queue's service-level threshold
    (most first: a four-hour email target does not starve a one-minute chat), then arrival."""
    waited = (now - data["enqueued_at"]) / thresholds.get(data["queue"], DEFAULT_THRESHOLD)
    return (-data.get("priority", 0), -waited, data["enqueued_at"], contact_id)


class QueueLike(Protocol):
    """What the rules need of a configured queue (:class:`feeds.config.Queue`)."""

    id: str
    channel: str
    sl_threshold: float


def queue_ranks(queues: Iterable[QueueLike]) -> dict[str, int]:
    """Queue by queue: voice first, then chat, then the rest, each in the config's order."""
    first = {c: i for i, c in enumerate(("voice", "chat"))}
    ranked = sorted(queues, key=lambda q: first.get(q.channel, len(first)))
    return {q.id: i for i, q in enumerate(ranked)}


class RoutingConfig(BaseModel):
    """``[routing]``: the rule the centre routes by (the simulator's, and the one every list
    of next items is ordered by; an ACD that routes itself: say its rule here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Routing = "overdue"


@dataclass(frozen=True)
class Router:
    """The rule in force with what it needs of the queues: the one order of waiting contacts."""

    rule: str
    ranks: Mapping[str, int]
    thresholds: Mapping[str, float]

    @classmethod
    def of(cls, rule: str, queues: Iterable[QueueLike]) -> Router:
        if rule not in ROUTINGS:
            raise ValueError(f"routing must be one of {', '.join(ROUTINGS)}")
        queues = list(queues)
        return cls(rule, queue_ranks(queues), {q.id: q.sl_threshold for q in queues})

    def key(self, data: Mapping[str, Any], contact_id: str, now: float) -> tuple:
        """Where a contact comes under the rule: lower first."""
        if self.rule == "blended":
            return blended_order(data, contact_id)
        if self.rule == "queue_priority":
            return queue_order(data, self.ranks, contact_id)
        return overdue_order(data, self.thresholds, now, contact_id)

    def order(self, contacts: Iterable[Envelope], now: float) -> list[Envelope]:
        """Every waiting contact, in the order the rule gives them to agents (as of ``now``:
        overdue's order moves with time)."""
        waiting = [c for c in contacts if is_waiting(c)]
        waiting.sort(key=lambda c: self.key(c.data, c.id, now))
        return waiting

    def next_for(
        self, skills: Iterable[str], contacts: Iterable[Envelope], now: float, n: int
    ) -> tuple[list[Envelope], int]:
        """An agent's next items: the first ``n`` waiting contacts of the queues they have the
        skill for, in the order they will receive them, and how many such are waiting."""
        mine = set(skills)
        ordered = self.order((c for c in contacts if c.data["queue"] in mine), now)
        return ordered[:n], len(ordered)


def is_waiting(env: Envelope) -> bool:
    """A leg offered and not yet with an agent (one ringing at an agent is routed already)."""
    return env.data["event"] == "offered" and not env.data.get("agent_id")


def waiting_contacts(contacts: Iterable[Envelope]) -> list[Envelope]:
    """Every waiting contact, across channels and queues, in blended order (the blended
    rule's :meth:`Router.order`; its order does not move with time)."""
    return BLENDED.order(contacts, 0.0)


BLENDED = Router("blended", {}, {})
