"""The audit log panel, and the read-back of everything the console shows that is not on the bus.

The audit log, the recently resolved outages and an open outage's timeline are Redis streams,
hashes and lists, not bus items, so one server callback reads them: when the page opens, after
each action, and whenever the stream brings a change to a list (every audited change is also a
change on the bus), debounced by ``console.js``. An outage's timeline is drawn as the
audit log is: who, when, and each field before → after.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.pages.console import widgets as w
from dashboard.pages.console.common import DONE, supervisor
from dashboard.pages.console.model import audit_changes, audit_entry
from dashboard.pages.console.outages import resolved_list
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.audit import AuditLog
from feeds.notices.outages import Outages
from feeds.times import fmt_time

SHOWN = 60  # audit entries read
KINDS = [("", "All"), ("message", "Messages"), ("ack", "Acks"), ("outage", "Outages"),
         ("delay", "Delays"), ("rule", "Rules"), ("commitment", "Given"),
         ("alert_rule", "Alerts")]  # fmt: skip


def panel() -> html.Section:
    kinds = dcc.RadioItems(
        id="console-audit-kind",
        options=[{"label": label, "value": v} for v, label in KINDS],
        value="",
        inline=True,
        className="fb-radios fb-filter",
    )
    return w.panel(
        "Audit log", html.Div(id="console-audit", className="fb-audit"), extra=kinds, cls="fb-audit"
    )


def register(app: Dash, config: Config, bus: Bus) -> None:
    audit_log, outages = AuditLog(bus.client, bus.prefix), Outages(bus, config)
    tz = config.tz

    @app.callback(
        Output("console-audit", "children"),
        Output("console-resolved", "children"),
        Output("console-out-timeline", "children"),
        Input("console-refresh", "data"),
        Input(DONE, "data"),
        Input("console-audit-kind", "value"),
        Input("console-out-editing", "data"),
    )
    def read_back(_: Any, __: Any, kind: str, editing: Mapping[str, Any] | None) -> tuple[Any, ...]:
        """What is not on the bus: the audit log, resolved outages, the open outage's timeline."""
        if supervisor() is None:
            raise PreventUpdate
        now = time.time()
        entries = audit_log.read(SHOWN, kind or None)
        resolved = outages.list()["resolved"]
        timeline = None
        if editing:
            try:
                timeline = _timeline(outages.get(editing["id"])["timeline"], tz, now)
            except SchemaError:
                timeline = None
        return _audit(entries, tz, now), resolved_list(resolved, config, tz, now), timeline


def _diff(rows: list[tuple[str, str | None, str | None]]) -> html.Ul:
    """Field, before → after; a creation shows only the value set, a removal only the old."""

    def row(field: str, before: str | None, after: str | None) -> html.Li:
        parts = [html.Span(field, className="fb-diff-field")]
        if before is not None:
            parts.append(html.Span(before, className="fb-diff-before"))
        if before is not None and after is not None:
            parts.append(html.Span("→", className="fb-diff-arrow"))
        if after is not None:
            parts.append(html.Span(after, className="fb-diff-after"))
        return html.Li(parts)

    return html.Ul(className="fb-diff", children=[row(*r) for r in rows])


def _entry(head: list[html.Span], *body: html.Ul) -> html.Div:
    """One change: when, who and what (``head``), then its diff."""
    return html.Div(
        className="fb-audit-entry",
        children=[html.Div(className="fb-audit-head", children=head), *body],
    )


def _audit(entries: list[Mapping[str, Any]], tz: tzinfo, now: float) -> Any:
    if not entries:
        return html.Div("No changes recorded yet.", className="fb-empty")
    shown = [audit_entry(e, tz, now) for e in entries]
    return [
        _entry(
            [
                html.Span(a["time"], className="fb-time"),
                html.Span(a["actor"], className="fb-actor"),
                html.Span(a["verb"], className="fb-action"),
                html.Span(a["subject"], className="fb-id"),
            ],
            *([_diff(a["rows"])] if a["rows"] else []),
        )
        for a in shown
    ]


def _timeline(entries: list[Mapping[str, Any]], tz: tzinfo, now: float) -> Any:
    """An outage's changes, newest first; declaring is the oldest entry."""

    def entry(i: int, e: Mapping[str, Any]) -> html.Div:
        before = {f: c["from"] for f, c in e["changes"].items()}
        after = {f: c["to"] for f, c in e["changes"].items()}
        head = [
            html.Span(fmt_time(e["at"], tz, now), className="fb-time"),
            html.Span(e["actor"], className="fb-actor"),
            html.Span("declared" if i == 0 else "changed", className="fb-action"),
        ]
        return _entry(head, _diff(audit_changes(before if i else None, after, tz, now)))

    listed = [entry(i, e) for i, e in enumerate(entries)]
    return [html.H3("Timeline", className="fb-sub"), *reversed(listed)]
