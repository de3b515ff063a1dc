"""``/agent/<agent_id>/day``: one agent's day so far, opened from their cell on the floor.

A timeline of their states and contacts (a Plotly figure), today's contacts (time, channel,
queue, waited, handled, outcome), their states span by span, and the key messages that asked
them for an acknowledgement, owed ones first. Built from Redis when opened (:mod:`.model`, the
same as ``GET /api/v1/agents/<id>/day``), and again whenever the agent's own stream (the
``agent`` view a supervisor may open too) says their state, their contact or their
acknowledgements changed: ``agentday.js`` sets ``day-changed`` and the server callback
rebuilds the page's body. Who may open it: :func:`dashboard.auth.access.may_view_agent`
(supervisors anyone's, an agent their own), checked before Dash sees the GET (the agent tab's
guard), again here, and in the callback.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.api.agents import agent_day
from dashboard.auth.access import may_view_agent
from dashboard.auth.principal import current_principal
from dashboard.auth.sessions import login_url
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.notices.messages import Messages
from feeds.notices.service import NotFound

SUMMARY = (("contacts", "Contacts"), ("handled", "Handled"), ("talk", "Handle time"),
           ("available", "Available"), ("on_contact", "On contact"), ("wrap", "Wrap-up"),
           ("away", "Away"), ("owed", "To acknowledge"))  # fmt: skip
CONTACT_HEADS = (("time", "Offered"), ("channel", "Channel"), ("queue", "Queue"),
                 ("waited", "Waited"), ("handled", "Handled"), ("outcome", "Outcome"))  # fmt: skip
# The agent view's items whose change changes the day: their state, their contact, their acks.
WATCHED = ("me", "contact", "messages")
STATE_HEADS = (("state", "State"), ("from", "From"), ("to", "To"), ("lasted", "For"))


def path(agent_id: str) -> str:
    return f"/agent/{agent_id}/day"


def layout(config: Config, bus: Bus, agent_id: str) -> html.Div:
    """The day for whoever may see it; for anyone else, why not."""
    principal = current_principal()
    if principal is None:
        return _notice("Sign in", "An agent's day needs a login.", login_url(path(agent_id)))
    if not may_view_agent(principal, agent_id):
        return _notice("Not yours", "Each agent sees only their own day.", None)
    try:
        view = agent_day(bus, config, Messages(bus, config), agent_id)
    except NotFound as exc:
        return _notice("No such agent", exc.reason, "/supervisor/floor")
    return html.Div(id="agentday", className="fb-day", children=[
        html.Div(id="conn-band", className="conn-band hidden", role="status"),
        html.Div(className="fb-day-live", children=[  # outside the body: the stream keeps it
            html.Div("Connecting…", id="conn-indicator", className="conn-indicator"),
            html.Div("--:--:--", id="clock", className="clock"),
        ]),
        html.Div(id="day-body", children=body(view, agent_id)),
        dcc.Store(id="day-agent", data=agent_id),
        dcc.Store(id="day-changed"),
        dcc.Store(id="fb-view", data=_stream(config, agent_id)),
        dcc.Store(id="fb-conn"),
    ])  # fmt: skip


def _stream(config: Config, agent_id: str) -> dict[str, Any]:
    """The agent's own stream, for the moments their day changes (agentday.js)."""
    return {
        "stream": f"/stream?{urlencode({'view': 'agent', 'agent': agent_id})}",
        "timezone": config.centre.timezone,
        "now": time.time(),
        "root": "agentday",
        "items": {key: {"id": f"day-{key}", "render": f"day-{key}"} for key in WATCHED},
    }


def body(view: dict[str, Any], agent_id: str) -> list[Any]:
    """Everything the page shows of the day, rebuilt when it changes."""
    return [
        _header(view, agent_id),
        html.Dl(className="fb-day-summary", children=[
            html.Div(className=f"fb-day-stat fb-day-{key}", children=[
                html.Dt(label),
                html.Dd(view["summary"][key], id=f"day-{key}-n", className=_owed(key, view)),
            ])
            for key, label in SUMMARY
        ]),
        html.Section(className="fb-day-panel", children=[
            html.H2("States and contacts through the day"),
            dcc.Graph(id="day-timeline", figure=view["figure"],
                      config={"displayModeBar": False, "responsive": True}),
        ]),
        html.Div(className="fb-day-grid", children=[
            _panel("Contacts today", "day-contacts", _table(view["contacts"], CONTACT_HEADS,
                                                             "No contacts yet today.")),
            _panel("States", "day-states", _table(view["states"], STATE_HEADS,
                                                  "No state today yet.", row_class="key")),
            _panel("Acknowledgements", "day-acks", _acks(view["acks"])),
        ]),
    ]  # fmt: skip


def _owed(key: str, view: dict[str, Any]) -> str | None:
    """Acknowledgements still owed stand out; none owed reads like any other figure."""
    return "owed" if key == "owed" and view["summary"]["owed"] != "0" else None


def _header(view: dict[str, Any], agent_id: str) -> html.Header:
    who = view["name"] + (f" · Team {view['team']}" if view["team"] else "")
    return html.Header(className="fb-day-header", children=[
        html.H1(f"The day of {who}", id="day-title"),
        html.Span(f"{view['day']}, as of {view['as_of']}", className="fb-day-asof"),
        html.Nav(className="fb-day-links", children=[
            html.A("Refresh", href=path(agent_id), className="fb-day-link"),
            html.A("Their tab", href=f"/agent/{agent_id}", className="fb-day-link"),
            html.A("The floor", href="/supervisor/floor", className="fb-day-link"),
        ]),
    ])  # fmt: skip


def _panel(title: str, panel_id: str, body: Any) -> html.Section:
    return html.Section(id=panel_id, className="fb-day-panel", children=[html.H2(title), body])


def _table(rows: list[dict[str, Any]], heads: tuple[tuple[str, str], ...], none: str,
           row_class: str | None = None) -> Any:  # fmt: skip
    if not rows:
        return html.P(none, className="fb-empty")
    return html.Table(className="fb-day-table", children=[
        html.Thead(html.Tr([html.Th(label) for _, label in heads])),
        html.Tbody([html.Tr([html.Td(r[key]) for key, _ in heads],
                            className=f"state-{r[row_class]}" if row_class else None)
                    for r in rows]),
    ])  # fmt: skip


def _acks(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return html.P("No message asked for an acknowledgement today.", className="fb-empty")
    return html.Ul(className="fb-day-acks", children=[
        html.Li(className="fb-day-ack " + ("owed" if r["owed"] else "done"),
                children=[html.Span(r["priority"].upper(),
                                    className=f"fb-badge prio-{r['priority']}"),
                          html.Span(r["text"], className="fb-day-ack-text"),
                          html.Span(f"shown {r['shown']} · acknowledged {r['acked']}",
                                    className="fb-day-ack-when")])
        for r in rows
    ])  # fmt: skip


def _notice(title: str, text: str, link: str | None) -> html.Div:
    children: list[Any] = [html.H1(title), html.P(text)]
    if link is not None:
        children.append(html.A("Continue", href=link, className="fb-button"))
    return html.Div(className="fb-day fb-day-notice", children=[
        *children, dcc.Store(id="fb-view", data=None), dcc.Store(id="fb-conn")])  # fmt: skip


def register_callbacks(app: Dash, config: Config, bus: Bus) -> None:
    """The day's body, rebuilt when ``agentday.js`` says the agent's day moved."""
    messages = Messages(bus, config)

    @app.callback(
        Output("day-body", "children"),
        Input("day-changed", "data"),
        State("day-agent", "data"),
        prevent_initial_call=True,
    )
    def refresh(_: Any, agent_id: str) -> list[Any]:
        if not agent_id or not may_view_agent(current_principal(), agent_id):
            raise PreventUpdate  # signed out since: the stream says so in its band
        return body(agent_day(bus, config, messages, agent_id), agent_id)
