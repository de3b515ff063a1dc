"""The console page's frame: who may open it, its header and stores, and its panels put together.

A browser that is not signed in is sent to ``/login?next=/supervisor`` by
:func:`redirect_to_login`; but Dash's page router returns a page's layout from a callback POST
whatever the address bar says, so :func:`layout` checks the role itself and returns only a
sign-in prompt (or "not allowed") to anyone else. The panels' callbacks check it again.
"""

from __future__ import annotations

import time
from typing import Any

import flask
from dash import Dash, dcc, html

from dashboard.auth.principal import Principal, current_principal
from dashboard.auth.sessions import login_url
from dashboard.pages.console import alert_rules, audit, delays, messages, outages, rules, sources
from dashboard.pages.console.common import DONE, supervisor
from dashboard.pages.console.model import (
    ALERT_RULES,
    ALERTS,
    DELAYS,
    MESSAGES,
    OUTAGES,
    RULES,
    SOURCES,
)
from dashboard.pages.items import item_key_to_id
from feeds.bus.bus import Bus
from feeds.config import Config

PATH = "/supervisor"
LOGIN = login_url(PATH)


def redirect_to_login() -> flask.Response | None:
    """Before-request hook: a browser opening the console without a session signs in first.

    Must run after :mod:`dashboard.auth` has resolved the principal (``init_auth`` first).
    """
    if flask.request.path != PATH or flask.request.method != "GET":
        return None
    if current_principal() is None:
        return flask.redirect(LOGIN)
    return None


def layout(config: Config, queue: str = "") -> html.Div:
    """The console for a supervisor; for anyone else only what it takes to sign in.

    ``queue`` (``/supervisor?queue=billing``, the floor's queue cards link so): the message
    form aimed at that queue and the delay form set to it, so posting to a queue the floor
    shows in trouble is one step, through the console's own forms."""
    queue = queue if config.queue(queue) else ""
    principal = supervisor()
    if principal is None:
        return _denied(current_principal())
    return html.Div(
        id="console",
        className="fb-console",
        children=[
            _header(config, principal),
            html.Div(id="conn-band", className="conn-band hidden", role="status"),
            _alerts(),
            html.Main(
                className="fb-grid",
                children=[
                    messages.panel(config, queue),
                    html.Div(
                        className="fb-col",
                        children=[
                            outages.panel(config),
                            rules.panel(config),
                            alert_rules.panel(config),
                        ],
                    ),
                    html.Div(
                        className="fb-col",
                        children=[sources.panel(), delays.panel(config, queue), audit.panel()],
                    ),
                ],
            ),
            dcc.Store(id="fb-view", data=_view(config)),
            dcc.Store(id="fb-conn"),
            dcc.Store(id="console-refresh", data=0),  # bumped by console.js on live changes
            dcc.Store(id=DONE),  # set by each action: re-read the audit log
            dcc.Store(id="console-msg-editing"),
            dcc.Store(id="console-out-editing"),
            dcc.Store(id="console-rule-editing"),
            dcc.Store(id="console-alert-editing"),
        ],
    )


def register_callbacks(app: Dash, config: Config, bus: Bus) -> None:
    """The console's server callbacks (each checks the role first) and its clientside ones."""
    app.server.before_request(redirect_to_login)
    for part in (messages, outages, delays, rules, alert_rules, audit):
        part.register(app, config, bus)


def _denied(principal: Principal | None) -> html.Div:
    """Nothing of the console: a way to sign in, or why this login cannot use it."""
    if principal is None:
        text, link = "The supervisor console needs a supervisor login.", "Sign in"
    else:
        text = f"Signed in as {principal.name} ({principal.role}): the console is for supervisors."
        link = "Sign in as someone else"
    return html.Div(
        className="fb-console fb-denied",
        children=[
            html.H1("Supervisor console"),
            html.P(text),
            html.A(link, href=LOGIN, className="fb-button"),
        ],
    )


def _view(config: Config) -> dict[str, Any]:
    """The manifest ``stream.js`` streams by: each item goes to a ``console.js`` renderer."""

    def item(key: str, render: str) -> dict[str, Any]:
        return {"id": item_key_to_id(key), "render": render}

    return {
        "stream": "/stream?view=console",
        "timezone": config.centre.timezone,
        "now": time.time(),
        "root": "console",
        "items": {
            MESSAGES: item(MESSAGES, "console-messages"),
            OUTAGES: item(OUTAGES, "console-outages"),
            DELAYS: item(DELAYS, "console-delays"),
            RULES: item(RULES, "console-rules"),
            SOURCES: item(SOURCES, "console-sources"),
            ALERTS: item(ALERTS, "console-alerts"),
            ALERT_RULES: item(ALERT_RULES, "console-alert-rules"),
        },
    }


def _alerts() -> html.Section:
    """The floor's alerts (drawn by ``alerts.js``), with the sound's switch."""
    return html.Section(
        className="fb-alerts",
        children=[
            html.Span("Alerts", className="fb-alerts-title"),
            html.Div(id="console-alerts", className="fb-alerts-list", role="alert"),
            html.Button(
                "Sound on",
                id="console-alert-sound",
                className="fb-button fb-small",
                type="button",
                **{"aria-pressed": "true"},
            ),
        ],
    )


def _header(config: Config, principal: Principal) -> html.Header:
    boards = [
        html.A(b.title, href=f"/wall/{b.id}", target="_blank", className="fb-link")
        for b in config.boards
    ]
    return html.Header(
        className="fb-header",
        children=[
            html.Div(
                className="fb-titles",
                children=[
                    html.H1("Supervisor console", className="fb-title"),
                    html.Span(config.centre.name, className="fb-centre"),
                ],
            ),
            html.Nav(
                className="fb-boards",
                children=[
                    html.A("Floor", href="/supervisor/floor", className="fb-link fb-floor-link"),
                    html.A("Today", href="/supervisor/today", className="fb-link fb-floor-link"),
                    html.Span("Walls:"),
                    *boards,
                ],
            ),
            html.Div(
                className="fb-who",
                children=[
                    html.Span(f"{principal.name} · {principal.role}"),
                    html.A("Account", href=LOGIN, className="fb-link"),
                    html.Div("Connecting…", id="conn-indicator", className="conn-indicator"),
                    html.Div("--:--:--", id="clock", className="clock"),
                ],
            ),
        ],
    )
