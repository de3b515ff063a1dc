"""``POST /api/v1/connect/records``: Amazon Connect agent event stream records and contact
records over HTTP, e.g. posted by a small consumer of the centre's Kinesis streams.

Each record is mapped by :func:`feeds.adapters.connect.mapping.map_connect_record` (the file
import's mapping) to raw agent and contact events, and the batch is validated whole before
any of it is published: a bad record is a 400 naming its place and field
(``2.Queue.EnqueueTimestamp: is required``) and nothing of the batch is written. Only the raw
events go on the bus; queue statistics are not worked out here, since every app worker takes
posts and a statistic counted per worker would be split between them. One ``floorboard
aggregate`` process follows the raw events on the bus and publishes the queues' figures
(:mod:`feeds.adapters.follow`). Records carry event ids, so Connect's at-least-once delivery
and a consumer's retries count once. The rate limit and the answer are ingest's
(:class:`dashboard.api.events.Ingest`); each batch is a heartbeat of the ``connect`` source.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify

from dashboard.api.body import json_body
from dashboard.api.events import Ingest
from dashboard.auth.access import require_role
from feeds.adapters.connect.mapping import map_connect_record
from feeds.bus import ordering
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.errors import SchemaError


def connect_envelopes(body: Any, config: Config, now: float, max_skew: float) -> tuple[
        list[Envelope], int]:  # fmt: skip
    """The envelopes of one record or a list of them, and how many records mapped to nothing
    (not the board's); SchemaError names the record's place and field."""
    records = body if isinstance(body, list) else [body]
    if not records:
        raise SchemaError("body", "no records")
    envs, none = [], 0
    for i, record in enumerate(records):
        try:
            mapped = map_connect_record(record, config)
            for env in mapped:  # refused by the bus anyway: said here with the record's place
                ordering.trusted_time(env.ts, now, max_skew)
        except SchemaError as exc:
            if not isinstance(body, list):
                raise
            raise SchemaError(f"{i}.{exc.field}" if exc.field else str(i), exc.reason) from None
        envs += mapped
        none += not mapped
    return envs, none


def add_routes(bp: Blueprint, bus: Bus, config: Config, ingest: Ingest) -> None:
    source = config.adapters.connect.source

    @bp.post("/connect/records")
    @ingest.limited
    @require_role("supervisor")
    def connect_records() -> Response:
        """Map and publish Amazon Connect records (one or a list), validated whole first."""
        body = json_body()
        envs, none = connect_envelopes(body, config, time.time(), bus.max_skew)
        answer = ingest.publish(envs, {source: len(envs)})
        records = len(body) if isinstance(body, list) else 1
        return jsonify(records=records, not_the_boards=none, **answer)
