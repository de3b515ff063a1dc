"""AMI events to Floorboard envelopes: one pure mapper, fed message by message.

The mapper never reads a clock or a socket: the client gives it each message with its time
(the event's ``Timestamp`` when Asterisk sends one, i.e. ``timestampevents = yes``, else the
time it arrived), so a transcript always maps to the same envelopes. Events it does not know
are counted and skipped; an event whose fields it cannot read is logged and skipped; neither
stops the feed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from feeds.adapters.ami.calls import Calls
from feeds.adapters.ami.members import Members
from feeds.adapters.ami.protocol import Message
from feeds.adapters.ami.resync import Reconciler, Snapshot, seconds
from feeds.adapters.ids import ident
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.errors import SchemaError

log = logging.getLogger(__name__)

MEMBER_EVENTS = {
    "queuememberstatus", "queuememberadded", "queuememberpause", "queuememberpenalty",
    "queuememberringinuse",
}  # fmt: skip
# Known and of no use to the board (AgentDump: the member hung up while being rung; its
# AgentComplete or RingNoAnswer tells the rest).
IGNORED = {"agentdump", "fullybooted"}


class AmiMapper:
    """Queue and member events (and the QueueStatus items of a resync) to envelopes."""

    def __init__(self, config: Config, source: str | None = None) -> None:
        settings = config.adapters.ami
        self.source = source or settings.source
        self.calls = Calls(config, settings.queue_map, self.source, settings.exit_grace)
        self.members = Members(config, settings, self.calls.queue_of, self.source)
        self.reconciler = Reconciler(self.calls, self.source)
        self.unknown: Counter[str] = Counter()  # events skipped because they are not known
        self.rejected = 0  # events skipped because a field could not be read
        self.mismatches: list[str] = []  # QueueSummary figures that disagreed at the last sync
        self._handlers: dict[str, Callable[[dict[str, str], float], list[Envelope]]] = {
            "queuecallerjoin": self._join,
            "queuecallerleave": lambda f, ts: self.calls.leave(ident(f.get("uniqueid", "")), ts),
            "queuecallerabandon": self._abandon,
            "agentcalled": self._called,
            "agentringnoanswer": lambda f, ts: self.members.not_answered(_iface(f), ts),
            "agentconnect": self._connect,
            "agentcomplete": self._complete,
            "queuememberremoved": lambda f, ts: self.members.update(f, ts, removed=True),
            **dict.fromkeys(MEMBER_EVENTS, self.members.update),
        }

    def handle(self, msg: Message, ts: float) -> list[Envelope]:
        """The envelopes one event makes (often none)."""
        name = (msg.event or "").lower()
        handler = self._handlers.get(name)
        if handler is None:
            if name not in IGNORED:
                self.unknown[msg.event or ""] += 1
            return []
        try:
            return handler(dict(msg.fields), ts)
        except (ValueError, SchemaError) as exc:
            self.rejected += 1
            log.warning("AMI %s skipped: %s", msg.event, exc)
            return []

    def expire(self, now: float) -> list[Envelope]:
        """What time alone settles: callers who left unanswered, wrap-up that ran out."""
        return self.calls.expire(now) + self.members.expire(now)

    def resync(self, snap: Snapshot, now: float) -> list[Envelope]:
        """Bring the state in line with a fresh snapshot (see :mod:`.resync`)."""
        out: list[Envelope] = []
        listed: set[tuple[str, str]] = set()
        for item in snap.members:
            out += self.members.update(item, now)
            listed.add((item.get("location", ""), item.get("queue", "")))
        for interface, member in self.members.by_interface.items():
            for queue in [q for q in member.queues if q in snap.params]:
                if (interface, queue) not in listed:
                    out += self.members.update({"interface": interface, "queue": queue}, now,
                                               removed=True)  # fmt: skip
        waiting: set[str] = set()
        for item in snap.entries:
            uid = ident(item.get("uniqueid", ""))
            waiting.add(uid)
            out += self.calls.join(item.get("queue", ""), uid, item.get("calleridnum", ""), now,
                                   seconds(item.get("wait")))  # fmt: skip
        out += self.reconciler.settle(snap, waiting, now)
        out += self.members.forget_contacts(set(self.calls.live), now)
        self.mismatches = self._check(snap)
        for line in self.mismatches:
            log.warning("AMI QueueSummary disagrees after the resync: %s", line)
        return out

    def _check(self, snap: Snapshot) -> list[str]:
        """Compare the callers waiting per queue with Asterisk's own QueueSummary."""
        found = []
        for queue, summary in snap.summaries.items():
            if self.calls.queue_of(queue) is None:
                continue
            ours = sum(c.ast_queue == queue and c.state != "answered"
                       for c in self.calls.live.values())  # fmt: skip
            theirs = summary.get("callers", "")
            if theirs.isdigit() and int(theirs) != ours:
                found.append(f"{queue}: {theirs} callers waiting, the adapter has {ours}")
        return found

    def _join(self, f: dict[str, str], ts: float) -> list[Envelope]:
        return self.calls.join(f.get("queue", ""), ident(f.get("uniqueid", "")),
                               f.get("calleridnum", ""), ts)  # fmt: skip

    def _abandon(self, f: dict[str, str], ts: float) -> list[Envelope]:
        uid, hold = ident(f.get("uniqueid", "")), seconds(f.get("holdtime"))
        return self.calls.abandon(f.get("queue", ""), uid, f.get("calleridnum", ""), ts, hold)

    def _called(self, f: dict[str, str], ts: float) -> list[Envelope]:
        return self.members.called(_iface(f), ident(f.get("uniqueid", "")), ts)

    def _connect(self, f: dict[str, str], ts: float) -> list[Envelope]:
        iface, name, uid = _iface(f), f.get("membername", ""), ident(f.get("uniqueid", ""))
        hold = seconds(f.get("holdtime"))
        agent = self.members.agent_id(iface, name) if iface else None
        out = self.calls.connect(f.get("queue", ""), uid, f.get("calleridnum", ""), agent, ts,
                                 hold)  # fmt: skip
        return out + self.members.connected(iface, name, uid, ts, hold)

    def _complete(self, f: dict[str, str], ts: float) -> list[Envelope]:
        iface, name, uid = _iface(f), f.get("membername", ""), ident(f.get("uniqueid", ""))
        hold, talk = seconds(f.get("holdtime")), seconds(f.get("talktime"))
        agent = self.members.agent_id(iface, name) if iface else None
        wrap = self.members.wrap_seconds(iface)
        out = self.calls.complete(f.get("queue", ""), uid, f.get("calleridnum", ""), agent, ts,
                                  hold, talk, wrap)  # fmt: skip
        return out + self.members.completed(iface, name, ts, talk)


def _iface(fields: dict[str, str]) -> str:
    return fields.get("interface", "")
