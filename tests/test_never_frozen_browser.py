"""What a person sees when data or credentials go bad, in a real Chromium against the real
server: every page under the Content-Security-Policy with live values and no violation; bad
items shown as "—" and marked, never as live numbers; a stream refused after its credential
ended says "signed out" and stops retrying; "£1000" cannot be drawn reversed.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from test_agent_browser import PASSWORD, Centre, centre, publish, sign_in  # noqa: F401

from feeds.accounts.store import Accounts

pytestmark = pytest.mark.browser

# Recorded from the first script on: any CSP violation (the event), kept on the window.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
    window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def watched(new_page: Callable[..., Page]) -> tuple[Page, list[str]]:
    """A page whose console messages about the policy are collected too."""
    page = new_page(1366, 768)
    page.add_init_script(WATCH_CSP)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Security Policy" in m.text else None)
    return page, console


def no_violations(page: Page, console: list[str]) -> None:
    assert page.evaluate("window.__csp") == [] and console == [], (console, page.evaluate("1"))


def test_every_page_renders_live_values_under_the_policy(new_page, centre: Centre) -> None:  # noqa: F811
    publish(centre.bus, "queue", "billing", waiting=7)
    page, console = watched(new_page)
    response = page.goto(f"{centre.base}/wall/main")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'sha256-" in policy
    expect(page.locator("#tile-billing-waiting")).to_have_text("7", timeout=15_000)
    publish(centre.bus, "queue", "billing", waiting=9)
    expect(page.locator("#tile-billing-waiting")).to_have_text("9")  # live, not just drawn
    no_violations(page, console)

    page.goto(f"{centre.base}/")
    expect(page.locator("h1")).to_be_visible()
    no_violations(page, console)

    agent, agent_console = watched(new_page)
    agent.add_init_script(WATCH_CSP)
    sign_in(agent, centre, "a01", "/agent/a01")  # the sign-in page too, under its own policy
    expect(agent.locator("#agent-me-name")).to_have_text("Ann Lee")
    publish(centre.bus, "agent", "a01", name="Ann Lee", team="North", skills=["billing"],
            state="away", since=time.time(), reason="lunch")  # fmt: skip
    expect(agent.locator("#agent-me-state")).to_contain_text("lunch")
    no_violations(agent, agent_console)

    console_page, console_msgs = watched(new_page)
    sign_in(console_page, centre, "sam", "/supervisor")
    centre.messages.post({"text": "Policy check"}, "session:sam")
    expect(console_page.locator("#console-messages")).to_contain_text("Policy check")
    console_page.locator("#console-messages").get_by_role("button", name="Edit").click()
    no_violations(console_page, console_msgs)  # server callbacks ran too


def fake_stream(page: Page, items: dict) -> None:
    """Serve the page's stream from the test: one snapshot of ``items``, then silence."""
    body = json.dumps({"seq": 5, "now": time.time(), "bus": {"up": True}, "items": items})
    page.route(re.compile(r"/stream\?"), lambda route: route.fulfill(
        status=200, headers={"Content-Type": "text/event-stream"},
        body=f"retry: 60000\nevent: snapshot\nid: 5\ndata: {body}\n\n",
    ))  # fmt: skip


BROKEN = {"ts": None, "stale_after": None, "status": "ok", "broken": True}


def test_bad_data_shows_as_a_dash_marked_never_as_a_live_number(new_page, centre: Centre):  # noqa: F811
    page = new_page(1920, 1080)
    now = time.time()
    tile = {"ts": now, "stale_after": 30, "status": "ok",
            "fields": {"waiting": {"text": "3", "status": "ok"},
                       "asa": {"text": "\u2014", "status": "invalid"}},
            "timers": {"longest": {"since": None, "warn": 60, "alert": 180}}}  # fmt: skip
    fake_stream(page, {"tile:billing": BROKEN, "tile:faults": tile, "bands": BROKEN,
                       "messages": BROKEN})  # fmt: skip
    page.goto(f"{centre.base}/wall/main")
    expect(page.locator("#tile-billing-age")).to_have_text("bad data from the feed")
    expect(page.locator("#tile-billing")).to_have_class(re.compile(r"\bbroken\b"))
    expect(page.locator("#tile-billing-waiting")).to_have_text("\u2014")
    expect(page.locator("#tile-billing-longest")).to_have_text("\u2014")
    expect(page.locator("#tile-faults-waiting")).to_have_text("3")
    expect(page.locator("#tile-faults-asa")).to_have_class(re.compile(r"\bstatus-invalid\b"))
    expect(page.locator("#bands .fb-broken")).to_have_text("\u2014 bad data from the feed")
    expect(page.locator("#bands")).to_be_visible()
    expect(page.locator("#messages .fb-broken")).to_be_visible()

    agent = new_page(1366, 768)
    sign_in(agent, centre, "a01", "/agent/a01")
    fake_stream(agent, {k: BROKEN for k in ("me", "queues", "messages", "outages", "contact")})
    agent.reload()
    expect(agent.locator("#agent-me-state")).to_have_text("bad data from the feed")
    expect(agent.locator("#agent-me-handled")).to_have_text("\u2014")
    for list_id in ("agent-queues", "agent-messages", "agent-outages", "agent-contact-body"):
        expect(agent.locator(f"#{list_id} .fb-broken")).to_be_visible()


def test_a_stream_whose_credential_ended_says_signed_out_and_stops(new_page, centre: Centre):  # noqa: F811
    page = new_page(1366, 768)
    sign_in(page, centre, "a01", "/agent/a01")
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/stream?" in r.url else None)
    Accounts(centre.bus.client, centre.bus.prefix).set_password("a01", "a brand new password")
    band = page.locator("#conn-band")
    expect(band).to_contain_text("Signed out", timeout=15_000)
    expect(page.locator("#conn-indicator")).to_have_text("Signed out")
    link = band.get_by_role("link", name="sign in")
    assert link.get_attribute("href") == "/login?next=%2Fagent%2Fa01"
    expect(page.locator("#agent-me-name")).to_have_text("Ann Lee")  # last values kept
    tried = len(streams)
    page.wait_for_timeout(7_000)  # longer than any retry delay
    assert len(streams) == tried, "it kept retrying a stream that can never open"


def test_a_reversed_price_cannot_be_drawn(new_page, centre: Centre) -> None:  # noqa: F811
    """U+202E (right-to-left override) used to make "£1000" read "0001£" on every screen."""
    centre.messages.post({"text": "Offer refunds up to \u202e£1000\u202c today"}, "session:sam")
    page = new_page(1920, 1080)
    page.goto(f"{centre.base}/wall/main")
    shown = page.locator("#messages .msg", has_text="£1000")
    expect(shown).to_have_text("Offer refunds up to £1000 today")
    # Where the browser draws each character: "£" left of "1", "1" left of the zeros.
    xs = shown.first.evaluate("""el => {
        const node = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
        const at = node.data.indexOf("£1000");
        return [0, 1, 2, 4].map(i => {
            const r = document.createRange();
            r.setStart(node, at + i); r.setEnd(node, at + i + 1);
            return r.getBoundingClientRect().left;
        });
    }""")
    assert xs == sorted(xs), f"drawn out of order: {xs}"
