"""Event → DOM latency in headless Chromium, for the wall and the polling baseline."""

from __future__ import annotations

import time
from typing import Any

from bench_common import CHROMIUM, CHROMIUM_ARGS, pct
from bench_poll import caught_up

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope

# --- event → DOM in headless Chromium ---------------------------------------------------------

OBSERVE_JS = """(sel) => {
    window.__seen = [];
    const el = document.querySelector(sel);
    new MutationObserver(() => window.__seen.push(
        [el.textContent, performance.timeOrigin + performance.now()]
    )).observe(el, {childList: true, characterData: true, subtree: true});
}"""


def dom_latency(url: str, selector: str, bus: Bus, events: int, rate: float) -> dict[str, Any]:
    """Publish distinct, increasing values at ``rate``/s and time when the DOM caught up.

    Both clocks are this machine's wall clock (``time.time()`` and the page's
    ``timeOrigin + now()``). Latency is to the first DOM change showing the value or a newer
    one (see ``caught_up``); "shown-only" times just the values that appeared themselves.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(selector, timeout=20_000)
        page.wait_for_timeout(2000)  # connected / first poll done
        page.evaluate(OBSERVE_JS, selector)
        pub_at: dict[str, float] = {}
        start = time.monotonic()
        for i in range(events):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            value = 100 + i
            pub_at[str(value)] = time.time()
            bus.publish(make_envelope("queue", "billing", {"waiting": value}, ts=time.time()))
        page.wait_for_timeout(3500)  # three more polls for the baseline
        first: dict[str, float] = {}
        for text, at in page.evaluate("window.__seen"):
            first.setdefault(text.strip(), at / 1000)
        browser.close()
    shown = {int(v): t for v, t in first.items() if v.isdigit()}
    lat = caught_up(shown, {int(v): t for v, t in pub_at.items()})
    own = [(first[v] - t) * 1000 for v, t in pub_at.items() if v in first]
    return {
        "published": len(pub_at), "seen": len(own), "p50": pct(lat, 50), "p95": pct(lat, 95),
        "own_p50": pct(own, 50), "own_p95": pct(own, 95),
    }  # fmt: skip


# --- reconnect storm --------------------------------------------------------------------------
