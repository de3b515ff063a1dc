"""Asterisk queue callers as Floorboard contacts: offered, answered, abandoned, completed.

Asterisk tells a caller's story in several events, keyed by the caller channel's
``Uniqueid`` (the contact id here): ``QueueCallerJoin`` (offered), then either
``QueueCallerAbandon`` (abandoned; Asterisk then also sends ``QueueCallerLeave``) or
``QueueCallerLeave`` just before ``AgentConnect`` (answered) and later ``AgentComplete``
(completed). A ``QueueCallerLeave`` with no ``AgentConnect`` after it is a caller who left
unanswered without hanging up (queue timeout, an exit key, an emptied queue): Floorboard's
contact has no other unanswered outcome, so after ``exit_grace`` seconds it is published as
abandoned, tagged ``exited``.

Each contact gets one outcome and each event is published once (with an event id, so a
retry after a reconnection is dropped by the bus too); a caller first seen in the middle of
their story (the adapter started late) is taken from there, its enqueue time worked out from
the ``HoldTime`` Asterisk reports.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from feeds.adapters.ids import customer_id
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config

DONE_KEPT = 50_000  # finished contact ids remembered, so a late duplicate is not a new contact


@dataclass
class Call:
    id: str
    ast_queue: str  # Asterisk's queue name (its counters are per Asterisk queue)
    queue: str  # Floorboard's queue id
    channel: str
    customer: str
    enqueued_at: float
    state: str = "waiting"  # waiting, left (outcome not yet known), answered
    left_at: float | None = None
    answered_at: float | None = None
    agent_id: str | None = None


class Calls:
    """The callers in progress, and what Asterisk's counters should have seen since a sync.

    Callers are named by their Uniqueid made an id (:func:`ident`) by the caller of these
    methods.
    """

    def __init__(self, config: Config, queue_map: dict[str, str], source: str, grace: float):
        self.config, self.queue_map, self.source, self.grace = config, queue_map, source, grace
        self.live: dict[str, Call] = {}
        self._done: OrderedDict[str, None] = OrderedDict()
        self.abandons: Counter[str] = Counter()  # QueueCallerAbandon seen, per Asterisk queue
        self.completes: Counter[str] = Counter()  # AgentComplete seen, per Asterisk queue

    def queue_of(self, ast_queue: str) -> str | None:
        """The Floorboard queue of an Asterisk queue: mapped, or one of the same name."""
        mapped = self.queue_map.get(ast_queue)
        if mapped is None and self.config.queue(ast_queue) is not None:
            mapped = ast_queue
        return mapped

    def contact(self, call: Call, event: str, ts: float, **extra: Any) -> Envelope:
        """The envelope of one event of ``call``. Times before its enqueue (clocks that
        disagree, a made-up enqueue time) are brought up to it: a contact is never answered
        or ended before it was queued."""
        for key in ("answered_at", "ended_at"):
            if extra.get(key) is not None:
                extra[key] = max(extra[key], call.enqueued_at)
        data = {
            "event": event, "queue": call.queue, "channel": call.channel,
            "customer_id": call.customer, "enqueued_at": call.enqueued_at, **extra,
        }  # fmt: skip
        ts = max(ts, call.enqueued_at)
        event_id = f"{self.source}:{call.id}:{event}"
        return make_envelope("contact", call.id, data, ts=ts, source=self.source, event_id=event_id)

    def _new(self, ast_queue: str, uid: str, caller: str, enqueued_at: float) -> Call | None:
        queue = self.queue_of(ast_queue)
        if queue is None or not uid or uid in self._done:
            return None
        channel = self.config.queue(queue).channel
        call = Call(uid, ast_queue, queue, channel, customer_id(caller, uid), enqueued_at)
        self.live[uid] = call
        return call

    def _known(self, ast_queue: str, uid: str, caller: str, ts: float, hold: float) -> Call | None:
        """The caller, or one first seen now, who joined ``hold`` seconds ago."""
        return self.live.get(uid) or self._new(ast_queue, uid, caller, ts - hold)

    def _finish(self, call: Call, event: str, ts: float, **extra: Any) -> list[Envelope]:
        del self.live[call.id]
        self._done[call.id] = None
        while len(self._done) > DONE_KEPT:
            self._done.popitem(last=False)
        return [self.contact(call, event, ts, **extra)]

    def join(self, ast_queue: str, uid: str, caller: str, ts: float, waited: float = 0.0):
        if uid in self.live:
            return []
        call = self._new(ast_queue, uid, caller, ts - waited)
        return [self.contact(call, "offered", ts)] if call else []

    def leave(self, uid: str, ts: float) -> list[Envelope]:
        call = self.live.get(uid)
        if call is not None and call.state == "waiting":
            call.state, call.left_at = "left", ts
        return []

    def abandon(self, ast_queue: str, uid: str, caller: str, ts: float, hold: float):
        if uid in self._done:
            return []  # told twice
        self.abandons[ast_queue] += 1
        call = self._known(ast_queue, uid, caller, ts, hold)
        if call is None or call.state == "answered":
            return []
        return self._finish(call, "abandoned", ts, ended_at=ts)

    def connect(self, ast_queue: str, uid: str, caller: str, agent_id: str | None, ts: float,
                hold: float, tags: tuple[str, ...] = ()) -> list[Envelope]:  # fmt: skip
        call = self._known(ast_queue, uid, caller, ts, hold)
        if call is None or call.state == "answered":
            return []
        call.state, call.answered_at, call.agent_id = "answered", ts, agent_id
        extra = {"tags": list(tags)} if tags else {}
        return [self.contact(call, "answered", ts, answered_at=ts, agent_id=agent_id, **extra)]

    def complete(self, ast_queue: str, uid: str, caller: str, agent_id: str | None, ts: float,
                 hold: float, talk: float, wrap: float) -> list[Envelope]:  # fmt: skip
        if uid in self._done:
            return []  # told twice
        self.completes[ast_queue] += 1
        call = self._known(ast_queue, uid, caller, ts - talk, hold)
        if call is None:
            return []
        out = []
        if call.state != "answered":  # its AgentConnect was missed
            out = self.connect(ast_queue, uid, caller, agent_id, max(ts - talk, call.enqueued_at),
                               hold)  # fmt: skip
        return out + self._finish(
            call, "completed", ts, answered_at=call.answered_at, ended_at=ts,
            agent_id=agent_id or call.agent_id, talk=talk, wrap=wrap or None,
        )  # fmt: skip

    def exit(self, call: Call, ts: float, tags: tuple[str, ...] = ("exited",)) -> list[Envelope]:
        """A caller who left the queue unanswered without hanging up."""
        return self._finish(call, "abandoned", ts, ended_at=ts, tags=list(tags))

    def finish(self, call: Call, event: str, ts: float, **extra: Any) -> list[Envelope]:
        """End a caller's contact (used by the resynchronisation)."""
        return self._finish(call, event, ts, **extra)

    def expire(self, now: float) -> list[Envelope]:
        """Callers who left with no answer within ``grace`` seconds: they exited."""
        out: list[Envelope] = []
        for call in [c for c in self.live.values() if c.state == "left"]:
            if now - call.left_at >= self.grace:
                out += self.exit(call, call.left_at)
        return out
