"""The floor's agent day and the agent tab's "Next for me", against one real server (shared by
the module), a real Redis and a real headless Chromium. Who may read an agent's day is checked
on the raw HTTP route."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import AppServer, write_config
from playwright.sync_api import Page, expect
from signin import PASSWORD, sign_in

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.notices.messages import Messages

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def bus(redis_server) -> Iterator[Bus]:
    b = Bus.from_url(redis_server.url, f"d{uuid.uuid4().hex[:10]}:")
    yield b
    b.client.close()


@pytest.fixture(scope="module")
def app(redis_server, bus: Bus, tmp_path_factory) -> Iterator[AppServer]:
    """Ann (a01, North: billing and email), Bob (a02, South), a supervisor and a viewer; their
    API tokens in ``app.tokens``."""
    accounts = Accounts(bus.client, bus.prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    accounts.add_user("wally", "viewer", PASSWORD)
    for agent_id, name, team in (("a01", "Ann Lee", "North"), ("a02", "Bob Roy", "South")):
        accounts.add_user(agent_id, "agent", PASSWORD, team=team)
        agent(bus, agent_id, "available", 3000, name=name, team=team)
    config = write_config(tmp_path_factory.mktemp("day"), bus.prefix)
    with config.open("a") as f:  # a centre's own channel, beside the eight
        f.write('\n[[channels]]\nid = "whatsapp"\nlabel = "WhatsApp"\nicon = "W"\n')
    server = AppServer(redis_server.url, config, config.parent / "app.log").start()
    roles = {"a01": "agent", "a02": "agent", "sam": "supervisor", "wally": "viewer"}
    server.tokens = {label: accounts.create_token(label, role) for label, role in roles.items()}
    yield server
    server.stop()


def agent(bus: Bus, agent_id: str, state: str, ago: float, **data: Any) -> None:
    now = time.time()
    body = {"name": "Ann Lee", "team": "North", "skills": ["billing", "email"], "state": state,
            "since": now - ago, **data}  # fmt: skip
    bus.publish(make_envelope("agent", agent_id, body, ts=now - ago, source="test"))


def contact(bus: Bus, cid: str, event: str, queue: str, channel: str, ago: float, **data: Any):
    now = time.time()
    body = {"event": event, "queue": queue, "channel": channel, "customer_id": "AC1",
            "enqueued_at": now - ago, **data}  # fmt: skip
    bus.publish(make_envelope("contact", cid, body, ts=now, source="test"))


def test_an_agents_day_is_for_supervisors_and_the_agent_alone(app) -> None:
    url = f"{app.base}/api/v1/agents/a01/day"
    nobody = requests.get(url, timeout=10)
    assert nobody.status_code == 401 and nobody.json()["error"]["field"] == "authorization"

    def get(label: str, path: str = url) -> requests.Response:
        auth = {"Authorization": f"Bearer {app.tokens[label]}"}
        return requests.get(path, headers=auth, timeout=10, allow_redirects=False)

    assert get("a02").status_code == 403 and get("a02").json()["error"]["field"] == "agent_id"
    assert get("wally").status_code == 403  # a viewer: not even the role
    assert get("a01").status_code == 200 and get("a01").json()["name"] == "Ann Lee"
    assert get("sam").status_code == 200
    missing = get("sam", f"{app.base}/api/v1/agents/nobody/day")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "agent_id"
    assert get("a02", f"{app.base}/agent/a01/day").status_code == 403  # the page too
    assert requests.get(f"{app.base}/agent/a01/day", timeout=10,
                        allow_redirects=False).status_code == 302  # fmt: skip


def test_a_supervisor_clicks_an_agent_on_the_floor_and_sees_their_day(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    agent(bus, "a01", "on_contact", 1800)
    contact(bus, "day-1", "completed", "billing", "voice", 1830, agent_id="a01",
            answered_at=time.time() - 1800, ended_at=time.time() - 1500, talk=250.0,
            wrap=50.0, outcome="Refund agreed")  # fmt: skip
    agent(bus, "a01", "wrap", 1500)
    agent(bus, "a01", "away", 1200, reason="Lunch")
    agent(bus, "a01", "available", 60)
    messages = Messages(bus, load_config(app.config))
    owed = messages.post({"text": "Read the new refunds script", "ack_required": True}, "sam")
    done = messages.post({"text": "Team huddle at 3", "ack_required": True}, "sam")
    messages.ack(done["id"], "a01", "a01")
    page = new_page(1920, 1080)
    sign_in(page, app.base, "sam", "/supervisor/floor")
    cell = page.locator(".floor-cell[data-agent=a01]")
    expect(cell).to_be_visible(timeout=15_000)
    with page.context.expect_page() as opened:
        cell.click()
    day = opened.value
    day.set_viewport_size({"width": 1920, "height": 1080})
    expect(day).to_have_url(f"{app.base}/agent/a01/day")
    expect(day.locator("#day-title")).to_have_text("The day of Ann Lee · Team North")
    rows = day.locator("#day-contacts tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Billing")
    expect(rows.nth(0)).to_contain_text("Refund agreed")
    expect(rows.nth(0)).to_contain_text("5:00")  # handled: talk + wrap
    states = day.locator("#day-states tbody tr")
    expect(states).to_contain_text(["Available", "On contact", "Wrap-up", "Away · Lunch",
                                    "Available"])  # fmt: skip
    acks = day.locator(".fb-day-ack")
    expect(acks.nth(0)).to_contain_text(owed["text"])
    expect(acks.nth(0)).to_contain_text("acknowledged not yet")
    expect(acks.nth(1)).to_contain_text(done["text"])
    expect(day.locator("#day-owed-n")).to_have_text("1")
    expect(day.locator("#day-timeline .main-svg").first).to_be_visible()
    assert day.evaluate("document.documentElement.scrollWidth") <= 1920
    day.screenshot(path=str(SHOTS / "floorboard-agent-day.png"))
    # The page follows the agent: a new state, an acknowledgement, and it is rebuilt.
    expect(day.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    agent(bus, "a01", "wrap", 1)
    expect(states.last).to_contain_text("Wrap-up", timeout=5000)
    messages.ack(owed["id"], "a01", "a01")
    expect(day.locator("#day-owed-n")).to_have_text("0", timeout=5000)
    expect(acks.nth(0)).not_to_contain_text("not yet")


def test_the_agent_sees_their_next_items_move_within_a_second(
    app, bus: Bus, new_page: Callable[..., Page]
) -> None:
    contact(bus, "next-mail", "offered", "email", "email", 600)
    contact(bus, "next-call", "offered", "billing", "voice", 40, tags=["VIP"])
    contact(bus, "next-chat", "offered", "chat", "chat", 900)  # not Ann's skill
    page = new_page(1920, 1080)
    sign_in(page, app.base, "a01", "/agent/a01", live=True)
    rows = page.locator("#agent-next .fb-waiting")
    # Overdue (the example config's rule): 40 s on a 20 s target before 10 min on four hours.
    expect(rows).to_have_count(2)
    assert rows.evaluate_all("els => els.map(e => e.dataset.contact)") == [
        "next-call", "next-mail"]  # fmt: skip
    expect(rows.nth(0)).to_contain_text("VIP")
    expect(page.locator("#agent-next")).to_contain_text("most overdue")
    contact(bus, "next-call-2", "offered", "billing", "voice", 90)  # a call waiting longer
    expect(rows).to_have_count(3, timeout=1000)
    assert rows.nth(0).get_attribute("data-contact") == "next-call-2"
    contact(bus, "next-call-2", "answered", "billing", "voice", 90, agent_id="a02",
            answered_at=time.time())  # fmt: skip
    expect(rows).to_have_count(2, timeout=1000)
    # Through the API, as an ACD would: a WhatsApp message (the centre's own channel) is
    # taken and comes to Ann; a channel the config does not list is refused, naming it.
    auth = {"Authorization": f"Bearer {app.tokens['sam']}"}
    whatsapp = {"kind": "contact", "id": "next-wa", "ts": time.time(), "data": {
        "event": "offered", "queue": "email", "channel": "whatsapp", "customer_id": "AC2",
        "enqueued_at": time.time() - 3000}}  # fmt: skip
    pigeon = {**whatsapp, "id": "next-pigeon", "data": {**whatsapp["data"], "channel": "pigeon"}}
    url = f"{app.base}/api/v1/events"
    refused = requests.post(url, json=[pigeon], headers=auth, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "0.data.channel"
    assert "unknown channel 'pigeon'" in refused.json()["error"]["reason"]
    assert requests.post(url, json=[whatsapp], headers=auth, timeout=10).status_code == 200
    expect(rows).to_have_count(3, timeout=1000)
    expect(page.locator("#agent-next [data-contact=next-wa] .fb-waiting-icon")).to_have_text("W")
    page.screenshot(path=str(SHOTS / "floorboard-agent-next.png"))
