"""The card's two forms: record what you gave, and what you promised.

What an agent gives or promises counts against the customer's allowances and is read by the
next agent, so it is recorded where it happens: on the card, while the agent is on the contact.
The forms are part of the page's layout (so Dash owns their inputs); ``agent.js`` shows them once
the contact is answered, fills the choice of what may be given and proposes the promise, and
names the contact in ``agent-record-contact``. The buttons are server callbacks, like
Acknowledge: they record as the signed-in agent through :class:`feeds.customers.ledger.Ledger`,
which checks again that the contact is theirs and that they may give it, whatever the page sent.
"""

from __future__ import annotations

import time
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.auth.principal import current_principal
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.customers.authority import parse_amount
from feeds.customers.ledger import Ledger
from feeds.errors import SchemaError
from feeds.times import parse_when

LABELS = {"amount": "Amount", "rule_id": "What you gave", "outage_id": "What you gave",
          "text": "What you promised", "due": "By", "contact": "Contact"}  # fmt: skip
NOT_AGENT = "Only the agent on the contact can record it: sign in again as yourself."


def forms() -> html.Div:
    """The forms, hidden until a contact is answered (``agent.js`` shows them)."""

    def row(label: str, *children: Any) -> html.Div:
        return html.Div(className="fb-agent-form-row", children=[
            html.Span(label, className="fb-agent-form-label"), *children])  # fmt: skip

    def text(id: str, placeholder: str, cls: str, **extra: Any) -> dcc.Input:
        return dcc.Input(id=id, type="text", placeholder=placeholder, autoComplete="off",
                         className=f"fb-agent-input {cls}", debounce=False, **extra)  # fmt: skip

    return html.Div(
        id="agent-record",
        className="fb-agent-record hidden",
        children=[
            row(
                "Gave",
                dcc.Dropdown(
                    id="agent-give-what",
                    options=[],
                    placeholder="what you gave",
                    clearable=False,
                    searchable=False,
                    className="fb-agent-choice",
                ),
                text("agent-give-amount", "amount", "fb-agent-amount", inputMode="decimal"),
                text("agent-give-note", "note (optional)", "fb-agent-note-input", maxLength=300),
                html.Button("Record", id="agent-give-submit", className="fb-agent-button"),
            ),
            row(
                "Promised",
                text("agent-promise-text", "what you promised", "fb-agent-promise", maxLength=300),
                text("agent-promise-due", "by (17:00)", "fb-agent-due"),
                html.Button("Record", id="agent-promise-submit", className="fb-agent-button"),
            ),
            html.Div(id="agent-record-note", className="fb-agent-record-note", role="status"),
            dcc.Store(id="agent-record-contact"),
        ],
    )


def _said(exc: SchemaError) -> str:
    return f"Not recorded: {LABELS.get(exc.field, exc.field or 'Form')}: {exc.reason}"


def register(app: Dash, config: Config, bus: Bus) -> None:
    ledger = Ledger(bus, config)

    def record(contact: Any, fields: dict[str, Any]) -> str:
        principal = current_principal()
        if principal is None or principal.agent is None:
            return NOT_AGENT
        if not isinstance(contact, str) or not contact:
            raise SchemaError("contact", "no contact on your card")
        done = ledger.record(principal.agent, contact, fields, principal.actor)
        return f"Recorded: {done['text']}"

    @app.callback(
        Output("agent-record-note", "children", allow_duplicate=True),
        Output("agent-give-amount", "value"),
        Output("agent-give-note", "value"),
        Input("agent-give-submit", "n_clicks"),
        State("agent-give-what", "value"),
        State("agent-give-amount", "value"),
        State("agent-give-note", "value"),
        State("agent-record-contact", "data"),
        prevent_initial_call=True,
    )
    def give(_: Any, what: str | None, amount: str | None, note: str | None, contact: Any):
        try:
            kind, _, ident = (what or "").partition(":")
            if kind not in ("rule", "outage") or not ident:
                raise SchemaError("rule_id", "choose what you gave")
            fields = {"type": "gave", f"{kind}_id": ident, "amount": parse_amount("amount", amount),
                      "text": (note or "").strip()}  # fmt: skip
            return record(contact, fields), "", ""
        except SchemaError as exc:
            return _said(exc), no_update, no_update

    @app.callback(
        Output("agent-record-note", "children", allow_duplicate=True),
        Input("agent-promise-submit", "n_clicks"),
        State("agent-promise-text", "value"),
        State("agent-promise-due", "value"),
        State("agent-record-contact", "data"),
        prevent_initial_call=True,
    )
    def promise(_: Any, text: str | None, due: str | None, contact: Any) -> str:
        try:
            if not (text or "").strip():
                raise SchemaError("text", "say what you promised")
            when = parse_when("due", due, config.tz, time.time())
            return record(contact, {"type": "promised", "text": text.strip(), "due": when})
        except SchemaError as exc:
            return _said(exc)
