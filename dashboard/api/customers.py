"""``/api/v1`` routes of customers and of what agents may give them.

Customer profiles are a feed: a CRM, a nightly export or a script pushes them with a
``supervisor`` token (there is no weaker feed role, as for ``/events``), and they are validated
and published, not audited. A batch (a JSON list, or a CSV file to ``/customers/import``) is
checked whole first: the first bad profile is refused with its position and field (``2.name``)
or its line and column (``line 4, column segment``), and nothing of it is stored. Reading a
profile back is for supervisors too: an agent sees a customer only on the card of their own
contact, never by asking for one.

Standing authority rules are supervisor actions: created, changed and retired through
:class:`feeds.customers.rules.Rules`, as the console does, so every change is audited.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from dashboard.api.body import json_body, json_object, read_body, source
from dashboard.auth.access import require_role
from dashboard.auth.principal import current_principal
from dashboard.errors import Refusal
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.customers.csv_import import read_profiles
from feeds.customers.ledger import Ledger
from feeds.customers.profiles import Profiles
from feeds.customers.rules import Rules
from feeds.errors import SchemaError
from feeds.notices.service import NotFound

MAX_CSV = 16 * 1024 * 1024  # a CSV import may be larger than a JSON request


def _actor() -> str:
    principal = current_principal()
    assert principal is not None
    return principal.actor


def _pairs(body: Any) -> list[tuple[str, Any]]:
    """A JSON list of profiles, each with its ``id``, as (id, profile) pairs."""
    if not isinstance(body, list) or not body:
        raise SchemaError("body", "must be a non-empty list of profiles, each with its id")
    pairs = []
    for i, raw in enumerate(body):
        if not isinstance(raw, dict):
            raise SchemaError(str(i), "must be a JSON object")
        profile = dict(raw)
        customer_id = profile.pop("id", None)
        if not isinstance(customer_id, str) or not customer_id:
            raise SchemaError(f"{i}.id", "is required")
        pairs.append((customer_id, profile))
    return pairs


def add_routes(bp: Blueprint, bus: Bus, config: Config) -> None:
    profiles, rules, ledger = Profiles(bus), Rules(bus, config), Ledger(bus, config)

    # -- customers ----------------------------------------------------------------------------

    @bp.put("/customers/<customer_id>")
    @require_role("supervisor")
    def put_customer(customer_id: str) -> Response:
        (seq,) = profiles.put([(customer_id, json_object())], source())
        return jsonify(id=customer_id, seq=seq)

    @bp.post("/customers")
    @require_role("supervisor")
    def put_customers() -> Response:
        pairs = _pairs(json_body())
        profiles.put(pairs, source())
        return jsonify(stored=len(pairs))

    @bp.post("/customers/import")
    @require_role("supervisor")
    def import_customers() -> Response:
        if request.mimetype != "text/csv":
            raise Refusal(415, "content-type", "must be text/csv")
        try:
            text = read_body(MAX_CSV).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SchemaError("csv", "must be UTF-8 text") from None
        pairs = read_profiles(text, config.tz, time.time())
        profiles.put(pairs, source())
        return jsonify(stored=len(pairs))

    @bp.get("/customers/<customer_id>")
    @require_role("supervisor")
    def get_customer(customer_id: str) -> Response:
        env = profiles.get(customer_id)
        if env is None:
            raise NotFound("id", f"no customer {customer_id!r}")
        return jsonify(id=customer_id, source=env.source, updated_at=env.ts, **env.data,
                       ledger=ledger.entries(customer_id))  # fmt: skip

    @bp.delete("/customers/<customer_id>")
    @require_role("supervisor")
    def delete_customer(customer_id: str) -> tuple[str, int]:
        if not profiles.delete(customer_id, source()):
            raise NotFound("id", f"no customer {customer_id!r}")
        return "", 204

    # -- standing authority rules -------------------------------------------------------------

    @bp.get("/rules")
    @require_role("agent")
    def list_rules() -> Response:
        return jsonify(rules=rules.list())

    @bp.post("/rules")
    @require_role("supervisor")
    def create_rule() -> tuple[Response, int]:
        return jsonify(rules.create(json_object(), _actor())), 201

    @bp.get("/rules/<rule_id>")
    @require_role("agent")
    def get_rule(rule_id: str) -> Response:
        return jsonify(rules.get(rule_id))

    @bp.patch("/rules/<rule_id>")
    @require_role("supervisor")
    def update_rule(rule_id: str) -> Response:
        return jsonify(rules.update(rule_id, json_object(), _actor()))

    @bp.delete("/rules/<rule_id>")
    @require_role("supervisor")
    def retire_rule(rule_id: str) -> Response:
        return jsonify(rules.retire(rule_id, _actor()))
