"""The outages panel: the active outages, the form that declares or updates one, and the
recently resolved.

Active outages come over the stream (drawn by ``console.js``); the recently resolved
and an open outage's timeline are not on the bus, so :mod:`.audit` reads them
back from Redis with the audit log. Declaring and updating go through
:class:`feeds.outages.Outages`, as ``/api/v1`` and the CLI do; an update appends to the
outage's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar

from dash import Dash, Output, html, no_update

from dashboard.pages.console import widgets as w
from dashboard.pages.console.common import queue_name, register_item_action
from dashboard.pages.console.forms import ItemForm
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.customers.authority import parse_amount
from feeds.customers.matching import names
from feeds.notices.outages import Outages
from feeds.times import fmt_time, parse_when, time_text

SEVERITIES = ("critical", "major", "minor")
STATUSES = ("investigating", "identified", "monitoring", "resolved")


def panel(config: Config) -> html.Section:
    form = w.form(
        "console-out-form",
        w.row(
            w.field(
                "service",
                "Service",
                w.text("console-out-service", "Broadband — North East", maxLength=120),
            ),
            w.field("eta", "ETA", w.text("console-out-eta", "14:30 or +2h")),
        ),
        w.field(
            "severity",
            "Severity",
            w.radios("console-out-severity", [(s, s.capitalize()) for s in SEVERITIES], "major"),
        ),
        w.field(
            "status",
            "Status",
            w.radios(
                "console-out-status",
                [(s, s.capitalize()) for s in STATUSES[:-1]],
                "investigating",
            ),
        ),
        w.field(
            "customer_wording",
            "Customer wording (approved)",
            w.area("console-out-wording", 1000, "What agents say to customers"),
        ),
        w.row(
            w.field("workaround", "Workaround", w.area("console-out-workaround", 1000)),
            w.field("internal_note", "Internal note", w.area("console-out-note", 1000)),
        ),
        w.row(
            w.field(
                "offer",
                "Agents may offer",
                w.text("console-out-offer", "e.g. a £10 credit", maxLength=300),
            ),
            w.field(
                "offer_amount",
                f"Offer amount ({config.customers.currency})",
                w.text("console-out-amount", "10"),
            ),
        ),
        w.field(
            "queues",
            "Affected queues (none ticked: every queue)",
            w.ticks(
                "console-out-queues", [{"label": q.name, "value": q.id} for q in config.queues]
            ),
        ),
        html.Div(
            "Who it hits (comma-separated; leave all three empty to flag every caller of its "
            "queues):",
            className="fb-hint",
        ),
        w.row(
            w.field(
                "regions",
                "Regions or postcode areas",
                w.text("console-out-regions", "North East, NE"),
            ),
            w.field("services", "Services", w.text("console-out-services", "Electricity")),
            w.field("segments", "Segments", w.text("console-out-segments", "all")),
        ),
        w.actions(
            html.Button("Declare", id="console-out-submit", className="fb-button"),
            html.Button("Cancel update", id="console-out-cancel", className=w.CANCEL_HIDDEN),
        ),
        html.Div(id="console-out-feedback", className="fb-feedback-slot"),
        html.Div(id="console-out-timeline", className="fb-timeline"),
    )
    return w.panel(
        "Outages",
        w.live_list("console-outages"),
        w.folding("console-out", "Declare an outage", form),
        html.H3("Recently resolved", className="fb-sub"),
        html.Div(id="console-resolved", className="fb-list fb-resolved"),
        cls="fb-outages",
    )


def status_options(updating: bool) -> list[dict[str, str]]:
    """A new outage cannot be resolved already; an update may resolve it."""
    statuses = STATUSES if updating else STATUSES[:-1]
    return [{"label": s.capitalize(), "value": s} for s in statuses]


class OutageForm(ItemForm):
    """Declare an outage, or update one opened from the list (which may resolve it)."""

    prefix = "console-out"
    inputs: ClassVar[dict[str, str]] = {
        "service": "console-out-service", "severity": "console-out-severity",
        "status": "console-out-status", "customer_wording": "console-out-wording",
        "internal_note": "console-out-note", "workaround": "console-out-workaround",
        "eta": "console-out-eta", "queues": "console-out-queues", "offer": "console-out-offer",
        "offer_amount": "console-out-amount", "regions": "console-out-regions",
        "services": "console-out-services", "segments": "console-out-segments",
    }  # fmt: skip
    extra_outputs: ClassVar[dict[str, Output]] = {
        "status_options": Output("console-out-status", "options"),
        "open": Output("console-out-details", "open"),
    }
    keys = ("service", "severity", "status", "customer_wording", "internal_note", "workaround",
            "eta", "queues", "offer", "offer_amount", "regions", "services",
            "segments")  # fmt: skip
    typed_times = ("eta",)
    new_mode, new_label, save_label = "Declare an outage", "Declare", "Save update"
    cancelled, opened = "Update cancelled.", "Updating: change and save."

    def __init__(self, tz: tzinfo, outages: Outages) -> None:
        super().__init__(tz)
        self.outages = outages

    def blank(self) -> dict[str, Any]:
        return {
            "service": "", "severity": "major", "status": "investigating",
            "status_options": status_options(False), "customer_wording": "",
            "internal_note": "", "workaround": "", "eta": "", "queues": [], "offer": "",
            "offer_amount": "", "regions": "", "services": "", "segments": "", "open": no_update,
        }  # fmt: skip

    def filled(self, item: Mapping[str, Any], now: float) -> dict[str, Any]:
        return {
            **{key: item[key] for key in self.keys},
            "eta": time_text(item["eta"], self.tz, now),
            "offer_amount": "" if item["offer_amount"] is None else f"{item['offer_amount']:g}",
            **{k: ", ".join(item[k]) for k in ("regions", "services", "segments")},
            "status_options": status_options(True),
            "mode": f"Update: {item['service']}",
            "open": True,
        }

    def fields(self, form: Mapping[str, Any], now: float) -> dict[str, Any]:
        return {
            "service": (form["service"] or "").strip(),
            "severity": form["severity"],
            "status": form["status"],
            "customer_wording": form["customer_wording"] or "",
            "internal_note": form["internal_note"] or "",
            "workaround": form["workaround"] or "",
            "eta": parse_when("eta", form["eta"], self.tz, now),
            "queues": list(form["queues"] or []),
            "offer": form["offer"] or "",
            "offer_amount": parse_amount("offer_amount", form["offer_amount"]),
            **{k: names(form[k]) for k in ("regions", "services", "segments")},
        }

    def kept(self, form: Mapping[str, Any], shown: Mapping[str, str]) -> dict[str, bool]:
        return {"eta": form["eta"] == shown["eta"]}

    def get(self, item_id: str) -> Mapping[str, Any]:
        return self.outages.get(item_id)

    def create(self, fields: dict[str, Any], by: str) -> str:
        self.outages.declare(fields, by)
        return "Declared."

    def change(self, item_id: str, changes: dict[str, Any], by: str) -> str:
        o = self.outages.update(item_id, changes, by)
        return "Resolved." if o["status"] == "resolved" else "Updated."


def register(app: Dash, config: Config, bus: Bus) -> None:
    outages = Outages(bus, config)
    OutageForm(config.tz, outages).register(app)

    def resolve(outage_id: str, by: str) -> str:
        return f"Resolved: {outages.resolve(outage_id, by)['service']}."

    register_item_action(app, "console-out-resolve", "console-out-feedback", resolve)


def resolved_list(resolved: list[Mapping[str, Any]], config: Config, tz: tzinfo, now: float) -> Any:
    """The recently resolved outages, as :mod:`.audit` reads them back."""
    if not resolved:
        return html.Div("None recently.", className="fb-empty")
    return [
        html.Div(
            className=f"fb-item fb-resolved-item sev-{o['severity']}",
            children=[
                html.Span(o["severity"].upper(), className="fb-badge"),
                html.Span(o["service"], className="fb-strong"),
                html.Span(
                    f"{fmt_time(o['started_at'], tz, now)} – {fmt_time(o['resolved_at'], tz, now)}"
                    f" · by {o['resolved_by']}",
                    className="fb-meta",
                ),
                html.Span(", ".join(_queue_names(o["queues"], config)), className="fb-meta"),
            ],
        )
        for o in resolved
    ]


def _queue_names(queue_ids: list[str], config: Config) -> list[str]:
    if not queue_ids:
        return ["every queue"]
    return [queue_name(config, qid) for qid in queue_ids]
