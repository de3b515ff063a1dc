"""Standing authority rules, kept by supervisors: create, change, retire, list.

A rule is a ``rule`` item on the bus (every agent tab's card reads the live ones from its
mirror), changed like every supervisor action (:mod:`feeds.notices.service`): one transaction
writes the item and its audit entry, so the console's audit log says who allowed what, when.
What a rule means for a contact is :mod:`feeds.customers.authority`'s to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline

from feeds.bus.notice_kinds import Rule
from feeds.bus.schema import Envelope
from feeds.notices.service import NotFound, NoticeService, Record, new_id, only_fields, validate

RULE_FIELDS = frozenset(Rule.model_fields)


def rule_order(data: Mapping[str, Any]) -> tuple[str, str]:
    """Rules are listed by title, then action: how a supervisor looks one up."""
    return data["title"].casefold(), data["action"]


class Rules(NoticeService):
    """Create, change, retire and list the standing authority rules, each change audited."""

    @property
    def state_key(self) -> str:
        return self.bus.state_key("rule")

    def create(self, fields: Mapping[str, Any], actor: str) -> Record:
        only_fields(fields, RULE_FIELDS)
        data = self._checked(fields)
        env = self.envelope("rule", new_id("r"), data, self.clock())

        def change(pipe: Pipeline) -> Envelope:
            pipe.multi()
            self.commit(pipe, env, actor=actor, action="create", before=None)
            return env

        return self._view(self.atomic([self.state_key], change))

    def update(self, rule_id: str, fields: Mapping[str, Any], actor: str) -> Record:
        only_fields(fields, RULE_FIELDS)

        def change(pipe: Pipeline) -> Envelope:
            old = self._live(pipe, rule_id)
            data = self._checked({**old.data, **fields})
            pipe.multi()
            if data == old.data:
                return old
            env = self.envelope("rule", rule_id, data, self.clock())
            self.commit(pipe, env, actor=actor, action="update", before=old.data)
            return env

        return self._view(self.atomic([self.state_key], change))

    def retire(self, rule_id: str, actor: str) -> Record:
        """End a rule: it leaves every card at once; the audit log keeps what it was."""

        def change(pipe: Pipeline) -> Envelope:
            old = self._live(pipe, rule_id)
            pipe.multi()
            gone = self.deletion("rule", rule_id, self.clock())
            self.commit(pipe, gone, actor=actor, action="retire", before=old.data)
            return old

        return self._view(self.atomic([self.state_key], change))

    def get(self, rule_id: str) -> Record:
        return self._view(self._live(self.client, rule_id))

    def list(self) -> list[Record]:
        return [self._view(e) for e in sorted(self.items(self.client, "rule"), key=_order)]

    def _live(self, client: Any, rule_id: str) -> Envelope:
        env = self.current(client, "rule", rule_id)
        if env is None:
            raise NotFound("id", f"no rule {rule_id!r}")
        return env

    def _checked(self, data: Mapping[str, Any]) -> Record:
        checked = validate("rule", data)
        for i, queue in enumerate(checked["queues"]):
            self.check_queue(f"queues.{i}", queue)
        return checked

    def _view(self, env: Envelope) -> Record:
        return {"id": env.id, **env.data, "updated_at": env.ts}


def _order(env: Envelope) -> tuple[str, str]:
    return rule_order(env.data)
