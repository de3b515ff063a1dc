"""Asterisk queue members as Floorboard agents: one agent state from many queue memberships.

Asterisk knows a member per queue (paused in one, not in another) and a device state per
interface; Floorboard shows one state per agent. So a member is keyed by its interface, its
memberships are kept per Asterisk queue, and its state is derived, in this order:

- no mapped membership left, or the device unavailable / invalid: ``offline``;
- on a queue call (``AgentConnect`` until ``AgentComplete``) or the device in use, busy or
  on hold: ``on_contact``; ringing for a queue caller (``AgentCalled``): ``on_contact`` with
  reason ``ringing``, as Asterisk itself no longer counts a ringing member available;
- within the wrap-up time after ``AgentComplete`` (the member's ``Wrapuptime``, else the
  config's ``wrap_seconds``): ``wrap``;
- paused in every queue: ``away`` with the pause reason;
- else ``available``.

Skills are the Floorboard queues the member serves: those it is not paused in (all of them
when it is paused everywhere, so the queues' tiles count it away). An agent envelope goes out
only when what it shows changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from feeds.adapters.ids import ident
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.config_feeds import Ami

UNAVAILABLE = {4, 5}  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE
IN_USE = {2, 3, 7, 8}  # INUSE, BUSY, RINGINUSE, ONHOLD
RINGING = 6


@dataclass
class Member:
    agent_id: str
    name: str
    queues: dict[str, tuple[bool, str]] = field(default_factory=dict)  # Asterisk queue -> pause
    status: int = 0  # device state (AST_DEVICE_*); 0 unknown counts as free, as in Asterisk
    wrapup: float = 0.0
    ringing: str | None = None
    contact_id: str | None = None
    wrap_until: float = 0.0
    day: date | None = None
    stats: dict[str, float] = field(default_factory=dict)
    since: float = 0.0
    shown: tuple[Any, ...] | None = None  # what the last envelope showed


def _fresh_stats() -> dict[str, float]:
    return {"handled": 0, "handle_time": 0.0, "answered": 0, "answer_wait": 0.0}


class Members:
    """Queue members by interface, and the agent envelopes their changes make."""

    def __init__(self, config: Config, settings: Ami, queue_of: Any, source: str) -> None:
        self.config, self.settings, self.queue_of, self.source = config, settings, queue_of, source
        self.by_interface: dict[str, Member] = {}

    def agent_id(self, interface: str, name: str) -> str | None:
        """The agent id of a member: mapped by interface or name, else derived (or ignored)."""
        mapped = self.settings.member_map.get(interface) or self.settings.member_map.get(name)
        if mapped or self.settings.unmapped_members == "ignore":
            return mapped
        return ident(interface) or None

    def _member(self, interface: str, name: str) -> Member | None:
        member = self.by_interface.get(interface)
        if member is None:
            agent_id = self.agent_id(interface, name)
            if agent_id is None:
                return None
            member = self.by_interface[interface] = Member(agent_id, name or agent_id)
        elif name:
            member.name = name
        return member

    def update(self, fields: dict[str, str], ts: float, *, removed: bool = False) -> list[Envelope]:
        """A ``QueueMember*`` event or a ``QueueMember`` item of QueueStatus (which names the
        interface ``Location`` and the member ``Name``)."""
        interface = fields.get("interface") or fields.get("location", "")
        name = fields.get("membername") or fields.get("name", "")
        member = self._member(interface, name) if interface else None
        if member is None:
            return []
        queue = fields.get("queue", "")
        if removed:
            member.queues.pop(queue, None)
        elif self.queue_of(queue) is not None:
            paused = fields.get("paused", "0") == "1"
            member.queues[queue] = (paused, fields.get("pausedreason", "") if paused else "")
        if fields.get("status", "").isdigit():
            member.status = int(fields["status"])
        if fields.get("wrapuptime", "").isdigit():
            member.wrapup = float(fields["wrapuptime"])
        return self._show(member, ts)

    def called(self, interface: str, uid: str, ts: float) -> list[Envelope]:
        member = self.by_interface.get(interface)
        if member is None:
            return []
        member.ringing = uid
        return self._show(member, ts)

    def not_answered(self, interface: str, ts: float) -> list[Envelope]:
        member = self.by_interface.get(interface)
        if member is None:
            return []
        member.ringing = None
        return self._show(member, ts)

    def connected(
        self, interface: str, name: str, uid: str, ts: float, hold: float
    ) -> list[Envelope]:
        member = self._member(interface, name)
        if member is None:
            return []
        self._roll(member, ts)
        member.ringing, member.contact_id = None, uid
        member.stats["answered"] += 1
        member.stats["answer_wait"] += hold
        return self._show(member, ts)

    def completed(self, interface: str, name: str, ts: float, talk: float) -> list[Envelope]:
        member = self._member(interface, name)
        if member is None:
            return []
        self._roll(member, ts)
        wrap = self.wrap_seconds(interface)
        member.contact_id = None
        member.wrap_until = ts + wrap
        member.stats["handled"] += 1
        member.stats["handle_time"] += talk + wrap
        return self._show(member, ts)

    def wrap_seconds(self, interface: str) -> float:
        member = self.by_interface.get(interface)
        return (member.wrapup if member else 0) or self.settings.wrap_seconds

    def expire(self, now: float) -> list[Envelope]:
        """Members whose wrap-up time has run out."""
        out: list[Envelope] = []
        for member in self.by_interface.values():
            if member.wrap_until and member.wrap_until <= now:
                member.wrap_until = 0.0
                out += self._show(member, now)
        return out

    def _roll(self, member: Member, ts: float) -> None:
        """Each agent's stats are the centre's day's: they start again at local midnight."""
        day = datetime.fromtimestamp(ts, self.config.tz).date()
        if member.day != day:
            member.day, member.stats = day, _fresh_stats()

    def state(self, member: Member, now: float) -> tuple[str, str | None, list[str]]:
        """The agent state, its reason and the skills, by the rules in the module's doc."""
        mapped = {q: p for q, p in member.queues.items() if self.queue_of(q) is not None}
        serving = sorted({self.queue_of(q) for q, (paused, _) in mapped.items() if not paused})
        everything = sorted({self.queue_of(q) for q in mapped})
        if not mapped or member.status in UNAVAILABLE:
            return "offline", None, everything
        if member.contact_id or member.status in IN_USE:
            return "on_contact", None, serving or everything
        if member.ringing or member.status == RINGING:
            return "on_contact", "ringing", serving or everything
        if now < member.wrap_until:
            return "wrap", None, serving or everything
        if not serving:
            reasons = sorted({r for _, r in mapped.values() if r})
            return "away", (", ".join(reasons) or "paused")[:60], everything
        return "available", None, serving

    def forget_contacts(self, live: set[str], ts: float) -> list[Envelope]:
        """Members on (or rung for) a contact that has ended without their own event saying
        so (a resynchronisation found it gone) are free of it."""
        out: list[Envelope] = []
        for member in self.by_interface.values():
            if member.contact_id not in (None, *live) or member.ringing not in (None, *live):
                member.contact_id = member.contact_id if member.contact_id in live else None
                member.ringing = member.ringing if member.ringing in live else None
                out += self._show(member, ts)
        return out

    def _show(self, member: Member, ts: float) -> list[Envelope]:
        if member.shown is None and not any(self.queue_of(q) for q in member.queues):
            return []  # never in a queue of the board: not one of its agents
        if member.day is None:
            self._roll(member, ts)
        state, reason, skills = self.state(member, ts)
        key = (state, reason, skills, member.contact_id, member.name, tuple(member.stats.values()))
        if key == member.shown:
            return []
        if member.shown is None or member.shown[:2] != (state, reason):
            member.since = ts
        member.shown = key
        data = {
            "name": member.name[:120], "state": state, "since": member.since, "reason": reason,
            "skills": skills, "contact_id": member.contact_id, "stats": dict(member.stats),
        }  # fmt: skip
        return [make_envelope("agent", member.agent_id, data, ts=ts, source=self.source)]
