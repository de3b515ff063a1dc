"""The Dash pages: an index of boards, the wall screens, the agent tab and the supervisor console.

Pages are registered with ``path_template`` so one layout function serves every board; the
layout is built in Python from the config, and live values arrive through the page's stream.
Each page names its own scripts and stylesheets (``page_assets``, see
:mod:`dashboard.pages.assets`); links between pages are plain links, so every page is a full
load with a head of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import Dash, html

from dashboard.pages import assets, login
from dashboard.pages.agent import ASSETS as AGENT_ASSETS
from dashboard.pages.agent import layout as agent
from dashboard.pages.agentday import ASSETS as DAY_ASSETS
from dashboard.pages.agentday import layout as agentday
from dashboard.pages.console import ASSETS as CONSOLE_ASSETS
from dashboard.pages.console import page as console
from dashboard.pages.floor import ASSETS as FLOOR_ASSETS
from dashboard.pages.floor import layout as floor
from dashboard.pages.today import ASSETS as TODAY_ASSETS
from dashboard.pages.today import layout as today
from dashboard.pages.wall import ASSETS as WALL_ASSETS
from dashboard.pages.wall import layout as wall
from feeds.bus.bus import Bus
from feeds.config import Config

ASSETS = (WALL_ASSETS, AGENT_ASSETS, CONSOLE_ASSETS, FLOOR_ASSETS, TODAY_ASSETS, DAY_ASSETS,
          login.ASSETS)  # fmt: skip


def _text(value: object) -> str:
    """A query parameter as one string (Dash gives a list when one is repeated)."""
    return value if isinstance(value, str) else ""


def register(app: Dash, config: Config, bus: Bus, live: Callable[[], Config]) -> None:
    """The pages; walls and the index follow the config file as it changes (``live``)."""

    def index_layout(**_: str) -> html.Div:
        boards = live().boards
        return html.Div(
            className="index",
            children=[
                html.H1(config.centre.name),
                html.H2("Wall screens"),
                html.Ul([html.Li(html.A(b.title, href=f"/wall/{b.id}")) for b in boards]),
                html.H2("Supervisors"),
                html.Ul(
                    [
                        html.Li(html.A("Supervisor console", href=console.PATH)),
                        html.Li(html.A("Floor", href=floor.PATH)),
                        html.Li(html.A("Today: the day by interval", href=today.PATH)),
                    ]
                ),
            ],
        )

    dash.register_page("index", path="/", layout=index_layout, title=config.centre.name)

    def wall_layout(board_id: str = "", **query: object) -> html.Div:
        given = {k: _text(query.get(k)) for k in ("rotate", "every", "theme")}
        return wall.layout(live(), board_id, **given)

    dash.register_page(
        "wall",
        path_template="/wall/<board_id>",
        layout=wall_layout,
        title=f"{config.centre.name} · wall",
        page_assets=WALL_ASSETS,
    )
    dash.register_page(
        "walls",  # /wall?rotate=main,billing: the boards in turn, from the first
        path="/wall",
        layout=wall_layout,
        title=f"{config.centre.name} · wall",
        page_assets=WALL_ASSETS,
    )
    dash.register_page(
        "supervisor",
        path=console.PATH,
        layout=lambda queue="", **_: console.layout(config, _text(queue)),
        title=f"{config.centre.name} · supervisor console",
        page_assets=CONSOLE_ASSETS,
    )
    console.register_callbacks(app, config, bus)
    dash.register_page(
        "floor",
        path=floor.PATH,
        layout=lambda **_: floor.layout(config),
        title=f"{config.centre.name} · floor",
        page_assets=FLOOR_ASSETS,
    )
    floor.register_callbacks(app)
    dash.register_page(
        "today",
        path=today.PATH,
        layout=lambda scope="", day="", **_: today.layout(config, bus, _text(scope), _text(day)),
        title=f"{config.centre.name} · today",
        page_assets=TODAY_ASSETS,
    )
    today.register_callbacks(app)
    # Dash's router tries pages in their order (by module name without one), and its template
    # "/agent/<agent_id>" also matches "/agent/a01/day": the day goes first.
    dash.register_page(
        "agentday",
        order=0,
        path_template="/agent/<agent_id>/day",
        layout=lambda agent_id="", **_: agentday.layout(config, bus, agent_id),
        title=f"{config.centre.name} · an agent's day",
        page_assets=DAY_ASSETS,
    )
    agentday.register_callbacks(app, config, bus)
    dash.register_page(
        "agent",
        path_template="/agent/<agent_id>",
        layout=lambda agent_id="", **_: agent.layout(config, agent_id),
        title=f"{config.centre.name} · agent",
        page_assets=AGENT_ASSETS,
    )
    agent.register_callbacks(app, config, bus)  # its guard covers the agent's day too
    assets.register(app, ASSETS)
