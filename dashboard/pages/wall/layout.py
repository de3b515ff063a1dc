"""The wall screen ``/wall/<board>``: a board's tiles, read from across the floor.

The layout is built here from the config (:mod:`feeds.boards`: the board's rows of tiles, each
drawn by :mod:`.tiles`) and never re-rendered by the server: the page's one stream (see
:mod:`dashboard.live.stream`) is applied in the browser by the shared client
``assets/stream.js``, which calls the renderers in ``wall.js`` (next to this file); they set
props on the components below through ``dash_clientside.set_props``. The ``fb-view`` store
carries the stream URL, the board's version (the page reloads when the server's differs) and a
manifest of exactly which components exist and which renderer draws each.

Above the rows, every board has its header and its bands (urgent messages, outages, a lost
connection: one line each, taking turns when more than two are up, so the tiles keep most of
the screen). ``/wall?rotate=main,billing`` shows each board in turn (``unattended.js``).
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.pages.charts.model import NOW
from dashboard.pages.wall import tiles
from dashboard.pages.wall.model import BANDS, MODELS
from feeds.boards import Board, Tile
from feeds.config import Config
from feeds.metrics.formulas import definition

MAX_COLUMNS = 6  # more tiles than this in a row wrap onto rows of equal width
THEMES = ("dark", "light")


def layout(
    config: Config, board_id: str, *, rotate: str = "", every: str = "", theme: str = ""
) -> html.Div:
    """The wall for ``board_id`` (with ``rotate``: the boards to show in turn), or a page that
    says the board is unknown and lists the boards."""
    order = [b for b in rotate.split(",") if b] if rotate else []
    board = config.board(board_id or (order[0] if order else ""))
    missing = [b for b in order if config.board(b) is None]
    if board is None or missing:
        return _unknown_board(config, missing[0] if missing else board_id)
    chosen = theme if theme in THEMES else board.theme or config.wall.theme
    built = [[(t, *tiles.build(config, board, t, MODELS[t.type].key(t))) for t in row]
             for row in board.layout]  # fmt: skip
    items = {MODELS[t.type].key(t): spec for row in built for t, _, spec in row if spec}
    for key, spec in list(items.items()):  # a chart's moving intervals: its second item
        if "now" in spec:
            items[key + NOW] = spec.pop("now")
    return html.Div(
        id="wall",
        className=f"wall theme-{chosen}",
        children=[
            _header(config, board),
            html.Div(id="conn-band", className="conn-band hidden", role="status"),
            html.Div(id=BANDS, className="bands hidden", role="alert"),
            html.Main(
                className="board-rows",
                children=[
                    _row(row, weight) for row, weight in zip(built, board.weights, strict=True)
                ],
            ),
            *_stores(_view(config, board, items, order, every, theme)),
        ],
    )


def _row(row: list[tuple[Tile, Any, Any]], weight: int) -> html.Div:
    """Tiles side by side; a row of strips is as tall as its text, the others share the rest
    by their weight (a row of more than :data:`MAX_COLUMNS` tiles wraps onto equal lines, and
    weighs as many rows)."""
    lines = math.ceil(len(row) / MAX_COLUMNS)
    strip = all(t.strip for t, _, _ in row)
    style = {"--fb-columns": str(math.ceil(len(row) / lines)), "--fb-lines": str(lines * weight)}
    return html.Div(
        className="board-row strip-row" if strip else "board-row",
        style=style,
        children=[component for _, component, _ in row],
    )


def _view(
    config: Config,
    board: Board,
    items: dict[str, dict[str, Any]],
    order: list[str],
    every: str,
    theme: str,
) -> dict:
    """What the scripts need: where to stream from, the board's version, the centre's clock,
    the components and the ``wall.js`` renderer of each, and where the screen goes next."""
    items = {**items, BANDS: {"id": BANDS, "render": "wall-bands", "class": "bands"}}
    return {
        "stream": f"/stream?{urlencode({'view': 'wall', 'board': board.id})}",
        "layout": config.board_version(board),
        "reload": True,  # a new layout or release: this page reloads itself
        "rotate": _rotation(config, board, order, every, theme),
        "timezone": config.centre.timezone,
        # Server time at render: the script's first clock sample, before the stream's first event.
        "now": time.time(),
        "root": "wall",
        "items": items,
    }


def _rotation(
    config: Config, board: Board, order: list[str], every: str, theme: str
) -> dict[str, Any] | None:
    """Where this board hands over to, and when: the next of ``order`` (``?rotate=``), else
    (when the board has ``rotate_seconds``) the next board in the config, round. ``every``
    (``?every=20``) sets one time for all; a mistyped one keeps the boards' own."""
    if order:
        following = order[(order.index(board.id) + 1) % len(order)] if board.id in order else ""
        seconds = board.rotate_seconds or config.wall.rotate_seconds
    elif board.rotate_seconds and len(config.boards) > 1:
        ids = [b.id for b in config.boards]
        following, seconds = ids[(ids.index(board.id) + 1) % len(ids)], board.rotate_seconds
    else:
        return None
    if following in ("", board.id):
        return None
    with contextlib.suppress(ValueError):
        seconds = max(2.0, float(every)) if every else seconds
    given = {"rotate": ",".join(order), "every": every, "theme": theme}
    query = urlencode({k: v for k, v in given.items() if v})
    return {"seconds": seconds, "path": f"/wall/{following}", "search": f"?{query}" * bool(query)}


def _stores(view: dict[str, Any] | None) -> list[dcc.Store]:
    return [dcc.Store(id="fb-view", data=view), dcc.Store(id="fb-conn")]


def _definitions(config: Config, board: Board) -> str:
    """What the board's figures are: their window and service-level formula, said once for the
    board (each tile gives its own target and threshold); several, when queues differ."""
    queues = [q for q in (config.queue(qid) for qid in board.queues) if q]
    found = dict.fromkeys(definition(q.metrics.window, q.metrics.service_level) for q in queues)
    return "; ".join(found)


def _header(config: Config, board: Board) -> html.Header:
    logo = config.wall.logo
    mark = [html.Img(src=logo, alt="", className="header-logo")] if logo else []
    return html.Header(
        className="wall-header",
        children=[
            *mark,
            html.Div(
                className="titles",
                children=[
                    html.H1(board.title, className="board"),
                    html.Div(config.centre.name, className="centre"),
                    html.Div(_definitions(config, board), className="definitions"),
                ],
            ),
            html.Div(
                className="header-right",
                children=[
                    html.Div("Connecting…", id="conn-indicator", className="conn-indicator"),
                    html.Div("--:--:--", id="clock", className="clock"),
                ],
            ),
        ],
    )


def _unknown_board(config: Config, board_id: str) -> html.Div:
    """Said plainly, with the way out: a mistyped URL on a wall PC is fixed from this page."""
    return html.Div(
        className="unknown-board",
        children=[
            html.H1(f"Unknown board {board_id!r}" if board_id else "No board given"),
            html.P("This wall screen's address does not name a board. Boards on this server:"),
            html.Ul(
                [
                    html.Li(html.A(f"{b.title} ({b.id})", href=f"/wall/{b.id}"))
                    for b in config.boards
                ]
            ),
            *_stores(None),
        ],
    )
