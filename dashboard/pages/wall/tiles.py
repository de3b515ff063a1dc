"""The wall's tile types, page side: the Dash components of each and the renderer that fills it.

A tile type is three things, one in each layer, under one name:

* its config name, in :data:`feeds.boards.TILES` (what a board's ``rows`` may say);
* its view-model, in :data:`dashboard.pages.wall.model.MODELS` (the item it computes);
* here, :data:`VIEWS`: the components it is built of (ids from its item key, so the renderer
  finds them) and the name of its renderer in ``wall.js``, with what that renderer needs to
  know in the page's manifest (fields, timers).

A tile with no item (the logo) has no renderer: it is drawn from the config alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import html

from dashboard.pages.charts.figure import graph
from dashboard.pages.charts.model import KINDS
from dashboard.pages.items import AGENT_LABELS, NO_VALUE, fmt_percent, item_key_to_id
from feeds.boards import Board, Tile
from feeds.bus.fields import AGENT_STATES, channel_kind
from feeds.config import Config, Queue
from feeds.intraday.grid import Day
from feeds.times import fmt_span

NO_DATA_YET = "waiting for data"
CHART_FONT = 0.025  # a chart's type, as a share of the screen's height (at least 2.2 %)
Spec = dict[str, Any]


@dataclass(frozen=True)
class TileView:
    """How a tile type is drawn: ``build(config, board, tile, id)`` gives its component and the
    manifest entry of its item (None: no item); ``renderer`` is its ``wall.js`` function."""

    build: Callable[[Config, Board, Tile, str], tuple[Any, Spec | None]]
    renderer: str | None


def _spec(cid: str, renderer: str, cls: str, **extra: Any) -> Spec:
    return {"id": cid, "render": renderer, "class": cls, **extra}


def _tile(cid: str, cls: str, *children: Any) -> html.Section:
    """A tile's frame: its id (the item's) and classes, and what it holds."""
    return html.Section(id=cid, className=f"tile {cls}", children=list(children))


def _head(title: Any, *extra: Any, sub: Any = None) -> html.Div:
    """A tile's title (its status icon after it, by CSS), what stands beside it, and an
    optional line under it."""
    title = html.H2(title, className="tile-title")
    under = [html.Div(sub, className="tile-sub")] if sub is not None else []
    return html.Div(className="tile-head", children=[title, *extra, *under])


# -- queue tiles ----------------------------------------------------------------------------------

QUEUE_FIELDS = ("waiting", "sl", "asa", "abandon", "offered", "delay")


def _metric(cid: str, name: str, label: str, extra: Any = None) -> html.Div:
    return html.Div(
        className=f"metric metric-{name}",
        children=[
            html.Div(label, className="label"),
            html.Div(NO_VALUE, id=f"{cid}-{name}", className="value"),
            *([extra] if extra is not None else []),
        ],
    )


def channel_badge(queue: Queue) -> html.Span:
    """The queue's channel: its icon and its name, so no one guesses (voice, chat and email
    have drawn icons in wall.css, which hides the configured text icon for them)."""
    kind = channel_kind(queue.channel)
    return html.Span(
        [html.Span(kind.icon, className="channel-icon"), kind.label],
        className=f"channel channel-{queue.channel}",
        title="channel",
    )


def _queue(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    """One queue: the two numbers that matter most big, then service level, ASA and abandons,
    the delay reason large, and the age of it all."""
    queue = config.queue(tile.arg)
    assert queue is not None  # config validation
    hero = [_metric(cid, "waiting", "Waiting"), _metric(cid, "longest", "Longest wait")]
    # The target and its threshold: with the board's definitions (in its header), what the
    # service level on this tile means (docs/metrics.md).
    target_text = f"target {fmt_percent(queue.sl_target)} in {fmt_span(queue.sl_threshold)}"
    target = html.Div(target_text, className="target")
    pair = [_metric(cid, "asa", "Avg answer"), _metric(cid, "abandon", "Abandoned")]
    stats = [_metric(cid, "sl", "Service level", target), html.Div(className="pair", children=pair)]
    foot = [
        html.Div("", id=f"{cid}-offered", className="value"),
        html.Div(NO_DATA_YET, id=f"{cid}-age", className="age"),
    ]
    section = _tile(
        cid,
        "queue-tile status-ok nodata",
        _head(queue.name, sub=channel_badge(queue)),
        html.Div(className="hero", children=hero),
        html.Div(className="stats", children=stats),
        html.Div(
            className="tile-delay", children=html.Div(id=f"{cid}-delay", className="value empty")
        ),
        html.Div(className="tile-foot", children=foot),
    )
    spec = _spec(cid, "wall-values", "tile queue-tile", fields=list(QUEUE_FIELDS),
                 timers=["longest"], age=True)  # fmt: skip
    return section, spec


# -- agents ---------------------------------------------------------------------------------------


def _agent_states(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    """Agents by state across the board's queues: who is free to take the next contact."""
    section = html.Section(
        id=cid,
        className="agents status-ok",
        children=[
            html.Div(_team_title(board, "Agents"), className="strip-label"),
            *(
                html.Div(
                    className=f"agent-state state-{state}",
                    children=[
                        html.Div(NO_VALUE, id=f"{cid}-{state}", className="value"),
                        html.Div(AGENT_LABELS[state], className="label"),
                    ],
                )
                for state in AGENT_STATES
            ),
        ],
    )
    return section, _spec(cid, "wall-values", "agents", fields=list(AGENT_STATES))


def _team_title(board: Board, what: str) -> str:
    return f"{what} · team {board.team}" if board.team else what


def _agent_grid(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    section = _tile(
        cid,
        "agent-grid",
        _head(_team_title(board, "Agents on shift"), html.Span("", id=f"{cid}-count")),
        html.Div(id=f"{cid}-list", className="grid-cells"),
    )
    return section, _spec(cid, "wall-agent-grid", "tile agent-grid")


# -- staffing, outages, messages ------------------------------------------------------------------


def _staffing(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    big = [
        html.Div(NO_VALUE, id=f"{cid}-short", className="value"),
        html.Div("agents short", className="label"),
    ]
    section = _tile(
        cid,
        "staffing-tile status-ok",
        _head("Staffing"),
        html.Div(className="staffing-hero", children=big),
        html.Div(id=f"{cid}-list", className="staffing-list"),
    )
    return section, _spec(cid, "wall-staffing", "tile staffing-tile", fields=["short"])


def _outages(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    section = _tile(
        cid,
        "outage-tile status-ok",
        _head("Outages"),
        html.Div(id=f"{cid}-list", className="outage-list"),
    )
    return section, _spec(cid, "wall-outages", "tile outage-tile")


def _ticker(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    footer = html.Footer(
        className="ticker-region",
        children=[
            html.Div("Messages", className="strip-label ticker-label"),
            html.Div(id=cid, className="ticker empty", role="marquee"),
        ],
    )
    return footer, _spec(cid, "wall-ticker", "ticker")


# -- clock and logo -------------------------------------------------------------------------------


def _clock(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    section = _tile(
        cid,
        "clock-tile",
        html.Div("--:--", id=f"{cid}-time", className="value big-time"),
        html.Div("", id=f"{cid}-date", className="big-date"),
    )
    return section, _spec(cid, "wall-clock", "tile clock-tile", timezone=config.centre.timezone)


def _logo(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, None]:
    name = config.centre.name
    mark = (
        html.Img(src=config.wall.logo, alt=name, className="logo-image")
        if config.wall.logo
        else html.Div(name, className="logo-name")
    )
    return _tile(cid, "logo-tile", mark), None


def _floor(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    section = _tile(
        cid,
        "floor-tile",
        _head(_team_title(board, "The floor")),
        html.Div(id=f"{cid}-list", className="floor-teams"),
    )
    return section, _spec(cid, "wall-floor", "tile floor-tile")


def _counted_list(cid: str, kind: str, title: str) -> tuple[Any, Spec]:
    """A tile that lists rows under its title with a count beside it (``<kind>-tile``,
    drawn by ``wall-<kind>``)."""
    section = _tile(
        cid,
        f"{kind}-tile",
        _head(title, html.Span("", id=f"{cid}-count")),
        html.Ol(id=f"{cid}-list", className=f"{kind}-list"),
    )
    return section, _spec(cid, f"wall-{kind}", f"tile {kind}-tile")


def _blended(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    return _counted_list(cid, "blended", "Waiting, in arrival order")


def _alerts(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    return _counted_list(cid, "alerts", "Alerts")


# -- charts ---------------------------------------------------------------------------------------


def _chart(config: Config, board: Board, tile: Tile, cid: str) -> tuple[Any, Spec]:
    """The day interval by interval (dashboard/pages/charts): the figure, built once for
    today, then patched by ``dashboard/pages/charts/charts.js`` from the chart's two items."""
    kind = tile.type.removesuffix("_chart")
    queue = config.queue(tile.arg) if tile.arg else None
    title = f"{KINDS[kind].title} · {queue.name if queue else board.title}"
    today = Day.of(time.time(), config.tz, config.history.step)
    theme = board.theme or config.wall.theme
    age = html.Div(NO_DATA_YET, id=f"{cid}-age", className="age")  # beside the title
    section = _tile(
        cid,
        "chart-tile nodata",
        _head(title, age),
        html.Div(className="chart-body", children=graph(cid, kind, today, theme)),
    )
    part = {"graph": f"{cid}-graph", "fields": list(KINDS[kind].fields), "font": CHART_FONT}
    spec = _spec(cid, "chart-day", "tile chart-tile", **part,
                 now=_spec(cid, "chart-now", "tile chart-tile", **part))  # fmt: skip
    return section, spec


VIEWS: dict[str, TileView] = {
    "queue": TileView(_queue, "wall-values"),
    "agent_states": TileView(_agent_states, "wall-values"),
    "agent_grid": TileView(_agent_grid, "wall-agent-grid"),
    "staffing": TileView(_staffing, "wall-staffing"),
    "outages": TileView(_outages, "wall-outages"),
    "ticker": TileView(_ticker, "wall-ticker"),
    "clock": TileView(_clock, "wall-clock"),
    "logo": TileView(_logo, None),
    "sl_chart": TileView(_chart, "chart-day"),
    "staffing_chart": TileView(_chart, "chart-day"),
    "floor": TileView(_floor, "wall-floor"),
    "blended": TileView(_blended, "wall-blended"),
    "alerts": TileView(_alerts, "wall-alerts"),
}


def build(config: Config, board: Board, tile: Tile, key: str) -> tuple[Any, Spec | None]:
    """A tile's component and manifest entry; its ids start with its item key's."""
    return VIEWS[tile.type].build(config, board, tile, item_key_to_id(key))
