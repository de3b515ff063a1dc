"""Supervisors keep what agents may give, and say whom an outage hits, in the real console; the
agent's card follows live. Real Chromium, real server, real Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import test_console_browser as console_tests
from playwright.sync_api import Page, expect
from test_agent_browser import contact
from test_console_browser import Centre, choose, open_console, sign_in

from feeds.customers.profiles import Profiles
from feeds.customers.rules import Rules
from feeds.notices.audit import AuditLog

pytestmark = pytest.mark.browser
make_centre, centre = console_tests.make_centre, console_tests.centre  # the console's fixtures


def test_a_supervisor_adds_changes_and_retires_a_rule_and_the_card_follows(
    new_page: Callable[..., Page], centre: Centre
) -> None:
    console = open_console(new_page, centre)
    agent = new_page(1366, 768)
    sign_in(agent, centre, "a1", "/agent/a1")
    Profiles(centre.bus).put([("AC1", {"name": "Asha Patel", "segment": "Standard tariff"})], "t")
    now = time.time()
    contact(centre.bus, "c1", "answered", "AC1", agent_id="a1", enqueued_at=now - 30,
            answered_at=now - 5)  # fmt: skip
    card = agent.locator("#agent-contact")
    expect(card.locator(".fb-agent-give")).to_contain_text("No standing rule covers this contact")

    console.click("#console-rule-mode")  # opens "Add a rule"
    console.fill("#console-rule-title", "Goodwill credit")
    console.fill("#console-rule-limit", "twenty")
    console.click("#console-rule-submit")
    feedback = console.locator("#console-rule-feedback")
    expect(feedback).to_have_text("Up to: must be an amount, like 20 or 12.50")
    expect(console.locator("#console-rule-form")).to_have_attribute("data-invalid", "limit")
    assert Rules(centre.bus, centre.messages.config).list() == []  # nothing stored

    console.fill("#console-rule-limit", "£20")
    console.fill("#console-rule-allowance", "30")
    console.fill("#console-rule-wording", "I've added a goodwill credit to your account.")
    console.click("#console-rule-submit")
    expect(feedback).to_have_text("Added: Goodwill credit.")
    row = console.locator("#console-rules .fb-rule", has_text="Goodwill credit")
    expect(row).to_contain_text("up to £20 a time (more: a supervisor)")
    rule = card.locator(".fb-agent-rule", has_text="Goodwill credit")
    expect(rule).to_contain_text("up to £20", timeout=2_000)  # on the agent's card, live

    row.get_by_role("button", name="Change").click()
    expect(console.locator("#console-rule-limit")).to_have_value("20")  # opened for editing
    console.fill("#console-rule-limit", "25")
    choose(console, "#console-rule-period", "this week")
    console.click("#console-rule-submit")
    expect(feedback).to_have_text("Saved: Goodwill credit.")
    expect(rule).to_contain_text("up to £25")
    expect(rule).to_contain_text("£0 of £30 used this week")

    row.get_by_role("button", name="Retire").click()
    expect(feedback).to_have_text("Retired: Goodwill credit.")
    expect(rule).to_have_count(0)
    actions = [e["action"] for e in AuditLog(centre.bus.client, centre.bus.prefix).read(5, "rule")]
    assert actions == ["retire", "update", "create"]
    expect(console.locator("#console-audit")).to_contain_text("retired rule")


def test_an_outage_declared_for_a_region_flags_only_callers_from_there(
    new_page: Callable[..., Page], centre: Centre
) -> None:
    Profiles(centre.bus).put(
        [("AC-NE", {"name": "Asha Patel", "region": "North East", "products": ["Electricity"]}),
         ("AC-LS", {"name": "Leo Shaw", "region": "Yorkshire", "products": ["Electricity"]})],
        "t",
    )  # fmt: skip
    console = open_console(new_page, centre)
    console.click("#console-out-mode")
    console.fill("#console-out-service", "Power network — North East")
    console.fill("#console-out-wording", "We know about a power cut in the North East.")
    console.fill("#console-out-offer", "£25 goodwill credit")
    console.fill("#console-out-amount", "25")
    console.fill("#console-out-regions", "North East, NE")
    console.fill("#console-out-services", "Electricity")
    console.locator("#console-out-queues").get_by_text("Billing").click()
    console.click("#console-out-submit")
    expect(console.locator("#console-out-feedback")).to_have_text("Declared.")

    agent = new_page(1366, 768)
    sign_in(agent, centre, "a1", "/agent/a1")
    card = agent.locator("#agent-contact")
    contact(centre.bus, "c1", "offered", "AC-LS", agent_id="a1")  # Yorkshire, on Billing
    expect(card.locator(".fb-agent-greet")).to_have_text("Leo Shaw", timeout=5_000)
    expect(card.locator(".flag-outage")).to_have_count(0)
    contact(centre.bus, "c1", "completed", "AC-LS", agent_id="a1")
    contact(centre.bus, "c2", "offered", "AC-NE", queue="faults", agent_id="a1")
    expect(card.locator(".fb-agent-greet")).to_have_text("Asha Patel", timeout=5_000)
    flag = card.locator(".flag-outage")
    expect(flag).to_contain_text("lives in North East; has Electricity")
    expect(card.locator(".fb-agent-offer")).to_contain_text("£25 goodwill credit")
    expect(card.locator(".fb-agent-expect .fb-say")).to_contain_text("power cut in the North")
