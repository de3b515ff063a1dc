"""The Dash pages: an index of boards and the wall screens.

Pages are registered with ``path_template`` so one layout function serves every board; the
layout is built in Python from the config, and live values arrive through the page's stream.
"""

from __future__ import annotations

import dash
from dash import Dash, dcc, html

from dashboard import wall
from feeds.config import Config


def register(app: Dash, config: Config) -> None:
    def index_layout(**_: str) -> html.Div:
        return html.Div(
            className="index",
            children=[
                html.H1(config.centre.name),
                html.H2("Wall screens"),
                html.Ul([html.Li(dcc.Link(b.title, href=f"/wall/{b.id}")) for b in config.boards]),
            ],
        )

    dash.register_page("index", path="/", layout=index_layout, title=config.centre.name)
    dash.register_page(
        "wall",
        path_template="/wall/<board_id>",
        layout=lambda board_id="", **_: wall.layout(config, board_id),
        title=f"{config.centre.name} · wall",
    )
    wall.register_callbacks(app)
