"""The supervisor's floor against the real server, a real Redis and a real headless Chromium.

Agents' states are published on the bus as an ACD would; the supervisor signs in through the
real form. Who may not see the floor is checked on the page and on the raw stream.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import signin
from playwright.sync_api import Page, expect
from signin import PASSWORD, login

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope

pytestmark = pytest.mark.browser

FLOOR, STREAM = "/supervisor/floor", "/stream?view=floor"
SHOTS = Path(__file__).resolve().parent / "artifacts"


def publish_agent(bus: Bus, agent_id: str, state: str, ago: float = 5, **data: object) -> None:
    now = time.time()
    body = {"name": f"Agent {agent_id}", "state": state, "since": now - ago, "team": "North",
            "skills": ["billing"], **data}  # fmt: skip
    bus.publish(make_envelope("agent", agent_id, body, ts=now, source="test"))


@pytest.fixture
def app(bus: Bus, redis_server, prefix: str, start_app):
    accounts = Accounts(bus.client, prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    accounts.add_user("a1", "agent", PASSWORD, team="North")
    accounts.add_user("wally", "viewer", PASSWORD)
    server = start_app(redis_server.url, prefix)
    server.tokens = {r: accounts.create_token(f"t-{r}", r) for r in ("agent", "viewer")}
    return server


def sign_in(page: Page, base: str, name: str = "sam") -> None:
    signin.sign_in(page, base, name, FLOOR, live=True)


def test_agents_and_viewers_get_neither_the_page_nor_its_stream(app) -> None:
    base = app.base
    nobody = requests.get(f"{base}{STREAM}", timeout=5, stream=True)
    assert nobody.status_code == 401
    assert requests.get(f"{base}{FLOOR}", allow_redirects=False, timeout=5).status_code == 302
    for name in ("a1", "wally"):  # an agent's and a viewer's session
        session = login(base, name)
        assert session.get(f"{base}{FLOOR}", timeout=5).status_code == 403
        refused = session.get(f"{base}{STREAM}", timeout=5, stream=True)
        assert refused.status_code == 403 and "supervisor" in refused.json()["error"]["reason"]
        assert session.get(f"{base}/api/v1/snapshot?view=floor", timeout=5).status_code == 403
    for role, token in app.tokens.items():  # and their API tokens, on the raw stream
        headers = {"Authorization": f"Bearer {token}"}
        r = requests.get(f"{base}{STREAM}", headers=headers, timeout=5, stream=True)
        assert r.status_code == 403, role
    supervisor = login(base, "sam")
    assert supervisor.get(f"{base}{FLOOR}", timeout=5).status_code == 200
    with supervisor.get(f"{base}{STREAM}", timeout=5, stream=True) as ok:
        assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/event")


def test_a_cell_moves_within_a_second_and_limits_light_up(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    publish_agent(bus, "a1", "available", name="Ann Lee")
    publish_agent(bus, "a2", "wrap", ago=150, name="Bob Roy")  # wrap over 2 min
    publish_agent(bus, "a3", "away", ago=2200, name="Cat Dee", reason="Lunch", team="South")
    page = new_page(1366, 768)
    sign_in(page, app.base)
    ann, bob, cat = (page.locator(f"[data-agent={a}]") for a in ("a1", "a2", "a3"))
    expect(ann).to_have_class(re.compile(r"state-available"))
    expect(bob).to_have_class(re.compile(r"status-warn"))
    expect(cat).to_have_class(re.compile(r"status-alert"))  # lunch overrun past its plan
    expect(cat).to_contain_text("Lunch")
    expect(page.locator("#floor-summary")).to_contain_text("3 of 3 agents")

    now = time.time()
    call = {"event": "answered", "queue": "billing", "channel": "voice", "customer_id": "c9",
            "enqueued_at": now - 20, "answered_at": now, "agent_id": "a1"}  # fmt: skip
    bus.publish(make_envelope("contact", "k-1", call, ts=time.time(), source="test"))
    started = time.monotonic()
    publish_agent(bus, "a1", "on_contact", ago=0, name="Ann Lee")
    expect(ann).to_have_class(re.compile(r"state-on_contact"), timeout=1000)
    expect(ann).to_contain_text("Billing", timeout=1000)
    assert time.monotonic() - started < 1.0
    expect(ann.locator(".floor-time")).to_have_text(re.compile(r"0:0[1-3]"), timeout=4000)

    # Away first puts Cat (away) before Bob (wrap) before Ann (on a contact).
    page.get_by_text("Away first").click()
    order = page.locator(".floor-cell").evaluate_all("els => els.map(e => e.dataset.agent)")
    assert order.index("a2") < order.index("a1")  # both North: wrap before on contact
    publish_agent(bus, "a2", "available", ago=0, name="Bob Roy")  # his team patched, re-sorted
    expect(bob).to_have_class(re.compile(r"state-available"), timeout=1000)
    order = page.locator(".floor-cell").evaluate_all("els => els.map(e => e.dataset.agent)")
    assert order.index("a1") < order.index("a2")  # on a contact before available
    page.locator("#floor-team").click()
    page.get_by_role("option", name="South").click()
    expect(page.locator(".floor-cell")).to_have_count(1)
    expect(page.locator("#floor-summary")).to_contain_text("1 of 3 agents")


def test_five_hundred_agents_collapse_and_fit_full_hd(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    states = ["available", "on_contact", "wrap", "away", "on_contact"]
    for i in range(500):
        publish_agent(bus, f"a{i:03d}", states[i % 5], ago=i, team=f"Team {i % 12:02d}")
    page = new_page(1920, 1080)
    sign_in(page, app.base)
    expect(page.locator("#floor-summary")).to_contain_text("500 of 500 agents", timeout=10_000)
    expect(page.locator(".floor-collapsed")).to_have_count(12)
    expect(page.locator(".floor-cell")).to_have_count(0)
    size = page.evaluate(
        "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
        " over: [...document.querySelectorAll('.floor-team, .floor-chip')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).length})"
    )
    assert size["w"] <= 1920 and size["h"] <= 1080 and size["over"] == 0, size
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "floor-500.png"))
    # One team opened shows its agents' cells, moving live like any other.
    page.locator("[data-team='Team 03']").click()
    expect(page.locator(".floor-cell")).to_have_count(42)
    publish_agent(bus, "a003", "available", ago=0, team="Team 03")
    expect(page.locator("[data-agent=a003]")).to_have_class(re.compile("state-available"),
                                                            timeout=1000)  # fmt: skip


def test_queue_cards_live_and_one_click_to_the_console_forms(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    publish_agent(bus, "a1", "available")
    publish_agent(bus, "a2", "on_contact")
    page = new_page(1920, 1080)
    sign_in(page, app.base)
    billing = page.locator("[data-queue=billing]")
    expect(billing).to_contain_text("1 / 2")  # available / logged in with the skill
    now = time.time()
    stats = {"waiting": 7, "longest_wait_since": now - 200, "offered": 20, "answered": 18,
             "answered_in_threshold": 15, "service_level": 0.83, "service_level_30m": 0.5,
             "staffing": {"model": "erlang_c", "window": "30m", "gap": 3}}  # fmt: skip
    bus.publish(make_envelope("queue", "billing", stats, ts=now, source="test"))
    delay = {"queue": "billing", "reason": "Storm damage: high volume"}
    bus.publish(make_envelope("delay", "billing", delay, ts=now, source="test"))
    expect(billing).to_contain_text("Storm damage", timeout=1000)
    expect(billing).to_contain_text("50%")
    expect(billing).to_contain_text("+3")
    expect(billing).to_have_class(re.compile("status-alert"))
    expect(billing.locator(".value").nth(1)).to_have_text(re.compile(r"3:2\d"))  # ticking
    expect(page.locator("[data-channel=voice]")).to_contain_text("7")

    billing.get_by_text("Message…").click()
    expect(page).to_have_url(re.compile(r"/supervisor\?queue=billing"))
    expect(page.locator("#console-msg-target")).to_contain_text("Billing", timeout=15_000)
    expect(page.locator("#console-delay-queue")).to_contain_text("Billing")
    page.fill("#console-msg-text", "Billing callers: storm, offer callbacks")
    page.click("#console-msg-submit")
    expect(page.locator("#console-messages")).to_contain_text("Queue Billing", timeout=10_000)


def offer(bus: Bus, contact_id: str, queue: str, channel: str, ago: float, **data: object) -> None:
    now = time.time()
    body = {"event": "offered", "queue": queue, "channel": channel, "customer_id": "c1",
            "enqueued_at": now - ago, **data}  # fmt: skip
    bus.publish(make_envelope("contact", contact_id, body, ts=now, source="test"))


def test_the_blended_queue_lists_every_waiting_contact_in_arrival_order(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    publish_agent(bus, "a1", "available", name="Ann Lee", skills=["email"])
    offer(bus, "call-1", "billing", "voice", 50)
    offer(bus, "mail-1", "email", "email", 30, tags=["VIP"])
    page = new_page(1920, 1080)
    sign_in(page, app.base)
    waiting = page.locator(".fb-waiting")
    expect(waiting).to_have_count(2)
    expect(page.locator("#floor-blended-count")).to_have_text("· 2 waiting")
    expect(waiting.nth(1)).to_contain_text("VIP")
    offer(bus, "fax-1", "billing", "fax", 40)  # arrived between the call and the email
    expect(waiting).to_have_count(3, timeout=1000)
    ids = waiting.evaluate_all("els => els.map(e => e.dataset.contact)")
    assert ids == ["call-1", "fax-1", "mail-1"]
    expect(waiting.nth(0).locator(".fb-waiting-waited")).to_have_text(re.compile(r"0:5\d"))
    # Ann works email only: her next items are the email's.
    page.locator("#floor-next-for").click()
    page.get_by_role("option", name="Ann Lee (North)").click()
    expect(waiting).to_have_count(1)
    expect(page.locator("#floor-blended-count")).to_contain_text("1 for Ann Lee")
    now = time.time()
    answered = {"event": "answered", "queue": "email", "channel": "email", "customer_id": "c1",
                "enqueued_at": now - 30, "answered_at": now, "agent_id": "a1"}  # fmt: skip
    bus.publish(make_envelope("contact", "mail-1", answered, ts=now, source="test"))
    expect(page.get_by_text("Nothing waiting for Ann Lee.")).to_be_visible(timeout=1000)


def test_console_alerts_fire_on_the_second_and_sound_until_turned_off(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    page = new_page(1366, 768)
    page.goto(f"{app.base}/supervisor")
    page.fill("#username", "sam")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    alerts = page.locator("#console-alerts")
    expect(alerts).to_contain_text("Nothing needs you now.")
    now = time.time()
    # Billing's longest wait alerts at 150 s: this one crosses it two seconds from now.
    stats = {"waiting": 1, "longest_wait_since": now - 148}
    bus.publish(make_envelope("queue", "billing", stats, ts=now, source="test"))
    page.wait_for_timeout(800)
    expect(alerts).to_contain_text("Nothing needs you now.")  # not yet: a watch, not an alert
    expect(alerts).to_contain_text("Billing: longest wait over 2:30", timeout=3000)
    assert page.evaluate("window.floorboardAlerts.beeps") == 1
    page.click("#console-alert-sound")
    expect(page.locator("#console-alert-sound")).to_have_text("Sound off")
    publish_agent(bus, "a1", "wrap", ago=301, name="Ann Lee")
    expect(alerts).to_contain_text("Ann Lee: wrap over 5:00", timeout=2000)
    assert page.evaluate("window.floorboardAlerts.beeps") == 1  # silent: turned off
    page.reload()  # the choice is this browser's, kept
    expect(page.locator("#console-alert-sound")).to_have_text("Sound off", timeout=15_000)
