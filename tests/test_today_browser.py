"""The supervisor's Today page in a real Chromium against the real server: supervisors only;
today's table and charts move live; a scope and a past day within retention are picked; the
day's intervals and contacts export as CSV."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from test_charts_browser import offered
from test_page_assets import PASSWORD, sign_in

from feeds.accounts.store import Accounts
from feeds.adapters.producer import Producer
from feeds.bus.bus import Bus
from feeds.config import load_config
from feeds.intraday.store import IntradayStore

pytestmark = pytest.mark.browser


def first_row(page: Page):
    return page.locator("#table-rows tr").first.locator("td")


def test_the_today_page_moves_live_picks_days_and_exports(
    new_page, bus: Bus, redis_server, prefix, start_app
) -> None:
    accounts = Accounts(bus.client, prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    accounts.add_user("a1", "agent", PASSWORD)
    app = start_app(redis_server.url, prefix)
    config = load_config(str(app.config))
    feed = Producer(bus, config, "pbx", queues=["billing"], stats_every=0.0)
    now = time.time()
    feed.add([offered(0, now)], now=now)
    feed.flush(final=True)
    store = IntradayStore(bus, config)
    yesterday = store.day(store.day(now).date - timedelta(days=1))
    store.save({("billing", yesterday.start + 9 * 3600): {"start": yesterday.start + 9 * 3600,
                "offered": 42, "answered": 40, "answered_in_threshold": 36}})  # fmt: skip

    agent = new_page(1366, 768)
    sign_in(agent, app.base, "a1", "/supervisor/today")
    expect(agent.get_by_text("the Today page is for supervisors")).to_be_visible()

    page = new_page(1600, 1000)
    sign_in(page, app.base, "sam", "/supervisor")  # the console links to it
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page).to_have_url(re.compile(r"/supervisor/today"))
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    expect(first_row(page).nth(1)).to_have_text("1", timeout=10_000)  # offered, this interval
    # the charts drawn (Plotly's bundle loads after the page; the table no longer waits on it)
    expect(page.locator("#sl_chart-graph .js-plotly-plot")).to_be_attached(timeout=15_000)
    sent = time.time()
    feed.add([offered(1, sent)], now=sent)
    feed.flush(final=True)
    expect(first_row(page).nth(1)).to_have_text("2", timeout=2_000)
    page.wait_for_function("() => (document.querySelector('#sl_chart-graph .js-plotly-plot')"
                           ".data[0].y || []).slice(-1)[0] === 2", timeout=2_000)  # fmt: skip

    # The exports, with the page's own session.
    got = page.request.get(f"{app.base}/api/v1/history/{store.day(now).text}/intervals.csv"
                           "?scope=queue:billing")  # fmt: skip
    assert got.ok and got.text().startswith("interval,start,offered")
    assert "attachment" in got.headers["content-disposition"]
    got = page.request.get(f"{app.base}/api/v1/history/{store.day(now).text}/contacts.csv")
    assert got.ok and got.text().count("chart-") == 2  # both contacts, one row each

    # Another scope, then yesterday: built whole from what Redis kept, not streamed.
    page.click("#today-scope")
    page.locator(".dash-dropdown-option", has_text="Billing").click()
    expect(page).to_have_url(re.compile(r"scope=queue%3Abilling"), timeout=10_000)
    expect(page.locator("#sl_chart .tile-title")).to_contain_text("Billing")
    page.click("#today-day")
    page.locator(".dash-dropdown-option", has_text=yesterday.text).click()
    expect(page).to_have_url(re.compile(f"day={yesterday.text}"), timeout=10_000)
    expect(first_row(page).nth(0)).to_have_text("09:00")
    expect(first_row(page).nth(1)).to_have_text("42")
    expect(first_row(page).nth(5)).to_have_text("90%")  # 36 of 40 answered in time
    assert page.locator("#conn-indicator").count() == 0
    page.goto(f"{app.base}/supervisor/today?day=2001-01-01")
    expect(page.get_by_text("is not kept")).to_be_visible()
