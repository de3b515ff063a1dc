"""The floor page: its guard, header, controls and the grid the cells are drawn into.

The layout is built once; ``floor.js`` fills the grid from the stream and keeps the controls'
choices (sort, team, queue) in the browser, so choosing one redraws at once with no server
round trip.
"""

from __future__ import annotations

import time
from typing import Any

import flask
from dash import ClientsideFunction, Dash, Input, Output, dcc, html
from markupsafe import escape

from dashboard.auth.access import landing
from dashboard.auth.principal import current_principal, has_role
from dashboard.auth.sessions import login_url
from dashboard.pages.floor.model import AGENT_PREFIX, AGENTS, BACKLOG, BLENDED, QUEUES
from dashboard.pages.login import ASSETS as LOGIN_ASSETS
from dashboard.pages.login.page import PAGE_HEADERS
from feeds.config import Config

PATH = "/supervisor/floor"
ROLE = "supervisor"
SORTS = [("Longest in state", "longest"), ("Away first", "away"), ("Name", "name")]

FORBIDDEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Supervisors only · Floorboard</title>
{head}</head>
<body class="fb-login"><main class="fb-login-card">
<h1 class="fb-login-title">Supervisors only</h1>
<p class="fb-login-error" role="alert">Signed in as {name} ({role}): the floor is for
supervisors.</p>
<p><a class="fb-login-link" href="{home}">Back</a> ·
<a class="fb-login-link" href="{login}">Sign in as someone else</a></p>
</main></body></html>
"""


def guard() -> flask.Response | None:
    """Before-request hook for ``GET /supervisor/floor``: sign in first; 403 unless a
    supervisor. Must run after :mod:`dashboard.auth` has resolved the principal."""
    if flask.request.path != PATH or flask.request.method != "GET":
        return None
    principal = current_principal()
    if principal is None:
        return flask.redirect(login_url(PATH))
    if has_role(principal, ROLE):
        return None
    body = FORBIDDEN_PAGE.format(
        head=LOGIN_ASSETS.head(),
        name=escape(principal.name),
        role=escape(principal.role),
        home=escape(landing(principal)),
        login=escape(login_url(PATH)),
    )
    return flask.Response(body, 403, headers=PAGE_HEADERS, mimetype="text/html")


def layout(config: Config) -> html.Div:
    """The floor for a supervisor; for anyone else (a layout asked by POST) nothing of it."""
    if not has_role(current_principal(), ROLE):
        return html.Div(
            className="fb-floor-denied",
            children=[
                html.P("The floor is for supervisors."),
                html.A("Sign in", href=login_url(PATH)),
            ],
        )
    return html.Div(
        id="floor",
        className="fb-floor",
        children=[
            _header(config),
            html.Div(id="conn-band", className="conn-band hidden", role="status"),
            _controls(config),
            html.Div(
                className="floor-body",
                children=[
                    html.Main(
                        className="floor-main",
                        children=[
                            html.Section(
                                className="floor-queues",
                                children=[
                                    html.H2("Queues", className="floor-h2"),
                                    html.Div(id="floor-queue-cards", className="floor-queue-cards"),
                                ],
                            ),
                            html.Div(id="floor-summary", className="floor-summary", role="status"),
                            html.Div(id="floor-grid", className="floor-grid"),
                        ],
                    ),
                    _blended(),
                ],
            ),
            dcc.Store(id="fb-view", data=_view(config)),
            dcc.Store(id="fb-conn"),
            dcc.Store(id="floor-choice"),
        ],
    )


def register_callbacks(app: Dash) -> None:
    """The guard, and the controls handed to ``floor.js`` (clientside: no server trip)."""
    app.server.before_request(guard)
    app.clientside_callback(
        ClientsideFunction(namespace="floorboard_floor", function_name="choose"),
        Output("floor-choice", "data"),
        Input("floor-sort", "value"),
        Input("floor-team", "value"),
        Input("floor-queue", "value"),
        Input("floor-next-for", "value"),
    )


def _view(config: Config) -> dict[str, Any]:
    """The manifest ``stream.js`` streams by; ``floor.js`` draws the cells from these items."""
    return {
        "stream": "/stream?view=floor",
        "timezone": config.centre.timezone,
        "now": time.time(),
        "root": "floor",
        "items": {
            QUEUES: {"id": "floor-queue-cards", "render": "floor-queues"},
            AGENTS: {
                "id": "floor-grid",
                "render": "floor-agents",
                "backlog": BACKLOG,
                "reads": [AGENT_PREFIX, BACKLOG],  # an update of either redraws the cells
            },
            BLENDED: {"id": "floor-blended", "render": "floor-blended"},
        },
    }


def _blended() -> html.Aside:
    """Every waiting contact in the order the blended queue works them; or one agent's next."""
    return html.Aside(
        className="floor-blended-panel",
        children=[
            html.H2(
                ["Blended queue ", html.Span("", id="floor-blended-count")], className="floor-h2"
            ),
            dcc.Dropdown(
                id="floor-next-for",
                placeholder="everyone's: in arrival order",
                options=[],
                className="floor-select floor-next-for",
            ),
            html.Ol(id="floor-blended", className="floor-blended"),
        ],
    )


def _controls(config: Config) -> html.Div:
    queues = [{"label": q.name, "value": q.id} for q in config.queues]
    return html.Div(
        className="floor-controls",
        children=[
            html.Label("Sort", className="floor-label"),
            dcc.RadioItems(
                id="floor-sort",
                options=[{"label": label, "value": v} for label, v in SORTS],
                value="longest",
                inline=True,
                className="floor-sort fb-radios",
            ),
            html.Label("Teams", className="floor-label"),
            dcc.Dropdown(
                id="floor-team",
                multi=True,
                placeholder="every team",
                options=[],
                className="floor-select",
            ),
            html.Label("Queue", className="floor-label"),
            dcc.Dropdown(
                id="floor-queue",
                placeholder="every queue",
                options=queues,
                className="floor-select",
            ),
        ],
    )


def _header(config: Config) -> html.Header:
    return html.Header(
        className="floor-header",
        children=[
            html.H1("Floor", className="floor-title"),
            html.Span(config.centre.name, className="floor-centre"),
            html.Nav(
                className="floor-nav",
                children=[html.A("Console", href="/supervisor", className="floor-link")],
            ),
            html.Div("Connecting…", id="conn-indicator", className="conn-indicator"),
            html.Div("--:--:--", id="clock", className="clock floor-clock"),
        ],
    )
