"""The agent tab ``/agent/<agent_id>``: what one agent needs to win the contact in front of them.

Kept open in a browser tab beside the agent's desktop, full screen or as a narrow side panel:
the agent's own state and stats in the header, the moment-of-truth card of the current contact
right under it when there is one, then the messages aimed at them (with Acknowledge), the
queues they serve and the outages that touch their queues, with what to say and may offer.

The layout is built here and never re-rendered by the server; the page's stream
(``view=agent``, see :mod:`dashboard.pages.agent.model`) is applied in the browser by the shared
client ``assets/stream.js`` (one stream, reconnection, server clock, connection band) calling
the item renderers in ``agent.js`` (next to this file, with ``agent.css``).

Who may see it: the agent (role ``agent`` with this agent id) and supervisors or admins. A GET
of someone else's tab is answered 403 before Dash sees it, and a browser not signed in is sent
to the login; the layout checks again, since Dash's page router serves layouts from callback
POSTs whatever the address bar says. The Acknowledge button is a server callback that
acknowledges as the signed-in agent (session and CSRF checked by :mod:`dashboard.auth`), the
same :meth:`feeds.messages.Messages.ack` as the API, so the console counts it at once.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import flask
from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.exceptions import PreventUpdate
from markupsafe import escape

from dashboard.auth.access import may_view_agent, own_tab
from dashboard.auth.principal import current_principal
from dashboard.auth.sessions import login_url
from dashboard.pages.agent import record
from dashboard.pages.agent.model import CONTACT, ME, MESSAGES, MY_DAY, NEXT, OUTAGES, QUEUES
from dashboard.pages.charts.figure import graph
from dashboard.pages.charts.model import KINDS
from dashboard.pages.login import ASSETS as LOGIN_ASSETS
from dashboard.pages.login.page import PAGE_HEADERS
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.intraday.grid import Day
from feeds.intraday.hours import HOUR
from feeds.notices.messages import Messages

PATH_RE = re.compile(r"^/agent/([^/]+)(?:/day)?$")  # the tab, and the agent's day
ACK_BUTTON = "agent-ack"
STATS = (("handled", "Handled"), ("aht", "AHT"), ("asa", "ASA"), ("backlog", "To acknowledge"))

FORBIDDEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not your tab · Floorboard</title>
{head}</head>
<body class="fb-login"><main class="fb-login-card">
<h1 class="fb-login-title">Not your tab</h1>
<p class="fb-login-error" role="alert">Signed in as {name} ({role}): each agent sees only their
own tab.</p>
{own}
<p><a class="fb-login-link" href="{login}">Sign in as someone else</a></p>
</main></body></html>
"""


def guard() -> flask.Response | None:
    """Before-request hook for ``GET /agent/<id>`` (and ``/agent/<id>/day``): sign in first,
    and 403 for another's tab.

    Must run after :mod:`dashboard.auth` has resolved the principal (``init_auth`` first).
    """
    match = PATH_RE.match(flask.request.path)
    if match is None or flask.request.method != "GET":
        return None
    principal = current_principal()
    if principal is None:
        return flask.redirect(login_url(flask.request.path))
    if may_view_agent(principal, match[1]):
        return None
    own = own_tab(principal)
    link = f'<p><a class="fb-login-link" href="{escape(own)}">Open your tab</a></p>' if own else ""
    body = FORBIDDEN_PAGE.format(
        head=LOGIN_ASSETS.head(),  # the sign-in page's look
        name=escape(principal.name),
        role=escape(principal.role),
        own=link,
        login=escape(login_url(flask.request.path)),
    )
    return flask.Response(body, 403, headers=PAGE_HEADERS, mimetype="text/html")


# -- layout ---------------------------------------------------------------------------------------


def layout(config: Config, agent_id: str) -> html.Div:
    """The tab of ``agent_id`` for whoever may see it; for anyone else, why not."""
    if not agent_id:
        return _notice("No agent given", "An agent's tab is at /agent/<agent id>.")
    principal = current_principal()
    if principal is None:
        return _notice("Sign in", "Your tab needs your login.", login_url(f"/agent/{agent_id}"))
    if not may_view_agent(principal, agent_id):
        return _notice("Not your tab", "Each agent sees only their own tab.", own_tab(principal))
    can_ack = principal.agent == agent_id  # a supervisor looking on cannot acknowledge for them
    return html.Div(
        id="agent",
        className="fb-agent",
        children=[
            _header(agent_id),
            html.Div(id="conn-band", className="conn-band hidden", role="status"),
            # The card and the messages side by side on a wide tab, so an urgent message and its
            # Acknowledge stay in view however long the card; one after the other when narrow,
            # an urgent message waiting for its Acknowledge first (agent.js, agent.css).
            html.Div(
                id="agent-top",
                className="fb-agent-top",
                children=[
                    html.Section(
                        id="agent-contact",
                        className="fb-agent-card hidden",
                        role="region",
                        children=[html.Div(id="agent-contact-body"), record.forms()],
                        **{"aria-label": "Current contact"},
                    ),
                    _panel("Messages for me", "agent-messages", "fb-agent-messages"),
                ],
            ),
            html.Main(
                className="fb-agent-grid",
                children=[
                    _panel("Next for me", "agent-next", "fb-agent-next"),
                    _panel("My queues", "agent-queues", "fb-agent-queues"),
                    _panel("Outages on my queues", "agent-outages", "fb-agent-outages"),
                    _my_day(config),
                ],
            ),
            html.Div(id="agent-ack-note", className="fb-agent-note", role="alert"),
            dcc.Store(id="fb-view", data=_view(config, agent_id, can_ack)),
            dcc.Store(id="fb-conn"),
        ],
    )


def _view(config: Config, agent_id: str, can_ack: bool) -> dict[str, Any]:
    """The manifest ``stream.js`` streams by: each item goes to an ``agent.js`` renderer."""

    def item(key: str, **extra: Any) -> dict[str, Any]:
        return {"id": f"agent-{key}", "render": f"agent-{key}", **extra}  # "render": its own

    return {
        "stream": f"/stream?{urlencode({'view': 'agent', 'agent': agent_id})}",
        "timezone": config.centre.timezone,
        "now": time.time(),  # the script's first clock sample, before the stream's first event
        "root": "agent",
        "items": {  # drawn in this order: the card says which outages the panel leaves to it
            ME: item(ME),
            CONTACT: item(CONTACT),
            QUEUES: item(QUEUES),
            NEXT: item(NEXT),
            MESSAGES: item(MESSAGES, ack=can_ack),
            OUTAGES: item(OUTAGES),
            MY_DAY: item(
                MY_DAY,
                render="chart-day",
                graph=f"agent-{MY_DAY}-graph",
                fields=list(KINDS["agent"].fields),
            ),
        },
    }


def _header(agent_id: str) -> html.Header:
    """Who, in what state for how long, today's numbers, and whether the page is live."""
    return html.Header(
        id="agent-me",
        className="fb-agent-header",
        children=[
            html.Div(
                className="fb-agent-who",
                children=[
                    html.H1(agent_id, id="agent-me-name", className="fb-agent-name"),
                    html.Span("", id="agent-me-team", className="fb-agent-team"),
                ],
            ),
            html.Div(
                className="fb-agent-state-box",
                children=[
                    html.Span("—", id="agent-me-state", className="fb-agent-state"),
                    html.Span("", id="agent-me-time", className="fb-agent-time"),
                ],
            ),
            html.Dl(
                className="fb-agent-stats",
                children=[
                    html.Div(
                        className=f"fb-agent-stat fb-agent-stat-{name}",
                        children=[
                            html.Dt(label),
                            html.Dd("—", id=f"agent-me-{name}"),
                        ],
                    )
                    for name, label in STATS
                ],
            ),
            html.Div(
                className="fb-agent-live",
                children=[
                    html.Div("Connecting…", id="conn-indicator", className="conn-indicator"),
                    html.Div("--:--:--", id="clock", className="clock"),
                ],
            ),
        ],
    )


def _my_day(config: Config) -> html.Section:
    """Contacts handled per hour and AHT against the team: how the agent's day is going
    (a chart patched from the stream: dashboard/pages/charts)."""
    today = Day.of(time.time(), config.tz, HOUR)
    return html.Section(
        id=f"agent-{MY_DAY}",
        className="fb-agent-panel fb-agent-day chart-tile",
        children=[
            html.H2("My day: contacts handled per hour, AHT against my team"),
            html.Div(
                className="chart-body",
                children=graph(f"agent-{MY_DAY}", "agent", today, "dark", 13),
            ),
        ],
    )


def _panel(title: str, list_id: str, cls: str) -> html.Section:
    return html.Section(
        className=f"fb-agent-panel {cls}",
        children=[html.H2(title), html.Div(id=list_id, className="fb-agent-list")],
    )


def _notice(title: str, text: str, link: str | None = None) -> html.Div:
    """A page with no stream (``fb-view`` empty): nothing of anyone's tab, and the way on."""
    children: list[Any] = [html.H1(title), html.P(text)]
    if link is not None:
        children.append(html.A("Continue", href=link, className="fb-agent-link"))
    return html.Div(
        className="fb-agent fb-agent-notice",
        children=[*children, dcc.Store(id="fb-view", data=None), dcc.Store(id="fb-conn")],
    )


# -- callbacks ------------------------------------------------------------------------------------


def register_callbacks(app: Dash, config: Config, bus: Bus) -> None:
    """The page guard, the Acknowledge button and the card's forms (the stream is started by
    :func:`dashboard.pages.assets.register`, for every page)."""
    messages = Messages(bus, config)
    app.server.before_request(guard)
    record.register(app, config, bus)

    @app.callback(
        Output("agent-ack-note", "children"),
        Input({"type": ACK_BUTTON, "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def acknowledge(_: Any) -> str:
        if not any(t["value"] for t in ctx.triggered):
            raise PreventUpdate  # a button appeared: no click
        principal = current_principal()
        if principal is None or principal.agent is None:
            return "Only the agent can acknowledge their messages: sign in again."
        try:
            messages.ack(ctx.triggered_id["id"], principal.agent, principal.actor)
        except SchemaError as exc:
            return f"Could not acknowledge: {exc.reason}"
        return ""
