"""The moment of truth in a real headless Chromium, against the real server and a real Redis:
the card appears while the contact rings with the caller's name, why they called before and
what the agent may give; what the agent gives and promises is checked, counted and reaches the
next agent; a CRM that does not answer leaves the card usable."""

from __future__ import annotations

import re
import time

import pytest
from crm_server import crm_server
from playwright.sync_api import Page, expect
from test_agent_browser import contact, sign_in, staff

from feeds.bus.bus import Bus
from feeds.config import load_config
from feeds.customers.profiles import Profiles
from feeds.customers.rules import Rules
from feeds.notices.messages import Messages

pytestmark = pytest.mark.browser

PATEL = {"name": "Asha Patel", "preferred_name": "Mrs Patel", "segment": "Standard tariff",
         "region": "North East", "postcode_area": "NE", "products": ["Electricity", "Gas"],
         "cases": [{"id": "C-1042", "reason": "billing dispute", "priority": "high",
                    "eta": time.time() + 2 * 86400}],
         "callbacks": [{"due": time.time() - 86400, "case_id": "C-1042"}]}  # fmt: skip


class Floor:
    """The app, Ann (a01) and Bob (a02) on the bus and as users, and what the test needs."""

    def __init__(self, base: str, bus: Bus, config_path) -> None:
        self.base, self.bus = base, bus
        self.config = load_config(config_path)


@pytest.fixture
def floor(bus: Bus, redis_server, prefix: str, start_app) -> Floor:
    staff(bus, prefix)
    app = start_app(redis_server.url, prefix)
    return Floor(app.base, bus, app.config)


def choose(page: Page, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown}").click()
    page.get_by_role("option", name=option).click()


def test_the_card_rings_with_who_why_and_what_may_be_given_and_records_what_was(
    new_page, floor: Floor
) -> None:
    bus, now = floor.bus, time.time()
    Rules(bus, floor.config).create(
        {"title": "Goodwill credit", "action": "credit", "limit": 20, "allowance": 30,
         "wording": "I've added a goodwill credit to your account."}, "sam")  # fmt: skip
    Profiles(bus).put([("AC1", PATEL)], "crm")
    contact(bus, "c1", "completed", "AC1", agent_id="a02", enqueued_at=now - 2 * 86400,
            reason="billing dispute", outcome="callback promised")  # fmt: skip
    contact(bus, "c2", "completed", "AC1", agent_id="a02", channel="chat",
            enqueued_at=now - 86400, reason="billing dispute", outcome="escalated")  # fmt: skip
    page = new_page(1366, 768)
    sign_in(page, floor, "a01", "/agent/a01")
    card = page.locator("#agent-contact")
    expect(card).to_be_hidden()

    contact(bus, "c3", "offered", "AC1", agent_id="a01", reason="billing dispute")
    expect(card).to_be_visible(timeout=5_000)
    expect(card.locator(".fb-agent-phase")).to_have_text("Ringing")
    expect(card.locator(".fb-agent-greet")).to_have_text("Mrs Patel")
    expect(card.locator(".fb-agent-fullname")).to_have_text("Asha Patel")
    expect(card).to_contain_text("Standard tariff · North East (NE) · Electricity, Gas")
    expect(card.locator(".fb-agent-headline")).to_have_text(
        "3rd contact in 7 days: billing dispute "
        "(open case C-1042, promised callback yesterday, missed)"
    )
    history = card.locator(".fb-agent-history li")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Billing · Chat")
    expect(history.first).to_contain_text("billing dispute → escalated")
    expect(history.nth(1)).to_contain_text("billing dispute → callback promised")
    rule = card.locator(".fb-agent-rule", has_text="Goodwill credit")
    expect(rule).to_contain_text("up to £20 (more: a supervisor)")
    expect(rule).to_contain_text("£0 of £30 used today")
    expect(card.locator(".fb-agent-expect .fb-say")).to_contain_text(
        "I'm sorry we didn't call back yesterday as we promised."
    )
    expect(page.locator("#agent-record")).to_be_hidden()  # records once answered

    contact(bus, "c3", "answered", "AC1", agent_id="a01", reason="billing dispute")
    expect(card.locator(".fb-agent-phase")).to_have_text("On contact")
    note = page.locator("#agent-record-note")
    choose(page, "agent-give-what", "Goodwill credit (up to £20 (more: a supervisor))")
    page.fill("#agent-give-amount", "25")
    page.locator("#agent-give-submit").click()
    expect(note).to_have_text(
        "Not recorded: Amount: £25 is above your limit of £20: ask a supervisor"
    )
    page.fill("#agent-give-amount", "10")
    page.locator("#agent-give-submit").click()
    expect(note).to_have_text("Recorded: Goodwill credit: £10")
    expect(rule).to_contain_text("£10 of £30 used today")  # counted, live
    expect(history.first).to_contain_text("you gave: Goodwill credit: £10")

    promise = page.locator("#agent-promise-text")  # proposed from the open case's date
    expect(promise).to_have_value(re.compile(r"^Case C-1042 resolved by .+ \d\d:\d\d$"))
    page.fill("#agent-promise-text", "Call back with the billing team's answer")
    page.fill("#agent-promise-due", "+2h")
    page.locator("#agent-promise-submit").click()
    expect(note).to_have_text("Recorded: Call back with the billing team's answer")

    # The customer calls again and reaches Bob: he reads what Ann gave and promised.
    contact(bus, "c3", "completed", "AC1", agent_id="a01")
    bob = new_page(1366, 768)
    sign_in(bob, floor, "a02", "/agent/a02")
    contact(bus, "c4", "offered", "AC1", agent_id="a02")
    lines = bob.locator("#agent-contact .fb-agent-history")
    expect(lines).to_contain_text("Ann Lee promised: Call back with the billing team's answer")
    expect(lines).to_contain_text("Ann Lee gave: Goodwill credit: £10")
    expect(bob.locator(".fb-agent-rule", has_text="Goodwill credit")).to_contain_text(
        "£10 of £30 used today"
    )


def test_a_crm_that_does_not_answer_leaves_the_card_usable(
    new_page, bus: Bus, redis_server, prefix: str, start_app
) -> None:
    staff(bus, prefix)
    with crm_server() as crm:
        url = f"http://127.0.0.1:{crm.server_port}/customers/{{id}}"
        app = start_app(redis_server.url, prefix, settings={"url": url, "timeout": 0.5})
        config = load_config(app.config)
        Rules(bus, config).create({"title": "Goodwill credit", "action": "credit", "limit": 20},
                                  "sam")  # fmt: skip
        Messages(bus, config).post({"text": "Read the new script", "priority": "urgent",
                                    "ack_required": True}, "sam")  # fmt: skip
        floor = Floor(app.base, bus, app.config)
        page = new_page(1366, 768)
        sign_in(page, floor, "a01", "/agent/a01")
        contact(bus, "c1", "offered", "SLOW-1", agent_id="a01", reason="high bill")
        card = page.locator("#agent-contact")
        expect(card.locator(".fb-agent-phase")).to_have_text("Ringing", timeout=5_000)
        lookup = card.locator(".fb-agent-lookup")
        expect(lookup).to_contain_text("The CRM is not answering", timeout=5_000)
        expect(lookup).to_contain_text("no answer within 0.5 s")
        expect(card.locator(".fb-agent-greet")).to_have_text("Unknown caller")
        expect(card.locator(".fb-agent-rule")).to_contain_text("Goodwill credit")
        expect(card.locator(".fb-agent-headline")).to_have_text(
            "First contact in 7 days: high bill"
        )
        contact(bus, "c1", "answered", "SLOW-1", agent_id="a01")
        page.fill("#agent-promise-text", "Call back with the bill checked")
        page.fill("#agent-promise-due", "+1h")
        page.locator("#agent-promise-submit").click()
        expect(page.locator("#agent-record-note")).to_have_text(
            "Recorded: Call back with the bill checked"
        )
        ack = page.get_by_role("button", name="Acknowledge")
        expect(ack).to_be_in_viewport(ratio=1)
        ack.click()
        expect(ack).to_have_count(0)
        # A customer the CRM does know is greeted by name as soon as it answers.
        contact(bus, "c1", "completed", "SLOW-1", agent_id="a01")
        contact(bus, "c2", "offered", "AC-9", agent_id="a01")
        expect(card.locator(".fb-agent-greet")).to_have_text("Mrs Patel", timeout=5_000)
        expect(card.locator(".fb-agent-fullname")).to_have_text("Customer AC-9")
