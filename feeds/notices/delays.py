"""Delay reasons: why a queue's callers wait, and how long to expect.

One ``delay`` item per queue, whose id is the queue id: the wall view finds a tile's delay by
its queue, and setting a new reason replaces the old one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline

from feeds.bus.schema import Envelope
from feeds.errors import SchemaError
from feeds.notices.service import NotFound, NoticeService, Record, only_fields, validate

DELAY_FIELDS = frozenset({"reason", "expected_wait", "expires_at"})


class Delays(NoticeService):
    """Set, clear and list the delay reason of each queue."""

    @property
    def state_key(self) -> str:
        return self.bus.state_key("delay")

    def set(self, queue: str, fields: Mapping[str, Any], actor: str) -> Record:
        self.check_queue("queue", queue)
        only_fields(fields, DELAY_FIELDS)
        now = self.clock()
        data = validate("delay", {**fields, "queue": queue, "author": actor})
        if not data["reason"].strip():
            raise SchemaError("reason", "must not be blank")
        self.check_future("expires_at", data["expires_at"], now)

        def change(pipe: Pipeline) -> Envelope:
            old = self.current(pipe, "delay", queue)
            env = self.envelope("delay", queue, data, self.after(old, now))
            pipe.multi()
            self.commit(pipe, env, actor=actor, action="set", before=old.data if old else None)
            return env

        return self._view(self.atomic([self.state_key], change), now)

    def clear(self, queue: str, actor: str) -> None:
        self.check_queue("queue", queue)
        now = self.clock()

        def change(pipe: Pipeline) -> None:
            old = self.current(pipe, "delay", queue)
            if old is None:
                raise NotFound("queue", f"queue {queue!r} has no delay reason")
            pipe.multi()
            gone = self.deletion("delay", queue, self.after(old, now))
            self.commit(pipe, gone, actor=actor, action="clear", before=old.data)

        self.atomic([self.state_key], change)

    def list(self) -> list[Record]:
        """Every queue's delay reason, in the config's queue order; ``active`` until expiry."""
        now = self.clock()
        order = {q.id: i for i, q in enumerate(self.config.queues)}
        envs = sorted(self.items(self.client, "delay"), key=lambda e: order.get(e.id, len(order)))
        return [self._view(e, now) for e in envs]

    def _view(self, env: Envelope, now: float) -> Record:
        expires = env.data["expires_at"]
        return {**env.data, "active": expires is None or expires > now, "updated_at": env.ts}
