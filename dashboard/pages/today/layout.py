"""``/supervisor/today?scope=channel:voice&day=2026-11-27``: the day interval by interval.

For a scope (all queues, a channel, a queue; :func:`feeds.intraday.series.scopes`) and a day
within the retention: the service level against target with offered and forecast volume, the
agents required against staffed, and the table of every interval; links export the day's
intervals and its contacts as CSV (``/api/v1/history/...``). Today moves live through the
page's stream (the ``today`` view: :mod:`.model`, patched by the charts' script); a past day is
built whole with the page from what Redis kept, and does not move. Supervisors only, as the
console: anyone else is sent to sign in.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import flask
from dash import Dash, Input, Output, dcc, html

from dashboard.auth.principal import current_principal, has_role
from dashboard.auth.sessions import login_url
from dashboard.pages.charts.figure import graph
from dashboard.pages.charts.model import KINDS, NOW
from dashboard.pages.today.model import CHARTS, HEADINGS, TABLE, table_rows
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.intraday import export
from feeds.intraday.grid import Day, parse_day
from feeds.intraday.series import Scope, scope, scopes
from feeds.intraday.store import IntradayStore

PATH = "/supervisor/today"
LOGIN = login_url(PATH)
FONT = 15  # a desk screen, read from a chair


def layout(config: Config, bus: Bus, scope_key: str = "", day_text: str = "") -> html.Div:
    """The page for a supervisor; for anyone else a way to sign in."""
    who = current_principal()
    if not has_role(who, "supervisor"):
        text = (f"Signed in as {who.name} ({who.role}): the Today page is for supervisors."
                if who else "The Today page needs a supervisor login.")  # fmt: skip
        return html.Div(className="fb-console fb-denied", children=[
            html.H1("Today"), html.P(text), html.A("Sign in", href=LOGIN, className="fb-button"),
        ])  # fmt: skip
    store = IntradayStore(bus, config)
    now = time.time()
    today = store.day(now)
    try:
        s = scope(config, scope_key or "all")
        day = store.day(parse_day(day_text, config.tz, now))
    except SchemaError as exc:
        return _page(config, store, scope(config, "all"), today, [html.P(str(exc),
                     className="fb-error today-error")], None)  # fmt: skip
    live = day.date == today.date
    if not live and not 0 < (today.date - day.date).days <= config.history.retention_days:
        text = f"{day.text} is not kept: days within {config.history.retention_days} of today are."
        return _page(config, store, s, day, [html.P(text, className="today-error")], None)
    points = None if live else export.day_points(store, day, s)
    rows = [] if live else table_rows(day, points or {})
    body = [
        html.Div(className="today-charts", children=[_chart(k, s, day, points) for k in CHARTS]),
        _table(rows),
    ]
    return _page(config, store, s, day, body, _view(config, s) if live else None)


def _page(config: Config, store: IntradayStore, s: Scope, day: Day, body: list[Any],
          view: dict[str, Any] | None) -> html.Div:  # fmt: skip
    return html.Div(
        id="today",
        className="fb-console fb-today",
        children=[
            _header(config, view is not None),
            html.Div(id="conn-band", className="conn-band hidden", role="status"),
            _pickers(config, store, s, day),
            *body,
            dcc.Store(id="fb-view", data=view),
            dcc.Store(id="fb-conn"),
            dcc.Location(id="today-location", refresh=True),
        ],
    )


def _header(config: Config, live: bool) -> html.Header:
    status = [html.Div("Connecting…", id="conn-indicator", className="conn-indicator"),
              html.Div("--:--:--", id="clock", className="clock")] if live else []  # fmt: skip
    return html.Header(className="fb-header", children=[
        html.Div(className="fb-titles", children=[
            html.H1("Today", className="fb-title"),
            html.Span(config.centre.name, className="fb-centre"),
        ]),
        html.Nav(className="fb-boards", children=[
            html.A("Supervisor console", href="/supervisor", className="fb-link")]),
        html.Div(className="fb-who", children=status),
    ])  # fmt: skip


def _pickers(config: Config, store: IntradayStore, s: Scope, day: Day) -> html.Div:
    """The scope and the day (days with intervals kept, newest first), and the exports."""
    today = store.day(time.time())
    kept = [d.isoformat() for d in store.days([q.id for q in config.queues], today)]
    days = list(dict.fromkeys([today.text, *kept, day.text]))
    label = {today.text: "Today"}
    api = f"/api/v1/history/{day.text}"
    return html.Div(className="today-pick", children=[
        html.Label("Queues", htmlFor="today-scope"),
        dcc.Dropdown(id="today-scope", value=s.key, clearable=False, className="today-select",
                     options=[{"label": x.title, "value": x.key} for x in scopes(config)]),
        html.Label("Day", htmlFor="today-day"),
        dcc.Dropdown(id="today-day", value=day.text, clearable=False, className="today-select",
                     options=[{"label": label.get(d, d), "value": d} for d in days]),
        html.A("Export intervals (CSV)", className="fb-button",
               href=f"{api}/intervals.csv?{urlencode({'scope': s.key})}"),
        html.A("Export contacts (CSV)", className="fb-button", href=f"{api}/contacts.csv"),
    ])  # fmt: skip


def _chart(key: str, s: Scope, day: Day, points: dict | None) -> html.Section:
    kind = CHARTS[key]
    return html.Section(id=key, className="tile chart-tile" + (" nodata" if points is None else ""),
                        children=[
        html.H2(f"{KINDS[kind].title} · {s.title}", className="tile-title"),
        html.Div(className="chart-body", children=graph(key, kind, day, "dark", FONT, points)),
        html.Div("" if points is not None else "waiting for data", id=f"{key}-age",
                 className="age"),
    ])  # fmt: skip


def _table(rows: list[dict[str, Any]]) -> html.Div:
    body = [html.Tr([html.Td(c) for c in r["cells"]], key=str(r["slot"])) for r in rows]
    return html.Div(className="today-table-wrap", children=html.Table(
        id=TABLE, className="today-table", children=[
            html.Thead(html.Tr([html.Th(h) for h in HEADINGS])),
            html.Tbody(id=f"{TABLE}-rows", children=body),
        ]))  # fmt: skip


def _view(config: Config, s: Scope) -> dict[str, Any]:
    """The manifest: each chart's two items (``charts.js``), the table (``today.js``)."""
    items: dict[str, Any] = {}
    for key, kind in CHARTS.items():
        spec = {"id": key, "class": "tile chart-tile", "graph": f"{key}-graph",
                "fields": list(KINDS[kind].fields)}  # fmt: skip
        items[key] = {**spec, "render": "chart-day"}
        items[key + NOW] = {**spec, "render": "chart-now"}
    items[TABLE] = {"id": TABLE, "render": "today-table", "class": "today-table"}
    return {
        "stream": f"/stream?{urlencode({'view': 'today', 'scope': s.key})}",
        "timezone": config.centre.timezone,
        "now": time.time(),
        "root": "today",
        "items": items,
    }


def redirect_to_login() -> flask.Response | None:
    """Before-request hook: a browser without a session signs in first, then comes back."""
    wanted = flask.request.path == PATH and flask.request.method == "GET"
    return flask.redirect(LOGIN) if wanted and current_principal() is None else None


def register_callbacks(app: Dash) -> None:
    """Picking a scope or a day opens that page (a past day is built whole, not streamed)."""
    app.server.before_request(redirect_to_login)
    app.clientside_callback(
        """function (scope, day) {
            var want = "?" + new URLSearchParams({scope: scope, day: day}).toString();
            var now = new URLSearchParams(window.location.search);
            if ((now.get("scope") || "all") === scope && (now.get("day") || day) === day) {
                return window.dash_clientside.no_update;
            }
            return "/supervisor/today" + want;
        }""",
        Output("today-location", "href"),
        Input("today-scope", "value"),
        Input("today-day", "value"),
        prevent_initial_call=True,
    )
