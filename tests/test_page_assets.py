"""Each page loads the shared client and its own scripts and styles, and no other page's.

In a real headless Chromium against the real server: what each page requests, which renderers
it has, and that it still shows live values; then how the page assets are served.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect
from signin import PASSWORD, sign_in

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.notices.messages import Messages

pytestmark = pytest.mark.browser  # browser and new_page: tests/conftest.py

SHARED = {"/assets/base.css", "/assets/render.js", "/assets/stream.js"}


def own(page: str, *files: str) -> set[str]:
    return {f"/_pages/{page}/{name}" for name in files}


def recording(page: Page) -> list[str]:
    """The paths of the scripts and stylesheets of Floorboard's own that ``page`` requests."""
    paths: list[str] = []

    def seen(request) -> None:
        path = urlsplit(request.url).path
        if request.resource_type in ("script", "stylesheet") and not path.startswith("/_dash"):
            paths.append(path)

    page.on("request", seen)
    return paths


def renderers(page: Page) -> list[str]:
    return sorted(page.evaluate("Object.keys(window.floorboardRenderers || {})"))


def test_each_page_loads_only_its_own_assets_and_still_shows_live_values(
    new_page: Callable[..., Page], bus: Bus, redis_server, prefix, start_app
) -> None:
    accounts = Accounts(bus.client, prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    accounts.add_user("a01", "agent", PASSWORD, team="North")
    bus.publish(
        make_envelope(
            "agent", "a01",
            {"name": "Ann Lee", "team": "North", "skills": ["billing"], "state": "available",
             "since": time.time() - 30},
            ts=time.time(),
        )
    )  # fmt: skip
    app = start_app(redis_server.url, prefix)

    # The index links to the walls with plain links: the wall is a full load, with its head.
    wall = new_page()
    loaded = recording(wall)
    wall.goto(f"{app.base}/")
    expect(wall.get_by_role("link", name="Contact floor")).to_be_visible(timeout=15_000)
    assert set(loaded) == SHARED and renderers(wall) == []
    loaded.clear()
    wall.get_by_role("link", name="Contact floor").click()
    expect(wall.locator("#tile-billing-waiting")).to_have_text("—", timeout=15_000)
    wall_files = ("wall.css", "queue.css", "tiles.css", "wall.js", "alerts.js", "unattended.js")
    charts = own("charts", "charts.js", "charts.css")  # the chart tiles' (dashboard/pages/charts)
    assert set(loaded) == SHARED | own("wall", *wall_files) | charts
    assert renderers(wall) == [
        "chart-day", "chart-now", "wall-agent-grid", "wall-alerts", "wall-bands", "wall-blended",
        "wall-clock",
        "wall-floor",
        "wall-outages", "wall-staffing", "wall-ticker", "wall-values",
    ]  # fmt: skip
    bus.publish(make_envelope("queue", "billing", {"waiting": 7}, ts=time.time()))
    expect(wall.locator("#tile-billing-waiting")).to_have_text("7")

    # The sign-in page is plain HTML: the shared tokens and its own styles, no script at all.
    login = new_page()
    loaded = recording(login)
    login.goto(f"{app.base}/login")
    expect(login.locator("#username")).to_be_visible()
    assert set(loaded) == {"/assets/base.css", "/_pages/login/login.css"}
    assert login.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(8, 11, 16)"

    agent = new_page(1366, 768)
    sign_in(agent, app.base, "a01", "/agent/a01")
    loaded = recording(agent)
    agent.reload()
    expect(agent.locator("#agent-me-name")).to_have_text("Ann Lee", timeout=15_000)
    expect(agent.locator("#conn-indicator")).to_have_text("Live")
    assert set(loaded) == SHARED | own("agent", "agent.css", "agent.js", "card.js") | charts
    assert all(name.startswith(("agent-", "chart-")) for name in renderers(agent))

    console = new_page(1366, 768)
    sign_in(console, app.base, "sam", "/supervisor")
    loaded = recording(console)
    console.reload()
    expect(console.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    assert set(loaded) == SHARED | own("console", "console.css", "console.js", "alerts.js")
    assert all(name.startswith("console-") for name in renderers(console))
    Messages(bus, load_config(app.config)).post({"text": "Huddle at 3"}, "sam")
    expect(console.locator("#console-messages")).to_contain_text("Huddle at 3")
    expect(agent.locator("#agent-messages")).to_contain_text("Huddle at 3")


def test_page_assets_are_served_from_their_packages_and_nothing_else_is(
    redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    html = requests.get(f"{app.base}/wall/main", timeout=5).text
    src = re.search(r'src="(/_pages/wall/wall\.js\?v=\w+)"', html)
    assert src is not None and "/_pages/agent/" not in html and "/_pages/console/" not in html
    script = requests.get(app.base + src[1], timeout=5)
    assert script.status_code == 200 and "wall-values" in script.text
    assert "max-age=31536000" in script.headers["Cache-Control"]  # its address is its version
    stale = requests.get(f"{app.base}/_pages/wall/wall.js?v=old", timeout=5)
    assert stale.status_code == 200 and "max-age=0" in stale.headers["Cache-Control"]
    for path in (
        "/_pages/wall/layout.py",  # a page package's Python is never served
        "/_pages/wall/__init__.py",
        "/_pages/items/items.py",
        "/_pages/wall/agent.js",  # another page's file, under the wrong page
        "/assets/floorboard.js",  # page assets no longer sit in the shared folder
        "/assets/agent.css",
    ):
        assert requests.get(app.base + path, timeout=5).status_code == 404, path
