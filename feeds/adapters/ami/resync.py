"""Resynchronising with Asterisk after a (re)connection: nothing lost, nothing counted twice.

AMI keeps no events for a client that was away, so on every connection the adapter asks for
the state itself: ``QueueStatus`` (each queue's counters, members and waiting callers),
``QueueSummary`` (a cross-check) and ``Status`` (every live channel and its bridge). Then:

- members and their memberships are taken as Asterisk lists them (gone ones removed);
- a waiting caller the adapter did not know joined while it was away: offered;
- a caller it knew as waiting who is no longer in the queue is settled by their channel: up
  and bridged means answered; up and not bridged, they left the queue (exited); gone, they
  either hung up waiting (abandoned), were answered and finished, or left and hung up, and
  Asterisk's own counters say how many of each: the queue's ``Abandoned`` and ``Completed``
  since the last sync, less what the adapter saw. The oldest gone callers are taken as the
  abandoned ones (who they were cannot be known, how many can);
- a caller it knew as answered whose channel is gone finished while it was away: completed
  (without ``Status``, refused to an AMI user without the ``call`` write permission, every
  known caller no longer waiting is taken as gone);
- calls that came and went wholly while it was away are published from the counters too,
  with Asterisk's average hold and talk times (``QueueParams``), so the day's totals match
  Asterisk's. Everything settled this way is tagged ``resync``.

Counters that went down (Asterisk restarted, ``QueueReset``) allow no such reckoning: the
gone callers are then published as exited. Every contact still has exactly one outcome, and
every event has an event id, so what the adapter had already published is never counted
again, here or at the bus.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from feeds.adapters.ami.calls import Call, Calls
from feeds.adapters.ids import ident
from feeds.bus.schema import Envelope

log = logging.getLogger(__name__)
TAG = ("resync",)


@dataclass
class Snapshot:
    """The answers to one round of QueueStatus, QueueSummary and Status (fields by name)."""

    params: dict[str, dict[str, str]] = field(default_factory=dict)  # Asterisk queue -> fields
    members: list[dict[str, str]] = field(default_factory=list)
    entries: list[dict[str, str]] = field(default_factory=list)
    summaries: dict[str, dict[str, str]] = field(default_factory=dict)
    # Uniqueid (as an id) -> BridgeID ("" when not bridged) of every live channel; None when
    # Asterisk refused the Status action (the AMI user lacks the "call" write permission).
    channels: dict[str, str] | None = field(default_factory=dict)


def seconds(value: str | None) -> float:
    """A count of seconds from an AMI field; refuses what is not a non-negative number."""
    number = float(value or 0)
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"not a number of seconds: {value!r}")
    return number


class Reconciler:
    """Settles the callers a reconnection finds gone, against Asterisk's queue counters."""

    def __init__(self, calls: Calls, source: str) -> None:
        self.calls, self.source = calls, source
        self.base: dict[str, tuple[int, int]] = {}  # Asterisk queue -> (Abandoned, Completed)
        self.rounds = 0

    def settle(self, snap: Snapshot, waiting: set[str], now: float) -> list[Envelope]:
        self.rounds += 1
        out: list[Envelope] = []
        gone: dict[str, list[Call]] = defaultdict(list)
        ended: Counter[str] = Counter()
        for call in list(self.calls.live.values()):
            if call.id in waiting or call.ast_queue not in snap.params:
                continue
            bridge = None if snap.channels is None else snap.channels.get(call.id)
            if call.state == "answered":
                if bridge is None:  # finished while the adapter was away
                    ended[call.ast_queue] += 1
                    out += self._complete(call, call.answered_at or now, now)
            elif bridge:
                out += self.calls.connect(call.ast_queue, call.id, "", None, call.left_at or now,
                                          0.0, TAG)  # fmt: skip
            elif bridge is not None:
                out += self.calls.exit(call, call.left_at or now, ("exited", *TAG))
            else:
                gone[call.ast_queue].append(call)
        for queue, params in snap.params.items():
            out += self._reckon(queue, params, gone.get(queue, []), ended[queue], now)
        return out

    def _reckon(self, queue: str, params: dict[str, str], gone: list[Call], ended: int,
                now: float) -> list[Envelope]:  # fmt: skip
        abandoned, completed = int(params.get("abandoned", 0)), int(params.get("completed", 0))
        base = self.base.get(queue)
        self.base[queue] = (abandoned, completed)
        seen_a, seen_c = self.calls.abandons.pop(queue, 0), self.calls.completes.pop(queue, 0)
        gone.sort(key=lambda c: c.enqueued_at)
        if base is None or abandoned < base[0] or completed < base[1]:
            if base is not None:
                log.warning("AMI queue %s: counters went down (reset or restart)", queue)
            return [e for c in gone for e in self.calls.exit(c, c.left_at or now, TAG)]
        missed_a = max(0, abandoned - base[0] - seen_a)
        missed_c = max(0, completed - base[1] - seen_c - ended)
        out: list[Envelope] = []
        k = min(missed_a, len(gone))
        for call in gone[:k]:
            at = call.left_at or now
            out += self.calls.finish(call, "abandoned", at, ended_at=at, tags=list(TAG))
        rest = gone[k:]
        j = min(missed_c, len(rest))
        for call in rest[:j]:
            at = call.left_at or now
            out += self.calls.connect(queue, call.id, "", None, at, 0.0, TAG)
            out += self._complete(call, at, now)
        for call in rest[j:]:
            out += self.calls.exit(call, call.left_at or now, ("exited", *TAG))
        out += self._unseen(queue, params, missed_a - k, missed_c - j, now)
        if missed_a or missed_c:
            log.info("AMI queue %s: %d abandoned and %d completed while away", queue,
                     missed_a, missed_c)  # fmt: skip
        return out

    def _complete(self, call: Call, answered_at: float, now: float) -> list[Envelope]:
        talk = max(0.0, now - answered_at)
        return self.calls.finish(
            call, "completed", now, answered_at=answered_at, ended_at=now,
            agent_id=call.agent_id, talk=talk, tags=list(TAG),
        )  # fmt: skip

    def _unseen(self, queue: str, params: dict[str, str], abandons: int, completes: int,
                now: float) -> list[Envelope]:  # fmt: skip
        """Calls that came and went while the adapter was away, known only by the counters."""
        fb_queue = self.calls.queue_of(queue)
        if fb_queue is None:
            return []
        hold = seconds(params.get("holdtime"))
        talk = seconds(params.get("talktime"))
        channel = self.calls.config.queue(fb_queue).channel
        out: list[Envelope] = []
        for n in range(abandons + completes):
            cid = ident(f"{self.source}-gap{self.rounds}-{queue}-{n}")
            start = now - hold - (talk if n >= abandons else 0.0)
            call = Call(cid, queue, fb_queue, channel, f"anon-{cid}"[:128], start)
            if n < abandons:
                out.append(self.calls.contact(call, "abandoned", now, ended_at=now, tags=list(TAG)))
                continue
            answered = start + hold
            call.answered_at = answered
            out.append(self.calls.contact(call, "answered", answered, answered_at=answered))
            out.append(self.calls.contact(call, "completed", now, answered_at=answered,
                                          ended_at=now, talk=talk, tags=list(TAG)))  # fmt: skip
        return out
