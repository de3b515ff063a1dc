"""The wall screen ``/wall/<board>``: big queue tiles read from across the floor.

The layout is built here from the config and never re-rendered by the server: the page's one
stream (see :mod:`dashboard.live.stream`) is applied in the browser by the shared client
``assets/stream.js``, which calls the renderers in ``wall.js`` (next to this file); they set
props on the components below through ``dash_clientside.set_props``. Item ``key``'s field ``f``
lands on the component ``<item_key_to_id(key)>-f``; the ``fb-view`` store carries the stream URL
and a manifest of exactly which components exist and which renderer draws each, so the scripts
only ever touch ids this layout created.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.pages.items import NO_VALUE, fmt_percent, item_key_to_id
from feeds.bus.schema import AGENT_STATES
from feeds.config import Board, Config, Queue

TILE_FIELDS = ("waiting", "sl", "asa", "abandon", "offered", "delay")
TILE_TIMERS = ("longest",)
AGENT_LABELS = {
    "available": "Available",
    "on_contact": "On contact",
    "wrap": "Wrap-up",
    "away": "Away",
    "offline": "Offline",
}
NO_DATA_YET = "waiting for data"
MAX_COLUMNS = 5


def layout(config: Config, board_id: str) -> html.Div:
    """The wall for ``board_id``, or a page that says the board is unknown and lists the boards."""
    board = config.board(board_id)
    if board is None:
        return _unknown_board(config, board_id)
    return html.Div(
        id="wall",
        className="wall",
        style={"--fb-columns": str(_columns(len(board.queues)))},
        children=[
            _header(config, board),
            html.Div(id="conn-band", className="conn-band hidden", role="status"),
            # Urgent key messages get a band of their own above the tiles: unmissable, not
            # scrolling away, and the tiles below shrink but stay readable.
            html.Div(id="urgent", className="urgent-band hidden", role="alert"),
            html.Div(id="outages", className="outages hidden", role="region"),
            html.Main(
                className="tiles",
                children=[_tile(q) for q in _queues(config, board)],
            ),
            _agents(),
            html.Footer(
                className="ticker-region",
                children=[
                    html.Div("Messages", className="ticker-label"),
                    html.Div(id="messages", className="ticker empty", role="marquee"),
                ],
            ),
            *_stores(_view(config, board)),
        ],
    )


def _columns(n: int) -> int:
    """One row up to five tiles (the classic wallboard); beyond that, rows of equal width."""
    rows = math.ceil(n / MAX_COLUMNS)
    return math.ceil(n / rows)


def _queues(config: Config, board: Board) -> list[Queue]:
    queues = [config.queue(q) for q in board.queues]
    return [q for q in queues if q is not None]  # config validation guarantees all are there


def _view(config: Config, board: Board) -> dict[str, Any]:
    """What the scripts need: where to stream from, the centre's clock, the components and the
    ``wall.js`` renderer of each."""
    items: dict[str, dict[str, Any]] = {}
    for q in board.queues:
        key = f"tile:{q}"
        items[key] = {
            "id": item_key_to_id(key),
            "render": "wall-values",
            "class": "tile",
            "fields": list(TILE_FIELDS),
            "timers": list(TILE_TIMERS),
            "age": True,
        }
    items["agents"] = {
        "id": "agents",
        "render": "wall-values",
        "class": "agents",
        "fields": list(AGENT_STATES),
    }
    items["outages"] = {"id": "outages", "render": "wall-outages", "class": "outages"}
    items["messages"] = {
        "id": "messages",
        "render": "wall-messages",
        "class": "ticker",
        "urgent": "urgent",  # where urgent messages go instead of the ticker
    }
    query = urlencode({"view": "wall", "board": board.id})
    return {
        "stream": f"/stream?{query}",
        "rotate": _rotation(config, board),
        "timezone": config.centre.timezone,
        # Server time at render: the script's first clock sample, before the stream's first event.
        "now": time.time(),
        "root": "wall",
        "items": items,
    }


def _rotation(config: Config, board: Board) -> dict[str, Any] | None:
    """Where this board hands over to, and when: the next board in the config, round."""
    if not board.rotate_seconds or len(config.boards) < 2:
        return None
    index = next(i for i, b in enumerate(config.boards) if b.id == board.id)
    following = config.boards[(index + 1) % len(config.boards)]
    return {"seconds": board.rotate_seconds, "next": f"/wall/{following.id}"}


def _stores(view: dict[str, Any] | None) -> list[dcc.Store]:
    return [dcc.Store(id="fb-view", data=view), dcc.Store(id="fb-conn")]


def _header(config: Config, board: Board) -> html.Header:
    return html.Header(
        className="wall-header",
        children=[
            html.Div(
                className="titles",
                children=[
                    html.Div(config.centre.name, className="centre"),
                    html.H1(board.title, className="board"),
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


def _metric(tile_id: str, name: str, label: str, extra: Any = None) -> html.Div:
    return html.Div(
        className=f"metric metric-{name}",
        children=[
            html.Div(label, className="label"),
            html.Div(NO_VALUE, id=f"{tile_id}-{name}", className="value"),
            *([extra] if extra is not None else []),
        ],
    )


def _tile(queue: Queue) -> html.Section:
    """One queue: the two numbers that matter most big, then service level, ASA and abandons."""
    tid = item_key_to_id(f"tile:{queue.id}")
    return html.Section(
        id=tid,
        className="tile status-ok nodata",
        children=[
            html.Div(className="tile-head", children=html.H2(queue.name, className="queue-name")),
            html.Div(
                className="hero",
                children=[
                    _metric(tid, "waiting", "Waiting"),
                    _metric(tid, "longest", "Longest wait"),
                ],
            ),
            _metric(
                tid,
                "sl",
                "Service level",
                html.Div(f"target {fmt_percent(queue.sl_target)}", className="target"),
            ),
            html.Div(
                className="pair",
                children=[_metric(tid, "asa", "Avg answer"), _metric(tid, "abandon", "Abandoned")],
            ),
            html.Div(
                className="tile-delay",
                children=html.Div(id=f"{tid}-delay", className="value empty"),
            ),
            html.Div(
                className="tile-foot",
                children=[
                    html.Div("", id=f"{tid}-offered", className="value"),
                    html.Div(NO_DATA_YET, id=f"{tid}-age", className="age"),
                ],
            ),
        ],
    )


def _agents() -> html.Section:
    """Agents by state across the board's queues: who is free to take the next contact."""
    return html.Section(
        id="agents",
        className="agents status-ok",
        children=[
            html.Div("Agents", className="agents-label"),
            *(
                html.Div(
                    className=f"agent-state state-{state}",
                    children=[
                        html.Div(NO_VALUE, id=f"agents-{state}", className="value"),
                        html.Div(AGENT_LABELS[state], className="label"),
                    ],
                )
                for state in AGENT_STATES
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
