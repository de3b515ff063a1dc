"""Outages: declared, updated along a timeline, resolved into history.

A live outage is the ``outage`` item on the bus (wall bands and agent tabs show it). Each change
appends ``{at, actor, changes}`` to the list ``<prefix>timeline:<id>``, where ``changes`` maps
a field to ``{"from", "to"}``; declaring is the first entry. Resolving removes the item from
the live state and keeps the outage in the hash ``<prefix>outages:resolved`` (id → JSON), in
the same transaction, so it is always in exactly one of the two. (Not ``history:outages``:
``<prefix>history:<queue>`` holds queue statistics, and a queue may be called ``outages``.)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from redis.client import Pipeline

from feeds.bus.fields import SEVERITIES
from feeds.bus.schema import Envelope
from feeds.errors import SchemaError
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

OUTAGE_FIELDS = frozenset(
    {
        "service", "severity", "status", "customer_wording", "internal_note", "workaround",
        "eta", "queues", "offer", "regions", "services", "segments", "offer_amount",
    }
)  # fmt: skip
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}  # critical first


INTERNAL_FIELDS = frozenset({"internal_note"})  # for supervisors; never on a wall or an agent tab


def public_outage(record: Mapping[str, Any]) -> dict[str, Any]:
    """An outage (or any record or change set keyed by its fields) without its internal side:
    what walls, agent tabs and every non-supervisor reader of the API may see."""
    return {k: v for k, v in record.items() if k not in INTERNAL_FIELDS}


def outage_order(data: Mapping[str, Any]) -> tuple[int, float]:
    """Where an outage stands in every list of outages: most severe first, then the newest."""
    return SEVERITY_ORDER[data["severity"]], -data["started_at"]


def outage_touches(outage: Mapping[str, Any], queue_ids: Collection[str]) -> bool:
    """Whether an active outage concerns these queues: it names one, or the whole centre."""
    if outage["status"] == "resolved":
        return False
    return not outage["queues"] or any(q in queue_ids for q in outage["queues"])


RECENT_RESOLVED = 20


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Field → {from, to} for every field that differs (a declaration: from None)."""
    return {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}


class Outages(NoticeService):
    """Declare, update, resolve and list outages, each change on the outage's timeline."""

    @property
    def state_key(self) -> str:
        return self.bus.state_key("outage")

    @property
    def history_key(self) -> str:
        return f"{self.prefix}outages:resolved"

    def timeline_key(self, outage_id: str) -> str:
        return f"{self.prefix}timeline:{outage_id}"

    # -- writes ---------------------------------------------------------------------------------

    def declare(self, fields: Mapping[str, Any], actor: str) -> Record:
        only_fields(fields, OUTAGE_FIELDS)
        now = self.clock()
        data = self._checked({"status": "investigating", **fields, "started_at": now}, fields, now)
        if data["status"] == "resolved":
            raise SchemaError("status", "a new outage cannot be resolved already")
        env = self.envelope("outage", new_id("o"), data, now)

        def change(pipe: Pipeline) -> Envelope:
            pipe.multi()
            self.commit(pipe, env, actor=actor, action="declare", before=None)
            self._write_timeline(pipe, env.id, actor, {}, data, now)
            return env

        return self._view(self.atomic([self.state_key], change))

    def update(self, outage_id: str, fields: Mapping[str, Any], actor: str) -> Record:
        """Change any field; setting the status to ``resolved`` resolves the outage."""
        only_fields(fields, OUTAGE_FIELDS)
        now = self.clock()

        def change(pipe: Pipeline) -> Record:
            old = self._live(pipe, outage_id)
            data = self._checked({**old.data, **fields}, fields, now)
            pipe.multi()
            if data == old.data:
                return self._view(old)
            self._write_timeline(pipe, outage_id, actor, old.data, data, now)
            if data["status"] == "resolved":
                resolved = {"id": outage_id, "resolved_at": now, "resolved_by": actor, **data}
                gone = self.deletion("outage", outage_id, self.after(old, now))
                self.commit(pipe, gone, actor=actor, action="resolve", before=old.data, after=data)
                pipe.hset(self.history_key, outage_id, json.dumps(resolved))
                return self._resolved_view(resolved)
            env = self.envelope("outage", outage_id, data, self.after(old, now))
            self.commit(pipe, env, actor=actor, action="update", before=old.data)
            return self._view(env)

        return self.atomic([self.state_key, self.history_key], change)

    def resolve(self, outage_id: str, actor: str) -> Record:
        return self.update(outage_id, {"status": "resolved"}, actor)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, outage_id: str) -> Record:
        """One outage, live or resolved, with its timeline (oldest entry first)."""
        env = self.current(self.client, "outage", outage_id)
        if env is not None:
            view = self._view(env)
        else:
            raw = self.client.hget(self.history_key, outage_id)
            if raw is None:
                raise NotFound("id", f"no outage {outage_id!r}")
            view = self._resolved_view(json.loads(raw))
        timeline = self.client.lrange(self.timeline_key(outage_id), 0, -1)
        return {**view, "timeline": [json.loads(t) for t in timeline]}

    def list(self, resolved_limit: int = RECENT_RESOLVED) -> dict[str, list[Record]]:
        """Active outages, most severe then newest first; the most recently resolved ones.

        The history is one hash read whole: a centre resolves a few outages a day, so even
        years of them are a small read for a console page.
        """
        live = sorted(self.items(self.client, "outage"), key=lambda e: outage_order(e.data))
        active = [self._view(e) for e in live]
        resolved = [
            self._resolved_view(json.loads(raw)) for raw in self.client.hvals(self.history_key)
        ]
        resolved.sort(key=lambda o: -o["resolved_at"])
        return {"active": active, "resolved": resolved[:resolved_limit]}

    # -- helpers --------------------------------------------------------------------------------

    def _live(self, client: Reader, outage_id: str) -> Envelope:
        env = self.current(client, "outage", outage_id)
        if env is not None:
            return env
        if client.hexists(self.history_key, outage_id):
            raise Conflict("id", f"outage {outage_id!r} is resolved; declare a new one")
        raise NotFound("id", f"no outage {outage_id!r}")

    def _checked(self, data: Mapping[str, Any], given: Mapping[str, Any], now: float) -> Record:
        """Schema, known queues, and an ETA in the future when one is being set."""
        checked = validate("outage", data)
        for i, queue in enumerate(checked["queues"]):
            self.check_queue(f"queues.{i}", queue)
        if "eta" in given:
            self.check_future("eta", checked["eta"], now)
        return checked

    def _write_timeline(
        self, pipe: Pipeline, outage_id: str, actor: str, before: Mapping, after: Mapping, at: float
    ) -> None:
        entry = {"at": at, "actor": actor, "changes": changes(before, after)}
        pipe.rpush(self.timeline_key(outage_id), json.dumps(entry))

    def _view(self, env: Envelope) -> Record:
        return {
            "id": env.id,
            **env.data,
            "updated_at": env.ts,
            "resolved_at": None,
            "resolved_by": None,
        }

    def _resolved_view(self, stored: Mapping[str, Any]) -> Record:
        return {**stored, "updated_at": stored["resolved_at"]}
