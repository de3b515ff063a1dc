"""``POST /api/v1/events``: ingest, the feed path over HTTP.

Like ``floorboard publish`` and producers writing to Redis, events are validated and published,
not audited; supervisor actions go through the notice routes, which are audited. A message's
audience must exist here too (:meth:`feeds.notices.messages.Messages.feed_check`, the notice
routes' rule). Ingest needs a ``supervisor`` or ``admin`` token: feeds are trusted
producers that can change what the whole floor sees, so there is no weaker "feed" role. A batch
is validated whole before any of it is published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from dashboard.api.body import json_body, source
from dashboard.auth.access import require_role
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, SchemaError, parse_envelope
from feeds.config import Config
from feeds.notices.messages import Messages


def envelopes(body: Any, source: str, check: Callable[[Envelope], None]) -> list[Envelope]:
    """Validate one envelope or a list of them, all before any is published; ``check``: the
    rules the schema cannot know (a message's audience exists)."""
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise SchemaError("body", "no events")
    envs = []
    for i, raw in enumerate(batch):
        if isinstance(raw, dict):
            raw = {"ts": time.time(), "source": source, **raw}
        try:
            env = parse_envelope(raw)
            check(env)
            envs.append(env)
        except SchemaError as exc:
            if not isinstance(body, list):
                raise
            raise SchemaError(f"{i}.{exc.field}" if exc.field else str(i), exc.reason) from None
    return envs


def add_routes(bp: Blueprint, bus: Bus, config: Config) -> None:
    messages = Messages(bus, config)

    @bp.post("/events")
    @require_role("supervisor")
    def ingest() -> Response:
        envs = envelopes(json_body(), source(), messages.feed_check())
        seqs = bus.publish_many(envs)
        published = [
            {"kind": e.kind, "id": e.id, "seq": s} for e, s in zip(envs, seqs, strict=True)
        ]
        return jsonify(published=published)
