"""Which waiting contact comes next: the blended queue in arrival order, or queue by queue.

A centre that blends its channels works every contact in the order it arrived (the sources
this product is built from: iGo answers an email that came before a call before that call),
each going to an agent with the skill for its queue. A centre that does not serves its queues
by priority: every call before any chat, every chat before any email. The floor's blended list,
an agent's next items and the simulator's two routing modes all come from the rules here.

Order of the blended queue: a contact's ``priority`` first (higher first: a VIP or a promised
callback may jump the line), then arrival (``enqueued_at``), then id (so ties read the same on
every screen). Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from feeds.bus.fields import CHANNELS
from feeds.bus.schema import Envelope

Routing = Literal["blended", "queue_priority"]
ROUTINGS: tuple[str, ...] = ("blended", "queue_priority")
FLAGS = ("callback", "vip")  # tags a contact's entry shows as flags


@dataclass(frozen=True)
class ChannelKind:
    """How a channel reads on screen."""

    label: str
    icon: str


# Every channel of the schema, with its word and icon (text presentation, never an emoji).
CHANNEL_KINDS: dict[str, ChannelKind] = {
    "voice": ChannelKind("Voice", "☎\ufe0e"),
    "chat": ChannelKind("Chat", "✉\ufe0e"),
    "email": ChannelKind("Email", "@"),
    "social": ChannelKind("Social", "#"),
    "sms": ChannelKind("SMS", "✆"),
    "callback": ChannelKind("Callback", "↩"),
    "web_form": ChannelKind("Web form", "▤"),
    "fax": ChannelKind("Fax", "▦"),
}
assert tuple(CHANNEL_KINDS) == CHANNELS  # a word and an icon for every channel, in order


def channel_icon(channel: str) -> str:
    kind = CHANNEL_KINDS.get(channel)
    return kind.icon if kind else "•"


def blended_order(data: Mapping[str, Any], contact_id: str = "") -> tuple[float, float, str]:
    """The sort key of the blended queue: priority (higher first), arrival, id."""
    return (-data.get("priority", 0), data["enqueued_at"], contact_id)


def queue_order(
    data: Mapping[str, Any], rank: Mapping[str, int], contact_id: str = ""
) -> tuple[int, float, float, str]:
    """The sort key queue by queue: the queue's rank (0 first), then as :func:`blended_order`."""
    return (rank.get(data["queue"], len(rank)), *blended_order(data, contact_id))


def is_waiting(env: Envelope) -> bool:
    """A leg offered and not yet with an agent (one ringing at an agent is routed already)."""
    return env.data["event"] == "offered" and not env.data.get("agent_id")


def waiting_contacts(contacts: Iterable[Envelope]) -> list[Envelope]:
    """Every waiting contact, across channels and queues, in blended order."""
    waiting = [c for c in contacts if is_waiting(c)]
    waiting.sort(key=lambda c: blended_order(c.data, c.id))
    return waiting


def next_for(skills: Iterable[str], ordered: Sequence[Envelope], n: int) -> list[Envelope]:
    """The first ``n`` of an ordered waiting list that an agent with ``skills`` may take:
    their next items, in the order they will receive them."""
    mine = set(skills)
    return [c for c in ordered if c.data["queue"] in mine][:n]
