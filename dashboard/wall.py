"""Placeholder: the wall screen layout (being written)."""

from dash import Dash, html

from feeds.config import Config


def layout(config: Config, board_id: str) -> html.Div:
    return html.Div(f"wall {board_id}")


def register_callbacks(app: Dash) -> None:
    pass
