"""Walls left alone for weeks, in a real Chromium against the real server: a config edit and an
upgrade reach open screens with nobody touching them, boards take turns in order and on time,
the pointer hides and the screen is kept awake."""

from __future__ import annotations

import itertools
import json
import re
import time

import pytest
from playwright.sync_api import Page, expect

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope

pytestmark = pytest.mark.browser


def open_wall(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=20_000)
    page.evaluate("window.__untouched = true")  # gone once the page has reloaded


def test_a_config_edit_reaches_an_open_screen_without_a_restart(
    page: Page, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    open_wall(page, f"{app.base}/wall/voice")
    expect(page.locator("h1.board")).to_have_text("Voice")
    text = app.config.read_text()

    # A mistake is refused: the screen stays as it is, and the log says why.
    app.config.write_text(text.replace('title = "Voice"', 'title = "Voice"\nrows = ["clok"]'))
    page.wait_for_timeout(5000)
    assert page.evaluate("window.__untouched") is True
    assert "unknown tile 'clok'" in app.log()

    edited = text.replace(
        'title = "Voice"', 'title = "Voice queues"\nrows = ["queues x2", "clock"]'
    )
    edited += '\n[[boards]]\nid = "lobby"\ntitle = "Lobby"\nrows = ["logo clock"]\n'
    app.config.write_text(edited)
    expect(page.locator("h1.board")).to_have_text("Voice queues", timeout=20_000)
    assert page.evaluate("window.__untouched") is None  # it reloaded by itself
    expect(page.locator("#big_clock-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(page.locator("#tile-billing-waiting")).to_be_visible()
    page.goto(f"{app.base}/wall/lobby")  # a new board: served at once
    expect(page.locator("h1.board")).to_have_text("Lobby", timeout=15_000)
    expect(page.locator(".logo-tile img")).to_be_visible()


def test_an_upgraded_app_reloads_its_open_screens(
    page: Page, redis_server, prefix, start_app, monkeypatch
) -> None:
    monkeypatch.setenv("FLOORBOARD_RELEASE", "0.1.0+first")
    app = start_app(redis_server.url, prefix)
    assert json.loads(app.get("/healthz")[1])["version"] == "0.1.0+first"
    open_wall(page, f"{app.base}/wall/main")
    app.stop()
    monkeypatch.setenv("FLOORBOARD_RELEASE", "0.2.0+second")
    app.start()
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=30_000)
    page.wait_for_function("window.__untouched === undefined", timeout=30_000)
    assert json.loads(app.get("/healthz")[1])["version"] == "0.2.0+second"


def test_the_same_release_and_board_never_reload_a_screen(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    open_wall(page, f"{app.base}/wall/main")
    app.stop()
    app.start()  # a restart, not an upgrade: the stream comes back, the page stays
    bus.publish(make_envelope("queue", "billing", {"waiting": 4}, ts=time.time()))
    expect(page.locator("#tile-billing-waiting")).to_have_text("4", timeout=30_000)
    page.wait_for_timeout(3000)
    assert page.evaluate("window.__untouched") is True


RECORD = """() => {
  window.__seen = [[location.pathname + location.search, performance.now(),
                    document.querySelector("h1.board").textContent]];
  setInterval(() => {
    const at = location.pathname + location.search, h1 = document.querySelector("h1.board");
    const last = window.__seen[window.__seen.length - 1];
    if (h1 && h1.textContent !== last[2]) {  // a new board on screen (its URL comes first)
      window.__seen.push([at, performance.now(), h1.textContent]);
    }
  }, 50);
}"""


def test_boards_take_turns_in_order_and_on_time(page: Page, redis_server, prefix, start_app):
    app = start_app(redis_server.url, prefix)
    open_wall(page, f"{app.base}/wall?rotate=voice,north,main&every=3")
    page.evaluate(RECORD)
    page.wait_for_timeout(10_500)
    seen = page.evaluate("window.__seen")
    titles = [s[2] for s in seen]
    assert titles[:4] == ["Voice", "Team North", "Contact floor", "Voice"], seen
    paths = [s[0] for s in seen]
    assert paths[0] == "/wall?rotate=voice,north,main&every=3"  # as typed; then the board's own
    assert paths[1:4] == [f"/wall/{b}?rotate=voice%2Cnorth%2Cmain&every=3"
                          for b in ("north", "main", "voice")]  # fmt: skip
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(seen[1:4])]
    assert all(2600 <= g <= 3800 for g in gaps), gaps  # every 3 s, give or take a render
    assert page.evaluate("window.__untouched") is True  # no reloads: Dash's router drew them
    expect(page.locator("#conn-indicator")).to_have_text("Live")


def test_the_pointer_hides_and_the_screen_stays_awake(page: Page, redis_server, prefix, start_app):
    app = start_app(redis_server.url, prefix)
    open_wall(page, f"{app.base}/wall/main")
    html = page.locator("html")
    expect(html).to_have_class(re.compile(r"\bfb-idle\b"), timeout=5000)
    assert page.evaluate("getComputedStyle(document.querySelector('.tile')).cursor") == "none"
    page.mouse.move(300, 300)
    page.mouse.move(320, 310)
    expect(html).not_to_have_class(re.compile(r"\bfb-idle\b"))
    expect(html).to_have_class(re.compile(r"\bfb-idle\b"), timeout=5000)
    expect(html).to_have_attribute("data-wake-lock", "held")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(html).to_have_attribute("data-wake-lock", "held")


def test_the_ticker_never_says_no_messages_under_an_urgent_one(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    open_wall(page, f"{app.base}/wall/main")
    expect(page.locator("#messages")).to_have_text("No messages")
    data = {"text": "Evacuate by the east stairs", "priority": "urgent",
            "expires_at": time.time() + 600}  # fmt: skip
    bus.publish(make_envelope("message", "m-1", data, ts=time.time()))
    expect(page.locator("#bands")).to_contain_text("Evacuate by the east stairs")
    expect(page.locator("#messages")).to_have_text("Urgent message above")
