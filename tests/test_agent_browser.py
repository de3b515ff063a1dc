"""The agent tab in a real headless Chromium, against the real server and a real Redis.

An agent signs in through the real ``/login`` form; a supervisor watches the real console in
another browser context; contacts and outages are published as producers and supervisors do.
Screenshots of the layouts are written to /tmp for a person to look at.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib import request

import pytest
import signin
from playwright.sync_api import Page, expect
from signin import PASSWORD

from feeds.accounts.store import Accounts
from feeds.adapters.producer import heartbeat
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.notices.messages import Messages
from feeds.notices.outages import Outages

pytestmark = pytest.mark.browser  # browser and new_page: tests/conftest.py

SHOTS = Path("/tmp")
WORDING = "We know about a power cut in the North East. Engineers expect power back by 19:00."
OFFER = "Goodwill credit up to £20"


@dataclass
class Centre:
    base: str
    bus: Bus
    messages: Messages
    outages: Outages
    supervisor_token: str

    def acks(self, message_id: str) -> dict[str, Any]:
        """``GET /api/v1/messages/<id>/acks`` as a supervisor script would."""
        req = request.Request(
            f"{self.base}/api/v1/messages/{message_id}/acks",
            headers={"Authorization": f"Bearer {self.supervisor_token}"},
        )
        with request.urlopen(req, timeout=10) as response:
            return json.load(response)


def publish(bus: Bus, kind: str, id: str, **data: Any) -> None:
    bus.publish(make_envelope(kind, id, data, ts=time.time(), source="test"))


def contact(bus: Bus, cid: str, event: str, customer: str, **data: Any) -> None:
    now = time.time()
    body = {"queue": "billing", "channel": "voice", "customer_id": customer,
            "enqueued_at": now - 95, **data}  # fmt: skip
    if event in ("answered", "completed"):
        body.setdefault("answered_at", now - 3)
    if event in ("abandoned", "completed"):
        body.setdefault("ended_at", now)
    publish(bus, "contact", cid, event=event, **body)


def staff(bus: Bus, prefix: str) -> Accounts:
    """Ann (a01, North, billing and faults) on the bus and as a user, Bob (a02) likewise, and a
    supervisor ``sam``."""
    accounts = Accounts(bus.client, prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    for agent_id, name, team in (("a01", "Ann Lee", "North"), ("a02", "Bob Roy", "South")):
        accounts.add_user(agent_id, "agent", PASSWORD, team=team)
        publish(bus, "agent", agent_id, name=name, team=team, skills=["billing", "faults"],
                state="available", since=time.time() - 125)  # fmt: skip
    return accounts


@pytest.fixture
def centre(bus: Bus, redis_server, prefix: str, start_app) -> Centre:
    """The staff (:func:`staff`), a token for ``sam``, and the app."""
    accounts = staff(bus, prefix)
    app = start_app(redis_server.url, prefix)
    config = load_config(app.config)
    token = accounts.create_token("sam-script", "supervisor")
    return Centre(app.base, bus, Messages(bus, config), Outages(bus, config), token)


def sign_in(page: Page, centre: Centre, name: str, path: str) -> None:
    """Open ``path``, get sent to the sign-in form, sign in, land back on ``path``, live."""
    signin.sign_in(page, centre.base, name, path, live=True)


def test_an_agent_acknowledges_a_message_and_the_console_counts_it(new_page, centre: Centre):
    text = "New billing script from today: read it before your next call"
    posted = centre.messages.post(
        {"text": text, "priority": "urgent", "audience": {"kind": "agent", "value": "a01"},
         "ack_required": True},
        "sam",
    )  # fmt: skip
    centre.messages.post({"text": "For Bob only"}, "sam")  # all: Ann sees it too
    centre.messages.post(
        {"text": "South team huddle at 3", "audience": {"kind": "team", "value": "South"}},
        "sam",
    )
    console = new_page(1366, 768)
    sign_in(console, centre, "sam", "/supervisor")
    row = console.locator("#console-messages .fb-msg", has_text=text)
    expect(row).to_contain_text("Acknowledged 0 of 1")

    agent = new_page(1366, 768)
    sign_in(agent, centre, "a01", "/agent/a01")
    expect(agent.locator("#agent-me-name")).to_have_text("Ann Lee")
    # Time in state comes from the state's start, not from how long the page has been open.
    expect(agent.locator("#agent-me-time")).to_have_text(re.compile(r"^2:\d\d$"))
    mine = agent.locator("#agent-messages .fb-msg", has_text=text)
    expect(mine).to_be_visible()
    expect(agent.locator("#agent-messages")).not_to_contain_text("South team huddle")
    expect(agent.locator("#agent-me-backlog")).to_have_text("1")

    mine.get_by_role("button", name="Acknowledge").click()
    expect(mine).to_contain_text("Acknowledged", timeout=2_000)
    expect(mine.get_by_role("button")).to_have_count(0)
    expect(agent.locator("#agent-me-backlog")).to_have_text("0")
    expect(row).to_contain_text("Acknowledged 1 of 1", timeout=1_000)  # the console, live
    acks = centre.acks(posted["id"])
    assert list(acks["acknowledged"]) == ["a01"] and acks["pending"] == []

    agent.reload()  # acknowledgements live in Redis, not in the page
    expect(agent.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    expect(mine).to_contain_text("Acknowledged")
    expect(mine.get_by_role("button")).to_have_count(0)


def test_another_agents_tab_is_refused(new_page, centre: Centre) -> None:
    page = new_page()
    sign_in(page, centre, "a01", "/agent/a01")
    response = page.goto(f"{centre.base}/agent/a02")
    assert response is not None and response.status == 403
    expect(page.locator("body")).to_contain_text("Not your tab")
    page.get_by_role("link", name="Open your tab").click()
    expect(page.locator("#agent-me-name")).to_have_text("Ann Lee", timeout=15_000)


def repeat_caller_hit_by_an_outage(centre: Centre) -> None:
    """An outage on billing, two earlier contacts of AC7, and AC7 answered by Ann."""
    centre.outages.declare(
        {"service": "Power network — North East", "severity": "major", "queues": ["billing"],
         "customer_wording": WORDING, "offer": OFFER, "eta": time.time() + 3 * 3600,
         "workaround": "Live map at northwind.example/powercut"},
        "sam",
    )  # fmt: skip
    now = time.time()
    contact(centre.bus, "c1", "completed", "AC7", agent_id="a02", enqueued_at=now - 2 * 86400,
            talk=300.0, wrap=40.0)  # fmt: skip
    contact(centre.bus, "c2", "abandoned", "AC7", enqueued_at=now - 5400, ended_at=now - 5300)
    contact(centre.bus, "c3", "offered", "AC7", tags=["at-risk"])
    contact(centre.bus, "c3", "answered", "AC7", agent_id="a01", tags=["at-risk"])


def test_a_repeat_caller_hit_by_an_outage_gets_a_card_that_clears(new_page, centre: Centre):
    page = new_page(1366, 768)
    sign_in(page, centre, "a01", "/agent/a01")
    card = page.locator("#agent-contact")
    expect(card).to_be_hidden()
    repeat_caller_hit_by_an_outage(centre)
    expect(card).to_be_visible(timeout=5_000)
    expect(card).to_contain_text("AC7")
    expect(card.locator(".fb-agent-headline")).to_have_text("3rd contact in 7 days")
    expect(card.locator(".flag-outage")).to_contain_text("Hit by an outage")
    expect(card.locator(".flag-outage")).to_contain_text("Major · calling an affected queue")
    expect(card.locator(".fb-agent-expect .fb-say")).to_contain_text(WORDING)
    expect(card.locator(".fb-agent-offer")).to_contain_text(OFFER)
    expect(card.locator(".fb-agent-expect")).to_contain_text("Live map at northwind.example")
    expect(card.locator(".flag-repeat")).to_contain_text("Don't make them repeat themselves")
    history = card.locator(".fb-agent-history li")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("gave up after 1:40")
    expect(card.locator(".flag-callback")).to_be_visible()
    expect(card.locator(".flag-waited")).to_contain_text("Apologise for the wait")
    expect(card.locator(".flag-at-risk")).to_be_visible()
    # The wording is said once: on the card, and the outage panel only points there.
    expect(page.locator("#agent-outages")).to_contain_text("on the card above")
    expect(page.locator("#agent-outages")).not_to_contain_text(WORDING)
    expect(page.get_by_text(WORDING)).to_have_count(1)

    contact(centre.bus, "c3", "completed", "AC7", agent_id="a01")
    expect(card).to_be_hidden(timeout=5_000)


def lively(centre: Centre) -> None:
    """Enough of everything to fill the tab: queue figures, a delay, messages, an outage and a
    card with several flags."""
    now = time.time()
    stats = {"waiting": 6, "longest_wait_since": now - 140, "service_level": 0.72, "asa": 31.0,
             "aht": 290.0, "offered": 220, "answered": 200,
             "agents": {"available": 1, "on_contact": 7, "wrap": 1}}  # fmt: skip
    publish(centre.bus, "queue", "billing", **stats)
    publish(centre.bus, "queue", "faults", **{**stats, "waiting": 2, "service_level": 0.86,
                                              "longest_wait_since": now - 25})  # fmt: skip
    publish(centre.bus, "delay", "billing", queue="billing", reason="Storm: high call volumes",
            expected_wait=420)  # fmt: skip
    today = {"handled": 23, "handle_time": 6900.0, "answered": 24, "answer_wait": 610.0}
    publish(centre.bus, "agent", "a01", name="Ann Lee", team="North", skills=["billing", "faults"],
            state="on_contact", since=now - 65, stats=today)  # fmt: skip
    for text, priority, ack in (
        ("Storm warning: expect high volumes until 8pm; keep calls short", "important", False),
        ("Read the power cut script before your next call", "urgent", True),
        ("Team North: huddle at 15:30 by the window", "info", False),
    ):
        centre.messages.post({"text": text, "priority": priority, "ack_required": ack}, "sam")
    repeat_caller_hit_by_an_outage(centre)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (420, 900)])
def test_the_tab_is_usable_full_screen_and_as_a_side_panel(
    new_page: Callable[..., Page], centre: Centre, width: int, height: int
) -> None:
    page = new_page(width, height)
    sign_in(page, centre, "a01", "/agent/a01")
    lively(centre)
    card = page.locator("#agent-contact")
    expect(card.locator(".flag-repeat")).to_be_visible(timeout=5_000)
    expect(page.locator("#agent-queues")).to_contain_text("Storm: high call volumes")
    expect(page.locator("#agent-messages .fb-msg")).to_have_count(3)
    page.wait_for_timeout(300)  # the next tick has rendered everything
    page.screenshot(path=str(SHOTS / f"agent-{width}x{height}.png"), full_page=True)

    # Nothing is cut off sideways: the page never scrolls horizontally, nothing sticks out.
    overflow = page.evaluate(
        """() => {
            const w = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('#agent *')].filter(
                e => e.getBoundingClientRect().right > w + 1);
            return {scroll: document.documentElement.scrollWidth - w,
                    wide: wide.map(e => e.className || e.tagName).slice(0, 5)};
        }"""
    )
    assert overflow == {"scroll": 0, "wide": []}
    box = card.bounding_box()
    header = page.locator("#agent-me").bounding_box()
    assert box is not None and header is not None
    ack = page.get_by_role("button", name="Acknowledge")
    if width >= 1100:
        # The card right under the header, whole in the first screen, beside the messages: the
        # urgent message and its Acknowledge stay in view whatever the card holds.
        assert header["y"] + header["height"] <= box["y"] < 200
        assert box["y"] + box["height"] <= height
        expect(ack).to_be_in_viewport(ratio=1)
        for panel in page.locator(".fb-agent-grid .fb-agent-panel").all():
            panel_box = panel.bounding_box()
            assert panel_box is not None and panel_box["y"] > box["y"] + box["height"]
    else:
        # A side panel: the urgent message waiting for its Acknowledge first, then the card.
        messages = page.locator(".fb-agent-messages").bounding_box()
        assert messages is not None and messages["y"] < box["y"]
        expect(ack).to_be_in_viewport(ratio=1)
    expect(card.locator(".fb-agent-greet")).to_be_visible()


def test_my_queue_greys_and_names_its_silent_source(new_page, centre: Centre) -> None:
    page = new_page()
    sign_in(page, centre, "a01", "/agent/a01")
    now = time.time()
    publish(centre.bus, "agent", "a01", name="Ann Lee", team="North", skills=["billing"],
            state="available", since=now)  # fmt: skip
    centre.bus.publish(heartbeat("pbx", now, 1.0, 2.0))  # late 2 s after its last beat
    stats = {"waiting": 3, "agents": {"available": 1, "on_contact": 2, "wrap": 0}}
    centre.bus.publish(make_envelope("queue", "billing", stats, ts=now, source="pbx"))
    billing = page.locator("#agent-queues .fb-agent-queue").first
    expect(billing).to_contain_text("Billing", timeout=15_000)
    expect(billing).to_have_class(re.compile(r"\bstale\b"), timeout=6_000)  # nothing sent
    expect(billing.locator(".fb-agent-age")).to_have_text(re.compile(r"^pbx silent for \d+ s$"))
    centre.bus.publish(heartbeat("pbx", time.time(), 1.0, 2.0))
    expect(billing).not_to_have_class(re.compile(r"\bstale\b"))
