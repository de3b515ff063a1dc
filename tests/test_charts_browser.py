"""The wall's live charts in a real Chromium against the real server: a contact moves the
running interval within a second by patching the figure (never replacing it), and a chart whose
queue figures go quiet greys out like any tile."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from feeds.adapters.producer import Producer
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config

pytestmark = pytest.mark.browser
QUEUES = ["billing", "faults", "moving"]  # the "day" board's
GRAPH = "#sl_chart-graph .js-plotly-plot"


def offered(n: int, at: float):
    data = {"event": "offered", "queue": "billing", "channel": "voice",
            "customer_id": f"k{n}", "enqueued_at": at}  # fmt: skip
    return make_envelope("contact", f"chart-{n}", data, ts=at, source="pbx")


def producer(bus: Bus, config_path) -> Producer:
    return Producer(bus, load_config(str(config_path)), "pbx", queues=QUEUES, stats_every=0.0)


def last_offered(page: Page) -> float | None:
    return page.evaluate(f"""() => {{
        const y = document.querySelector({GRAPH!r}).data[0].y || [];
        return y.length ? y[y.length - 1] : null; }}""")


def test_a_contact_moves_the_running_interval_within_a_second_by_patching(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix, stale_after=4)
    feed = producer(bus, app.config)
    now = time.time()
    feed.add([offered(0, now)], now=now)
    feed.flush(final=True)
    page.goto(f"{app.base}/wall/day")
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=20_000)
    page.wait_for_function(f"() => {{ const g = document.querySelector({GRAPH!r});"
                           " return g && g.data && (g.data[0].y || []).length > 0; }",
                           timeout=20_000)  # fmt: skip
    assert last_offered(page) == 1
    # Mark the figure's element: a redraw by Dash or a new figure would lose it.
    page.evaluate(f"() => {{ document.querySelector({GRAPH!r}).__mark = 'same';"
                  " window.__charts = Object.assign({}, window.floorboardCharts); }")  # fmt: skip
    expect(page.locator("#sl_chart")).not_to_have_class("stale")

    delays = []
    for n in range(1, 6):
        page.evaluate(f"""() => {{ window.__changed = null; const want = {n + 1};
            const watch = () => {{ const g = document.querySelector({GRAPH!r});
                const y = g.data[0].y; if (y[y.length - 1] === want) {{
                window.__changed = Date.now(); }} else {{ requestAnimationFrame(watch); }} }};
            watch(); }}""")  # fmt: skip
        sent = time.time()
        feed.add([offered(n, sent)], now=sent)
        feed.flush(final=True)
        page.wait_for_function("() => window.__changed !== null", timeout=5_000)
        delays.append(page.evaluate("window.__changed") / 1000 - sent)
    print("event -> chart", [round(d * 1000) for d in delays], "ms")
    assert max(delays) < 1.0, delays
    same = page.evaluate(f"() => document.querySelector({GRAPH!r}).__mark")
    counts = page.evaluate("[window.__charts, window.floorboardCharts]")
    assert same == "same"  # the figure was patched in place
    assert counts[1]["relayout"] == counts[0]["relayout"]  # no new axis, no reset
    assert counts[1]["restyle"] + counts[1]["extend"] > counts[0]["restyle"] + counts[0]["extend"]

    # The producer stops: past the stale limit the chart greys and says for how long.
    expect(page.locator("#sl_chart")).to_have_class("tile chart-tile stale", timeout=10_000)
    expect(page.locator("#sl_chart-age")).to_contain_text("no data for")
    assert last_offered(page) == 6  # the last shape stays, greyed, not blanked
