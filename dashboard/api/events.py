"""``POST /api/v1/events``: ingest, the feed path over HTTP.

Like ``floorboard publish`` and producers writing to Redis, events are validated and published,
not audited; supervisor actions go through the notice routes, which are audited. A message's
audience must exist here too (:meth:`feeds.notices.messages.Messages.feed_check`, the notice
routes' rule). Ingest needs a ``supervisor`` or ``admin`` token: feeds are trusted
producers that can change what the whole floor sees, so there is no weaker "feed" role. A batch
is validated whole before any of it is published.

What every ingest route shares lives here too (:class:`Ingest`): one rate limit per token
across the ingest routes (``[api] ingest_limit``, 429 with ``Retry-After``; the batches taken
count, a refused one costs nothing and writes nothing), the answer that
says which events were written and which were duplicates (an event whose ``event_id`` the bus
has seen is never counted twice: a producer retries safely), and each batch counted as its
producer's heartbeat (:mod:`feeds.adapters.beats`), so a feed over HTTP shows among the
console's sources like any other.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, jsonify

from dashboard.api.body import json_body, source
from dashboard.auth.access import require_role
from dashboard.auth.principal import Principal, current_principal
from dashboard.errors import error_response
from dashboard.limits import RateLimits
from feeds.adapters.beats import BatchBeats
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, parse_envelope
from feeds.config import Config
from feeds.errors import SchemaError
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


def principal() -> Principal:
    who = current_principal()
    assert who is not None  # require_role let the request through
    return who


class Ingest:
    """The ingest routes' rate limit, their publishing and their answer."""

    def __init__(self, bus: Bus, config: Config, limits: RateLimits) -> None:
        self.bus = bus
        self.beats = BatchBeats(bus, config.api.heartbeat_seconds)
        self.limited = limits.limit(
            "ingest", config.api.ingest_limit, lambda: principal().actor,
            f"Over the ingest limit of {config.api.ingest_limit} for this credential",
            lambda text, wait: error_response(429, "rate", text), shared=True,
            exempt_when=lambda: current_principal() is None,  # refused as unknown, uncounted
            deduct_when=lambda response: response.status_code < 400,  # batches taken count
        )  # fmt: skip

    def publish(
        self, envs: list[Envelope], producers: Mapping[str, int] | None = None
    ) -> dict[str, Any]:
        """Publish a validated batch; answer with each event's sequence number, 0 and
        ``duplicate`` for one not written (its event id was on the bus already, or its item
        holds this or a later event: feeds.bus.ordering). The batch is a heartbeat of each
        producer it names (bar those that sent their own), or of ``producers`` (source ->
        events) when the caller knows better (a batch of records that mapped to nothing)."""
        now = time.time()
        seqs = self.bus.publish_many(envs, now=now)
        if producers is None:
            own = {e.id for e in envs if e.kind == "heartbeat"}
            producers = Counter(e.source for e in envs if e.source and e.source not in own)
        self.beats.batch(producers, now)
        published = [
            {"kind": e.kind, "id": e.id, "seq": s, **({"duplicate": True} if not s else {})}
            for e, s in zip(envs, seqs, strict=True)
        ]
        return {"published": published, "duplicates": seqs.count(0)}


def add_routes(bp: Blueprint, bus: Bus, config: Config, ingest: Ingest) -> None:
    messages = Messages(bus, config)

    @bp.post("/events")
    @ingest.limited
    @require_role("supervisor")
    def ingest_events() -> Response:
        """Publish events (one envelope or a list), validated whole first."""
        envs = envelopes(json_body(), source(), messages.feed_check())
        return jsonify(ingest.publish(envs))
