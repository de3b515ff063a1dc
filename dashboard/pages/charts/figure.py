"""The Plotly figure of an intraday chart: built once with the page, then only patched.

The figure holds the traces of its kind (:data:`dashboard.pages.charts.model.KINDS`, in that
order), empty, on the day's axis of intervals (slot numbers, labelled every three hours of the
clock). ``charts.js`` (next to this file) fills and extends them from the stream. For the
wall: large type, few colours (bars muted, the figure that matters bright, targets and
forecasts dashed), nothing only on hover, no mode bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import dcc

from dashboard.pages.charts.model import KINDS
from feeds.intraday.grid import Day

PALETTES = {
    "dark": {"text": "#e8edf2", "grid": "#33404d", "bars": "#3f5f86", "line": "#4fe0a8",
             "target": "#f5b942", "plan": "#b8c2cc"},
    "light": {"text": "#1d2630", "grid": "#d5dbe1", "bars": "#9db7d6", "line": "#0b7a53",
              "target": "#b36b00", "plan": "#5b6770"},
}  # fmt: skip


def _traces(kind: str, c: dict[str, str]) -> list[dict[str, Any]]:
    line = {"type": "scatter", "mode": "lines", "x": [], "y": [], "connectgaps": False}
    if kind == "sl":
        return [
            {"type": "bar", "name": "Offered", "x": [], "y": [], "yaxis": "y2",
             "marker": {"color": c["bars"]}},
            {**line, "name": "Forecast", "yaxis": "y2", "line": {"color": c["plan"], "width": 3,
             "dash": "dot", "shape": "hv"}},
            {**line, "name": "Service level", "mode": "lines+markers",
             "line": {"color": c["line"], "width": 5}, "marker": {"size": 8}},
            {**line, "name": "Target", "line": {"color": c["target"], "width": 3,
             "dash": "dash", "shape": "hv"}},
        ]  # fmt: skip
    if kind == "agent":
        return [
            {"type": "bar", "name": "Handled", "x": [], "y": [], "marker": {"color": c["bars"]}},
            {**line, "name": "My AHT", "mode": "lines+markers", "yaxis": "y2",
             "line": {"color": c["line"], "width": 4}},
            {**line, "name": "Team AHT", "yaxis": "y2", "line": {"color": c["target"],
             "width": 3, "dash": "dash"}},
        ]  # fmt: skip
    return [
        {"type": "bar", "name": "Staffed", "x": [], "y": [], "marker": {"color": c["bars"]}},
        {**line, "name": "Required", "line": {"color": c["line"], "width": 5, "shape": "hv"}},
        {**line, "name": "Forecast need", "line": {"color": c["plan"], "width": 3,
         "dash": "dot", "shape": "hv"}},
    ]  # fmt: skip


def figure(
    kind: str,
    day: Day,
    theme: str = "dark",
    font: int = 22,
    points: Mapping[int, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The figure of a ``kind`` chart on ``day``'s axis, for a ``theme`` screen: empty for
    the stream to fill, or holding ``points`` (by slot: a past day, which no longer moves)."""
    c = PALETTES.get(theme, PALETTES["dark"])
    ticks = day.ticks()
    axis = {"gridcolor": c["grid"], "zeroline": False, "color": c["text"], "fixedrange": True,
            "automargin": True, "nticks": 4}  # fmt: skip
    layout: dict[str, Any] = {
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"size": font, "color": c["text"]}, "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "margin": {"l": 10, "r": 10, "t": 4, "b": 10, "pad": 4}, "bargap": 0.15,
        "xaxis": {**axis, "range": [-0.5, day.slots - 0.5], "tickvals": ticks["vals"],
                  "ticktext": ticks["text"], "showgrid": False},
        "uirevision": "live", "hovermode": False,
    }  # fmt: skip
    if kind == "sl":
        layout["yaxis"] = {**axis, "range": [0, 1.05], "tickformat": ".0%"}
        # (tickmode auto: an overlaying axis would otherwise take the left axis's grid, 20.45)
        layout["yaxis2"] = {**axis, "overlaying": "y", "side": "right", "rangemode": "tozero",
                            "showgrid": False, "tickmode": "auto"}  # fmt: skip
    elif kind == "agent":  # contacts on the left, AHT in minutes on the right
        layout["yaxis"] = {**axis, "rangemode": "tozero", "title": {"text": "handled"}}
        layout["yaxis2"] = {**axis, "overlaying": "y", "side": "right", "rangemode": "tozero",
                            "showgrid": False, "tickmode": "auto",
                            "title": {"text": "AHT, min"}}  # fmt: skip
    else:
        layout["yaxis"] = {**axis, "rangemode": "tozero"}
    traces = _traces(kind, c)
    if points:
        x = list(range(max(points) + 1))
        for trace, name in zip(traces, KINDS[kind].fields, strict=True):
            trace["x"], trace["y"] = x, [points.get(s, {}).get(name) for s in x]
    return {"data": traces, "layout": layout}


def graph(
    cid: str,
    kind: str,
    day: Day,
    theme: str = "dark",
    font: int = 22,
    points: Mapping[int, Mapping[str, Any]] | None = None,
) -> dcc.Graph:
    """The chart's component (id ``<cid>-graph``): static, nothing to click or hover (a wall,
    a page read at a glance)."""
    return dcc.Graph(
        id=f"{cid}-graph",
        className="chart-graph",
        figure=figure(kind, day, theme, font, points),
        config={"displayModeBar": False, "staticPlot": True, "responsive": True},
        style={"height": "100%", "width": "100%"},
    )
