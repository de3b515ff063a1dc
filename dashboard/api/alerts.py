"""``/api/v1/alert-rules``: the alert rules supervisors set, as the console sets them.

Supervisors and admins only, reads included (a rule says where the floor is watched most
closely). Each route calls :class:`feeds.notices.alert_rules.AlertRules`, as the console does,
so a change is validated whole (nothing stored if any field is refused), published to every
console and wall, and audited with its actor.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from dashboard.api.body import json_object
from dashboard.auth.access import require_role
from dashboard.auth.principal import current_principal
from feeds.alerts import defaults_text
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.notices.alert_rules import AlertRules


def _actor() -> str:
    principal = current_principal()
    assert principal is not None  # require_role let the request in
    return principal.actor


def add_routes(bp: Blueprint, bus: Bus, config: Config) -> None:
    rules = AlertRules(bus, config)

    @bp.get("/alert-rules")
    @require_role("supervisor")
    def list_alert_rules() -> Response:
        return jsonify(rules=rules.list(), defaults=defaults_text(config))

    @bp.post("/alert-rules")
    @require_role("supervisor")
    def create_alert_rule() -> tuple[Response, int]:
        return jsonify(rules.create(json_object(), _actor())), 201

    @bp.get("/alert-rules/<rule_id>")
    @require_role("supervisor")
    def get_alert_rule(rule_id: str) -> Response:
        return jsonify(rules.get(rule_id))

    @bp.patch("/alert-rules/<rule_id>")
    @require_role("supervisor")
    def update_alert_rule(rule_id: str) -> Response:
        return jsonify(rules.update(rule_id, json_object(), _actor()))

    @bp.delete("/alert-rules/<rule_id>")
    @require_role("supervisor")
    def remove_alert_rule(rule_id: str) -> Response:
        return jsonify(rules.remove(rule_id, _actor()))
