"""The authority rules panel: what agents may give without asking, and the form that sets it.

The rules come over the stream (drawn by ``console.js``); creating, changing and retiring go
through :class:`feeds.customers.rules.Rules`, as ``/api/v1/rules`` does, so every change is
validated, published to every agent's card and audited. Amounts are typed as people write
them (``20``, ``£12.50``); teams and segments as a comma-separated list, none meaning all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dash import Dash, Output, html, no_update

from dashboard.pages.console import widgets as w
from dashboard.pages.console.common import register_item_action
from dashboard.pages.console.forms import ServiceForm
from feeds.bus.bus import Bus
from feeds.bus.fields import PERIODS, RULE_ACTIONS
from feeds.config import Config
from feeds.customers.authority import PERIOD_WORDS, parse_amount
from feeds.customers.matching import names
from feeds.customers.rules import Rules
from feeds.errors import SchemaError

OVER_LIMIT = [("supervisor", "Ask a supervisor"), ("refused", "Never")]


def panel(config: Config) -> html.Section:
    currency, queues = config.customers.currency, config.queues

    def choice(id: str, options: list[tuple[str, str]], value: str) -> Any:
        return w.choice(id, options, value, clearable=False, searchable=False)

    form = w.form(
        "console-rule-form",
        w.row(
            w.field("title", "Title", w.text("console-rule-title", "Goodwill credit")),
            w.field(
                "action",
                "Gives",
                choice(
                    "console-rule-action", [(a.capitalize(), a) for a in RULE_ACTIONS], "credit"
                ),
            ),
        ),
        w.row(
            w.field("limit", f"Up to ({currency}) a time", w.text("console-rule-limit", "20")),
            w.field(
                "over_limit",
                "More than that",
                w.radios("console-rule-over", OVER_LIMIT, "supervisor"),
            ),
        ),
        w.row(
            w.field(
                "allowance", f"Per customer ({currency})", w.text("console-rule-allowance", "30")
            ),
            w.field("times", "Times per customer", w.text("console-rule-times", "1")),
            w.field(
                "period",
                "Per",
                choice("console-rule-period", [(PERIOD_WORDS[p], p) for p in PERIODS], "day"),
            ),
        ),
        w.field(
            "queues",
            "Queues (none ticked: every queue)",
            w.ticks("console-rule-queues", [{"label": q.name, "value": q.id} for q in queues]),
        ),
        w.row(
            w.field("teams", "Agents' teams or tiers", w.text("console-rule-teams", "all teams")),
            w.field("segments", "Customer segments", w.text("console-rule-segments", "all")),
        ),
        w.field(
            "wording",
            "Approved wording",
            w.area("console-rule-wording", 300, "What the agent says when giving it"),
        ),
        *w.edit_actions("console-rule", "Add rule"),
    )
    return w.panel(
        "What agents may give",
        w.live_list("console-rules"),
        w.folding("console-rule", "Add a rule", form),
        cls="fb-rules",
    )


def _amount_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class RuleForm(ServiceForm):
    """Add a standing rule, or change one opened from the list."""

    prefix = "console-rule"
    inputs: ClassVar[dict[str, str]] = {
        "title": "console-rule-title", "action": "console-rule-action",
        "limit": "console-rule-limit", "over_limit": "console-rule-over",
        "allowance": "console-rule-allowance", "times": "console-rule-times",
        "period": "console-rule-period", "queues": "console-rule-queues",
        "teams": "console-rule-teams", "segments": "console-rule-segments",
        "wording": "console-rule-wording",
    }  # fmt: skip
    extra_outputs: ClassVar[dict[str, Output]] = {
        "open": Output("console-rule-details", "open"),
    }
    keys = ("title", "action", "limit", "over_limit", "allowance", "times", "period", "queues",
            "teams", "segments", "wording")  # fmt: skip
    typed_times = ()
    new_mode, new_label, save_label = "Add a rule", "Add rule", "Save rule"
    cancelled, opened = "Edit cancelled.", "Editing: change, then save."
    named = "title"

    def blank(self) -> dict[str, Any]:
        return {
            "title": "", "action": "credit", "limit": "", "over_limit": "supervisor",
            "allowance": "", "times": "", "period": "day", "queues": [], "teams": "",
            "segments": "", "wording": "", "open": no_update,
        }  # fmt: skip

    def filled(self, item: Mapping[str, Any], now: float) -> dict[str, Any]:
        return {
            **{key: item[key] for key in self.keys},
            "limit": _amount_text(item["limit"]), "allowance": _amount_text(item["allowance"]),
            "times": "" if item["times"] is None else str(item["times"]),
            "teams": ", ".join(item["teams"]), "segments": ", ".join(item["segments"]),
            "mode": f"Change: {item['title']}", "open": True,
        }  # fmt: skip

    def fields(self, form: Mapping[str, Any], now: float) -> dict[str, Any]:
        times = (form["times"] or "").strip()
        if times and not times.isdigit():
            raise SchemaError("times", "must be a whole number")
        return {
            "title": (form["title"] or "").strip(), "action": form["action"],
            "limit": parse_amount("limit", form["limit"]), "over_limit": form["over_limit"],
            "allowance": parse_amount("allowance", form["allowance"]),
            "times": int(times) if times else None, "period": form["period"],
            "queues": list(form["queues"] or []), "teams": names(form["teams"]),
            "segments": names(form["segments"]), "wording": (form["wording"] or "").strip(),
        }  # fmt: skip


def register(app: Dash, config: Config, bus: Bus) -> None:
    rules = Rules(bus, config)
    RuleForm(config.tz, rules).register(app)

    def retire(rule_id: str, by: str) -> str:
        return f"Retired: {rules.retire(rule_id, by)['title']}."

    register_item_action(app, "console-rule-retire", "console-rule-feedback", retire)
