"""The alert rules supervisors set: add, change, remove, list, each change audited.

A rule is an ``alert_rule`` item on the bus (the console's alerts and the walls' ``alerts``
tile read the live ones from the hub's mirror, so a change applies on every screen within a
second), written like every supervisor action (:mod:`feeds.notices.service`): one transaction
holds the item and its audit entry with the actor. What a rule means is
:mod:`feeds.alerts`'s to say; what it may hold, the schema's
(:class:`feeds.bus.notice_kinds.AlertRule`); here: its queue exists, and no two rules watch
the same thing (a second "Billing: longest wait" would contradict the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline

from feeds.alerts import rule_text, subject
from feeds.bus.notice_kinds import AlertRule
from feeds.bus.schema import Envelope
from feeds.notices.service import (
    Conflict,
    NotFound,
    NoticeService,
    Reader,
    Record,
    new_id,
    only_fields,
    validate,
)

KIND = "alert_rule"
ALERT_RULE_FIELDS = frozenset(AlertRule.model_fields) - {"author"}


class AlertRules(NoticeService):
    """Add, change, remove and list the supervisors' alert rules."""

    @property
    def state_key(self) -> str:
        return self.bus.state_key(KIND)

    def create(self, fields: Mapping[str, Any], actor: str) -> Record:
        only_fields(fields, ALERT_RULE_FIELDS)
        data = self._checked({**fields, "author": actor})
        rule_id = new_id("al")

        def change(pipe: Pipeline) -> Envelope:
            self._unique(pipe, rule_id, data)
            env = self.envelope(KIND, rule_id, data, self.clock())
            pipe.multi()
            self.commit(pipe, env, actor=actor, action="create", before=None)
            return env

        return self._view(self.atomic([self.state_key], change))

    def update(self, rule_id: str, fields: Mapping[str, Any], actor: str) -> Record:
        """Change what a rule watches or its limit; the fields not given stay as they were
        (a field set to null is cleared: a service-level rule's target back to the queue's)."""
        only_fields(fields, ALERT_RULE_FIELDS)

        def change(pipe: Pipeline) -> Envelope:
            old = self._live(pipe, rule_id)
            data = self._checked({**old.data, **fields, "author": actor})
            self._unique(pipe, rule_id, data)
            pipe.multi()
            if data == old.data:
                return old
            env = self.envelope(KIND, rule_id, data, self.after(old, self.clock()))
            self.commit(pipe, env, actor=actor, action="update", before=old.data)
            return env

        return self._view(self.atomic([self.state_key], change))

    def remove(self, rule_id: str, actor: str) -> Record:
        """End a rule: the config's default for what it watched applies again."""

        def change(pipe: Pipeline) -> Envelope:
            old = self._live(pipe, rule_id)
            pipe.multi()
            gone = self.deletion(KIND, rule_id, self.after(old, self.clock()))
            self.commit(pipe, gone, actor=actor, action="remove", before=old.data)
            return old

        return self._view(self.atomic([self.state_key], change))

    def get(self, rule_id: str) -> Record:
        return self._view(self._live(self.client, rule_id))

    def list(self) -> list[Record]:
        envs = self.items(self.client, KIND)
        return [self._view(e) for e in sorted(envs, key=lambda e: (e.ts, e.id))]

    def _live(self, client: Reader, rule_id: str) -> Envelope:
        env = self.current(client, KIND, rule_id)
        if env is None:
            raise NotFound("id", f"no alert rule {rule_id!r}")
        return env

    def _checked(self, data: Mapping[str, Any]) -> Record:
        checked = validate(KIND, data)
        if checked["queue"] is not None:
            self.check_queue("queue", checked["queue"])
        return checked

    def _unique(self, client: Reader, rule_id: str, data: Record) -> None:
        """Refuse a rule that watches what another rule watches already (read under WATCH)."""
        for other in self.items(client, KIND):
            if other.id != rule_id and subject(other.data) == subject(data):
                said = rule_text(other.data, {q.id: q.name for q in self.config.queues})
                field = "state" if data["rule"] == "state" else "queue"
                raise Conflict(field, f"already watched by {other.id} ({said}): change that one")

    def _view(self, env: Envelope) -> Record:
        names = {q.id: q.name for q in self.config.queues}
        return {"id": env.id, **env.data, "text": rule_text(env.data, names), "updated_at": env.ts}
