"""The sources panel: every producer feeding the board, live, late or down.

A supervisor who sees a quiet queue must tell "no calls" from "the ACD link is down" at a
glance. Each producer (the simulator, an adapter, an API token, ``floorboard aggregate``)
heartbeats; the list comes over the stream (``console:sources``, :func:`.model.source_list`)
with the times each source goes late and down, so ``console.js`` moves a silent source on by
the browser's clock with nothing sent. Read-only: no callbacks.
"""

from __future__ import annotations

from dash import html

from dashboard.pages.console import widgets as w


def panel() -> html.Section:
    note = html.P(
        "Producers heartbeat; one silent for 2 intervals is late, for 5 down. "
        "Wall tiles it feeds grey out and name it.",
        className="fb-meta fb-sources-note",
    )
    return w.panel("Sources", w.live_list("console-sources"), note, cls="fb-sources")
