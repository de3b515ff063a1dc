"""A supervisor sets an alert rule in the real console; the console's alerts and a wall's
``alerts`` tile follow it live. Real Chromium, real server, real Redis."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import test_console_browser as console_tests
from playwright.sync_api import Page, expect
from test_console_browser import Centre, choose, open_console, open_wall

from feeds.bus.schema import make_envelope
from feeds.notices.alert_rules import AlertRules

pytestmark = pytest.mark.browser
make_centre, centre = console_tests.make_centre, console_tests.centre  # the console's fixtures
SHOTS = Path(__file__).resolve().parent / "artifacts"


def test_a_rule_set_in_the_console_fires_on_the_console_and_the_wall(
    new_page: Callable[..., Page], centre: Centre
) -> None:
    wall = open_wall(new_page, centre, "floor")  # the example board with the alerts tile
    console = open_console(new_page, centre)
    now = time.time()  # Billing's own alert level is 150 s: a minute's wait is no alert
    centre.bus.publish(make_envelope("queue", "billing", {"waiting": 2,
                       "longest_wait_since": now - 60}, ts=now, source="test"))  # fmt: skip
    tile = wall.locator(".alerts-tile")
    expect(tile).to_contain_text("No alerts")
    expect(console.locator("#console-alert-rules")).to_contain_text("No rules set")

    console.click("#console-alert-mode")  # opens "Add an alert"
    choose(console, "#console-alert-queue", "Billing")
    console.fill("#console-alert-seconds", "-5")
    console.click("#console-alert-submit")
    feedback = console.locator("#console-alert-feedback")
    expect(feedback).to_contain_text("Over: expected")
    expect(console.locator("#console-alert-form")).to_have_attribute("data-invalid", "seconds")
    rules = AlertRules(centre.bus, centre.messages.config)
    assert rules.list() == []  # nothing stored

    console.fill("#console-alert-seconds", "45")
    console.click("#console-alert-submit")
    expect(feedback).to_have_text("Added: Billing: longest wait over 45\u00a0s.")
    row = console.locator("#console-alert-rules .fb-alert-rule")
    expect(row).to_contain_text("by sam")
    expect(console.locator("#console-alerts")).to_contain_text("Billing: longest wait over 0:45")
    expect(tile.locator(".alerts-row")).to_contain_text("Billing: longest wait over 0:45")
    expect(tile).to_have_class("tile alerts-tile status-alert")
    SHOTS.mkdir(exist_ok=True)
    console.screenshot(path=str(SHOTS / "console-alert-rules.png"))

    row.get_by_role("button", name="Change").click()
    expect(console.locator("#console-alert-seconds")).to_have_value("45")
    console.fill("#console-alert-seconds", "10m")
    console.click("#console-alert-submit")
    expect(feedback).to_have_text("Saved: Billing: longest wait over 10\u00a0min.")
    expect(tile).to_contain_text("No alerts")  # a minute is under ten
    expect(console.locator("#console-alerts")).to_contain_text("Nothing needs you now.")

    row.get_by_role("button", name="Remove").click()
    expect(feedback).to_have_text("Removed: Billing: longest wait over 10\u00a0min.")
    expect(console.locator("#console-alert-rules")).to_contain_text("No rules set")
    assert rules.list() == []
    sl = {"service_level_15m": 0.5, "service_level_prev_15m": 0.6}  # the config's default rule
    centre.bus.publish(make_envelope("queue", "faults", sl, ts=time.time(), source="test"))
    expect(tile).to_contain_text("Faults & Outages: service level under its 80% target")
    wall.screenshot(path=str(SHOTS / "wall-alerts.png"))
