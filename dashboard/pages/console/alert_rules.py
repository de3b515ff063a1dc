"""The alert rules panel: what the console's alerts (and the walls' ``alerts`` tile) watch,
and the form that adds, changes and removes a rule.

The rules come over the stream (``console:alert_rules``, drawn by ``alerts.js``) with the
config's defaults under them; adding, changing and removing go through
:class:`feeds.notices.alert_rules.AlertRules`, as ``/api/v1/alert-rules`` does, so each change
is validated whole, applied on every screen within a second and audited. Limits are typed as
durations (``90``, ``5m``), a service level as a percentage (``70``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dash import Dash, Output, html

from dashboard.pages.console import widgets as w
from dashboard.pages.console.common import register_item_action
from dashboard.pages.console.forms import ServiceForm
from dashboard.pages.items import AGENT_LABELS
from feeds.alerts import parse_target
from feeds.bus.bus import Bus
from feeds.bus.fields import AGENT_STATES
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.alert_rules import AlertRules
from feeds.times import parse_duration

RULES = [("wait", "Longest wait"), ("sl", "Service level"), ("state", "Agent in a state")]
EVERY_QUEUE = "*"  # the queue choice "every queue" (a dropdown value cannot be None)


def panel(config: Config) -> html.Section:
    def choice(id: str, options: list[tuple[str, str]], value: str | None) -> Any:
        return w.choice(id, options, value, clearable=False, searchable=False)

    queues = [("Every queue", EVERY_QUEUE), *((q.name, q.id) for q in config.queues)]
    form = w.form(
        "console-alert-form",
        w.field("rule", "Alert when", w.radios("console-alert-rule", RULES, "wait")),
        w.row(
            w.field("queue", "Queue", choice("console-alert-queue", queues, EVERY_QUEUE)),
            w.field(
                "state",
                "State (agent alerts)",
                choice("console-alert-state", [(AGENT_LABELS[s], s) for s in AGENT_STATES], None),
            ),
        ),
        w.row(
            w.field("seconds", "Over (wait, state)", w.text("console-alert-seconds", "5m")),
            w.field("target", "Under % (service level)", w.text("console-alert-target", "target")),
        ),
        *w.edit_actions("console-alert", "Add alert"),
    )
    return w.panel(
        "Alert rules",
        w.live_list("console-alert-rules"),
        w.folding("console-alert", "Add an alert", form),
        cls="fb-alert-rules",
    )


class AlertRuleForm(ServiceForm):
    """Add an alert rule, or change one opened from the list. Only the fields the chosen rule
    takes are sent (the others cleared), so a rule changed from a wait to a state alert does
    not keep the queue it had."""

    prefix = "console-alert"
    inputs: ClassVar[dict[str, str]] = {
        "rule": "console-alert-rule", "queue": "console-alert-queue",
        "state": "console-alert-state", "seconds": "console-alert-seconds",
        "target": "console-alert-target",
    }  # fmt: skip
    extra_outputs: ClassVar[dict[str, Output]] = {
        "open": Output("console-alert-details", "open"),
    }
    keys = ("rule", "queue", "state", "seconds", "target")
    typed_times = ()
    new_mode, new_label, save_label = "Add an alert", "Add alert", "Save alert"
    cancelled, opened = "Edit cancelled.", "Editing: change, then save."
    named = "text"

    def blank(self) -> dict[str, Any]:
        return {"rule": "wait", "queue": EVERY_QUEUE, "state": None, "seconds": "",
                "target": "", "open": False}  # fmt: skip

    def filled(self, item: Mapping[str, Any], now: float) -> dict[str, Any]:
        seconds, target = item["seconds"], item["target"]
        return {
            "rule": item["rule"], "queue": item["queue"] or EVERY_QUEUE, "state": item["state"],
            "seconds": "" if seconds is None else f"{seconds:g}",
            "target": "" if target is None else f"{target * 100:g}",
            "mode": f"Change: {item['text']}", "open": True,
        }  # fmt: skip

    def fields(self, form: Mapping[str, Any], now: float) -> dict[str, Any]:
        rule = form["rule"]
        takes = {"wait": ("queue", "seconds"), "sl": ("queue", "target"),
                 "state": ("state", "seconds")}.get(rule, ())  # fmt: skip
        seconds = (form["seconds"] or "").strip()
        typed = {
            "queue": None if form["queue"] in (None, EVERY_QUEUE) else form["queue"],
            "state": form["state"] or None,
            "seconds": parse_duration("seconds", seconds) if seconds else None,
            "target": parse_target("target", form["target"]),
        }
        if "seconds" in takes and typed["seconds"] is None:
            raise SchemaError("seconds", "type a limit such as 5m or 90")
        return {"rule": rule, **{k: v if k in takes else None for k, v in typed.items()}}


def register(app: Dash, config: Config, bus: Bus) -> None:
    rules = AlertRules(bus, config)
    AlertRuleForm(config.tz, rules).register(app)

    def remove(rule_id: str, by: str) -> str:
        return f"Removed: {rules.remove(rule_id, by)['text']}."

    register_item_action(app, "console-alert-remove", "console-alert-feedback", remove)
