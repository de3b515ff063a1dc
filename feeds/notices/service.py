"""What supervisors tell the floor: the write path shared by messages, outages and delays.

Every supervisor action is one MULTI/EXEC transaction under an optimistic WATCH:

* the item's current value (and, for an acknowledgement, the acks) is read while its key is
  watched, so the audit entry's ``before`` is exactly what the change replaced, and a
  concurrent edit makes the transaction retry, never interleave. The agents an audience is
  checked against are read but not watched: agent states change every few seconds, and
  whether an agent exists is a point-in-time check, not part of what the change replaces;
* the bus's own Lua script (seq, latest-value hash, pub/sub) is queued inside the transaction
  together with the audit entry and any side keys (timeline, history, acks), so an item never
  changes without its audit entry, and a crash cannot leave one half written.

We chose this over "bus.publish, then a follow-up write" because a follow-up can be lost: a
resolved outage would vanish from the live state without reaching its history, or a message
would change with no trace in the audit log. There is still exactly one copy of the bus write
(the bus's script), queued on our transaction rather than run on its own.

Each committed change is also logged, once, after its transaction (a retried one is not logged
twice): ``"<kind>.<action>"`` with the actor, the id and how long the change took; never the
values (a message's text stays in the audit log, out of log files).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

import redis
from redis.client import Pipeline

from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, make_envelope, parse_data, parse_envelope
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.audit import AuditLog

T = TypeVar("T")
Record = dict[str, Any]
Reader = redis.Redis | Pipeline  # a client, or a transaction's pipeline while it watches

SOURCE = "console"  # the envelope source of supervisor actions (the actor is in the audit log)

log = logging.getLogger("floorboard.notices")
# The changes queued by the transaction running in this thread or greenlet (see ``atomic``).
_CHANGES: ContextVar[list[Record] | None] = ContextVar("floorboard_changes", default=None)


class NotFound(SchemaError):
    """The item named in the request does not exist (HTTP 404)."""


class Conflict(SchemaError):
    """The item exists but its state does not allow the action (HTTP 409)."""


def validate(kind: str, data: Mapping[str, Any]) -> Record:
    """Validate ``data`` as the schema of ``kind``, naming fields as the caller sent them.

    The bus names errors ``data.text``; a supervisor sent ``text``, so the prefix goes.
    """
    try:
        return parse_data(kind, dict(data))
    except SchemaError as exc:
        raise SchemaError(exc.field.removeprefix("data."), exc.reason) from None


def only_fields(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Refuse keys a caller may not set (``author``, ``started_at``…) or that do not exist."""
    for key in fields:
        if key not in allowed:
            raise SchemaError(key, "unknown field")
    if not fields:
        raise SchemaError("body", "no fields given")


def new_id(letter: str) -> str:
    """A short random id such as ``m-3f9c2a71e0``: unguessable, and short enough to type."""
    return f"{letter}-{secrets.token_hex(5)}"


class NoticeService:
    """The transaction helper and the reads that messages, outages and delays share."""

    def __init__(self, bus: Bus, config: Config, clock: Callable[[], float] = time.time) -> None:
        self.bus = bus
        self.client: redis.Redis = bus.client
        self.config = config
        self.prefix = bus.prefix
        self.clock = clock
        self.audit_log = AuditLog(bus.client, bus.prefix)

    # -- the transaction ------------------------------------------------------------------------

    def atomic(self, watch: list[str], change: Callable[[Pipeline], T]) -> T:
        """Run ``change`` under WATCH of ``watch`` until its transaction commits (redis-py's
        ``transaction`` retries on a concurrent write).

        ``change`` reads with the pipeline (immediate mode), raises :class:`SchemaError` to
        refuse (nothing is written), then calls ``pipe.multi()`` and queues its writes. The
        watched keys are the state hashes of supervisor kinds, written a few times a minute at
        most, so a retry is rare.
        """
        changes: list[Record] = []

        def attempt(pipe: Pipeline) -> T:
            changes.clear()  # a retried transaction queues its changes again
            return change(pipe)

        started = time.perf_counter()
        token = _CHANGES.set(changes)
        try:
            result = self.client.transaction(attempt, *watch, value_from_callable=True)
        finally:
            _CHANGES.reset(token)
        took = round((time.perf_counter() - started) * 1000, 1)
        for facts in changes:
            log.info("%(kind)s %(id)s: %(action)s by %(actor)s", facts,
                     extra={"event": f"{facts['kind']}.{facts['action']}", **facts,
                            "duration_ms": took})  # fmt: skip
        return result

    def publish(self, pipe: Pipeline, env: Envelope) -> None:
        """Queue the bus's atomic write of ``env`` on a transaction."""
        self.bus.queue_publish(pipe, env)

    @staticmethod
    def after(old: Envelope | None, now: float) -> float:
        """The stamp of a change to ``old``: never before it. The bus keeps the latest stamp
        (feeds.bus.ordering), so two supervisors' concurrent edits, read and committed under
        WATCH, stay in commit order even when the later one read the clock first."""
        return now if old is None else max(now, old.ts)

    def envelope(self, kind: str, id: str, data: Record, now: float) -> Envelope:
        return make_envelope(kind, id, data, ts=now, source=SOURCE)

    def deletion(self, kind: str, id: str, now: float) -> Envelope:
        """The envelope that removes an item from the live state (and from every screen)."""
        return make_envelope(kind, id, {}, ts=now, source=SOURCE, deleted=True)

    def commit(
        self, pipe: Pipeline, env: Envelope, *, actor: str, action: str, before: Any,
        after: Any = None,
    ) -> None:  # fmt: skip
        """Queue a change's write and its audit entry on one transaction: an item never
        changes without its entry. The entry's kind, id, time and new value are the envelope's
        (nothing for a deletion) unless ``after`` says otherwise."""
        self.publish(pipe, env)
        changes = _CHANGES.get()
        if changes is not None:
            changes.append({"kind": env.kind, "id": env.id, "action": action, "actor": actor})
        if after is None and not env.deleted:
            after = env.data
        self.audit_log.append(
            pipe, actor=actor, action=action, kind=env.kind, id=env.id, before=before,
            after=after, at=env.ts,
        )  # fmt: skip

    # -- reads ----------------------------------------------------------------------------------

    def current(self, client: Reader, kind: str, id: str) -> Envelope | None:
        """The live item ``kind``/``id``, or None."""
        raw = client.hget(self.bus.state_key(kind), id)
        return parse_envelope(raw) if raw is not None else None

    def items(self, client: Reader, kind: str) -> list[Envelope]:
        """Every live item of ``kind`` (invalid stored items are the bus's to log; skipped)."""
        out = []
        for raw in client.hgetall(self.bus.state_key(kind)).values():
            try:
                out.append(parse_envelope(raw))
            except SchemaError:
                continue
        return out

    def check_queue(self, field: str, queue_id: str) -> None:
        if self.config.queue(queue_id) is None:
            raise SchemaError(field, f"unknown queue {queue_id!r}")

    def check_future(self, field: str, when: float | None, now: float) -> None:
        if when is not None and when <= now:
            raise SchemaError(field, "must be in the future")
