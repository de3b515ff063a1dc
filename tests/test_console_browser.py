"""The supervisor console in a real headless Chromium, against the real server and a real Redis.

A supervisor signs in through the real ``/login`` form and works the console as a person would;
agents acknowledge over the real API with their own tokens; wall screens are real pages of the
same server. Nothing is mocked: what reaches the browser is what the stream and the callbacks
send.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib import request

import pytest
import signin
from playwright.sync_api import Page, Request, expect
from signin import PASSWORD

from feeds.accounts.store import Accounts
from feeds.adapters.producer import heartbeat
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.notices.messages import Messages

pytestmark = pytest.mark.browser  # browser, page and new_page: tests/conftest.py

AGENTS = {  # id: (name, team, skills); three of them take faults calls
    "a1": ("Ann Lee", "North", ["billing", "faults"]),
    "a2": ("Bob Roy", "North", ["faults"]),
    "a3": ("Cat Dee", "South", ["faults", "chat"]),
    "a4": ("Dan Fox", "South", ["chat", "email"]),
}
DIGITAL_BOARD = '\n[[boards]]\nid = "digital"\ntitle = "Digital"\nqueues = ["chat", "email"]\n'
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> javascript:alert(3)'


@dataclass
class Centre:
    """The app under test, its Redis, and the people who use it."""

    base: str
    bus: Bus
    messages: Messages
    tokens: dict[str, str]  # agent id → API token

    def message(self, text: str) -> dict:
        return next(m for m in self.messages.list() if m["text"] == text)

    def ack(self, message_id: str, agent_id: str) -> int:
        ack = request.Request(
            f"{self.base}/api/v1/messages/{message_id}/ack",
            data=b"{}",
            method="POST",
            headers={
                "Authorization": f"Bearer {self.tokens[agent_id]}",
                "Content-Type": "application/json",
            },
        )
        with request.urlopen(ack, timeout=10) as response:
            return response.status


@pytest.fixture
def make_centre(bus: Bus, redis_server, prefix: str, start_app) -> Callable[..., Centre]:
    """Factory: agents on the bus (teams, skills), their user accounts and API tokens, a
    supervisor ``sam``, and the app; ``boards`` adds config (a restart of the app)."""

    def make(boards: str = "") -> Centre:
        accounts = Accounts(bus.client, prefix)
        accounts.add_user("sam", "supervisor", PASSWORD)
        tokens = {}
        for agent_id, (name, team, skills) in AGENTS.items():
            data = {"name": name, "state": "available", "since": time.time(), "team": team,
                    "skills": skills}  # fmt: skip
            bus.publish(make_envelope("agent", agent_id, data, ts=time.time(), source="test"))
            accounts.add_user(agent_id, "agent", PASSWORD, team=team)
            tokens[agent_id] = accounts.create_token(agent_id, "agent")
        app = start_app(redis_server.url, prefix)
        if boards:
            app.config.write_text(app.config.read_text() + boards)
            app.stop()
            app.start()
        return Centre(app.base, bus, Messages(bus, load_config(app.config)), tokens)

    return make


@pytest.fixture
def centre(make_centre: Callable[..., Centre]) -> Centre:
    return make_centre()


def sign_in(page: Page, centre: Centre, name: str, path: str = "/supervisor") -> None:
    """Open ``path``, get sent to the sign-in form, sign in, land back on ``path``."""
    signin.sign_in(page, centre.base, name, path)


def open_console(new_page: Callable[..., Page], centre: Centre) -> Page:
    console = new_page(1366, 768)
    sign_in(console, centre, "sam")
    expect(console.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    return console


def open_wall(new_page: Callable[..., Page], centre: Centre, board: str) -> Page:
    wall = new_page()
    wall.goto(f"{centre.base}/wall/{board}")
    expect(wall.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    return wall


def choose(page: Page, dropdown: str, option: str) -> None:
    page.click(dropdown)
    page.locator(".dash-dropdown-option", has_text=option).click()


def post_message(
    console: Page,
    text: str,
    *,
    queue: str | None = None,
    ack: bool = False,
    expires: str | None = None,
) -> None:
    """Fill the form as a supervisor would and post; the form clears when it is accepted."""
    console.fill("#console-msg-text", text)
    if queue:
        console.locator("#console-msg-kind").get_by_text("Queue", exact=True).click()
        expect(console.locator("#console-msg-target")).to_be_enabled()
        choose(console, "#console-msg-target", queue)
    if ack:
        console.locator("#console-msg-ack").get_by_text("Required").click()
    if expires:
        choose(console, "#console-msg-expiry", "At a time…")
        console.fill("#console-msg-expires", expires)
    console.click("#console-msg-submit")
    expect(console.locator("#console-msg-feedback")).to_have_text("Posted.")
    expect(console.locator("#console-msg-text")).to_have_value("")


def message_row(console: Page, text: str):
    return console.locator("#console-messages .fb-msg", has_text=text)


def test_a_message_for_one_queue_reaches_its_walls_only_and_expires_on_time(
    new_page, make_centre
) -> None:
    centre = make_centre(DIGITAL_BOARD)
    main = open_wall(new_page, centre, "main")  # shows faults
    digital = open_wall(new_page, centre, "digital")  # chat and email only
    console = open_console(new_page, centre)

    # The digital wall is live and shows what is meant for everyone: its silence below counts.
    everyone = "Fire drill at 11:00"
    centre.messages.post({"text": everyone}, "test")
    expect(digital.locator("#messages")).to_contain_text(everyone)

    text = "Faults: use the storm script"
    post_message(console, text, queue="Faults & Outages", ack=True, expires="+10s")
    posted = time.time()
    expect(main.locator("#messages")).to_contain_text(text, timeout=2_000)
    assert time.time() - posted < 2
    expect(message_row(console, text)).to_contain_text("Acknowledged 0 of 3")
    expect(message_row(console, text)).to_contain_text("Queue Faults & Outages")
    digital.wait_for_timeout(1_000)  # longer than main took
    expect(digital.locator("#messages")).not_to_contain_text(text)
    expect(digital.locator("#messages")).to_contain_text(everyone)

    expires_at = centre.message(text)["expires_at"]
    assert 8 <= expires_at - posted <= 11
    expect(main.locator("#messages")).not_to_contain_text(
        text, timeout=(expires_at - time.time() + 2) * 1000
    )
    gone = time.time()
    assert expires_at - 0.5 <= gone <= expires_at + 2, gone - expires_at
    expect(main.locator("#messages")).to_contain_text(everyone)
    expect(message_row(console, text).locator(".fb-status")).to_have_text("Expired")


def test_acknowledgement_counts_move_live_as_agents_acknowledge(new_page, centre: Centre):
    console = open_console(new_page, centre)
    text = "Read the new outage script before your next call"
    post_message(console, text, queue="Faults & Outages", ack=True)
    row = message_row(console, text)
    expect(row).to_contain_text("Acknowledged 0 of 3")
    expect(row.locator(".fb-acks-pending")).to_have_text("Not yet: Ann Lee, Bob Roy, Cat Dee")
    mid = centre.message(text)["id"]

    # From here on the server's callbacks are cut off: the counts can only come from the
    # stream, applied in the page. And the page is never reloaded (the marker would go).
    console.route("**/_dash-update-component", lambda route: route.abort())
    console.evaluate("window.__notReloaded = true")

    assert centre.ack(mid, "a1") == 200
    expect(row).to_contain_text("Acknowledged 1 of 3", timeout=1_000)
    expect(row.locator(".fb-acks-pending")).to_have_text("Not yet: Bob Roy, Cat Dee")
    assert centre.ack(mid, "a3") == 200
    expect(row).to_contain_text("Acknowledged 2 of 3", timeout=1_000)
    expect(row.locator(".fb-acks-pending")).to_have_text("Not yet: Bob Roy")
    assert console.evaluate("window.__notReloaded") is True


def test_only_signed_in_supervisors_get_the_console(new_page, centre: Centre) -> None:
    anonymous = new_page()
    anonymous.goto(f"{centre.base}/supervisor")
    expect(anonymous).to_have_url(f"{centre.base}/login?next=/supervisor")
    # Dash's router serves layouts from a callback whatever the address: navigate inside the
    # app, as a dcc.Link does, and the layout itself must refuse.
    anonymous.goto(f"{centre.base}/wall/main")
    expect(anonymous.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
    anonymous.evaluate(
        "window.history.pushState({}, '', '/supervisor');"
        "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'))"
    )
    expect(anonymous.get_by_text("needs a supervisor login")).to_be_visible()
    expect(anonymous.locator("#console-msg-form")).to_have_count(0)
    assert anonymous.request.get(f"{centre.base}/stream?view=console").status == 401

    agent = new_page()
    sign_in(agent, centre, "a1")
    expect(agent.get_by_text("the console is for supervisors")).to_be_visible()
    expect(agent.locator("#console-msg-form")).to_have_count(0)
    assert agent.request.get(f"{centre.base}/stream?view=console").status == 403


def test_callbacks_need_the_csrf_token_and_a_supervisor(new_page, centre: Centre) -> None:
    console = open_console(new_page, centre)
    console.fill("#console-msg-text", "Posted once, by the console itself")

    def is_post(r: Request) -> bool:
        return "_dash-update-component" in r.url and "console-msg-submit" in (r.post_data or "")

    with console.expect_request(is_post) as sent:
        console.click("#console-msg-submit")
    expect(console.locator("#console-msg-feedback")).to_have_text("Posted.")
    csrf = sent.value.headers.get("x-csrftoken")
    assert csrf, "Dash's renderer sends the session's CSRF token"
    body, url = sent.value.post_data, sent.value.url
    count = len(centre.messages.list())

    # The same POST with the session cookie but without the header, as another site could make.
    refused = console.request.post(url, data=body, headers={"Content-Type": "application/json"})
    assert refused.status == 403
    assert json.loads(refused.body())["error"]["field"] == "X-CSRFToken"

    # An agent's own session and CSRF token: the callback runs, and refuses.
    agent = new_page()
    sign_in(agent, centre, "a1")
    token = next(c["value"] for c in agent.context.cookies() if c["name"] == "_csrf_token")
    reply = agent.request.post(
        url, data=body, headers={"Content-Type": "application/json", "X-CSRFToken": token}
    )
    assert reply.status == 200 and "sign in again as a supervisor" in reply.text()

    # No session at all (so no CSRF check): still refused by the callback itself.
    reply = new_page().request.post(url, data=body, headers={"Content-Type": "application/json"})
    assert reply.status == 200 and "sign in again as a supervisor" in reply.text()
    assert len(centre.messages.list()) == count


def test_user_text_is_shown_literally_and_never_runs(new_page, centre: Centre) -> None:
    wall = open_wall(new_page, centre, "main")
    console = open_console(new_page, centre)
    post_message(console, XSS)
    row = message_row(console, "javascript:alert(3)")
    expect(row.locator(".fb-text")).to_have_text(XSS)
    expect(wall.locator("#messages")).to_contain_text(XSS)
    for page in (console, wall):
        assert page.evaluate("window.__xss") is None
        assert (
            page.locator("#console-messages img, #messages img, a[href^=javascript]").count() == 0
        )
    expect(console.locator("#console-audit")).to_contain_text("<script>window.__xss=2</script>")


def test_outages_and_delay_reasons_reach_the_wall_and_leave_it(new_page, centre: Centre):
    wall = open_wall(new_page, centre, "main")
    console = open_console(new_page, centre)

    console.click("#console-out-mode")  # opens "Declare an outage"
    console.fill("#console-out-service", "Broadband — North East")
    console.locator("#console-out-severity").get_by_text("Critical").click()
    console.fill("#console-out-wording", "Engineers are on site.")
    console.fill("#console-out-eta", "+2h")
    console.locator("#console-out-queues").get_by_text("Faults & Outages").click()
    console.click("#console-out-submit")
    expect(console.locator("#console-out-feedback")).to_have_text(
        "Declared: Broadband — North East."
    )
    # Declared: the form closes and the console shows the outage itself, said by whom.
    expect(console.locator("#console-out-form")).to_be_hidden()
    expect(console.locator("#console-out-feedback")).to_be_visible()
    row = console.locator("#console-outages .fb-outage", has_text="Broadband")
    expect(row).to_be_visible()
    expect(console.locator("#console-audit .fb-actor").first).to_have_text("sam")
    expect(console.locator("#console-audit")).not_to_contain_text("session:")
    band = wall.locator("#bands")
    expect(band).to_contain_text("Broadband — North East", timeout=2_000)
    expect(band).to_contain_text("Faults & Outages")  # the queues it hits

    row.get_by_role("button", name="Update").click()
    console.locator("#console-out-status").get_by_text("Identified").click()
    console.click("#console-out-submit")
    expect(console.locator("#console-out-feedback")).to_have_text(
        "Updated: Broadband — North East."
    )
    expect(band).to_contain_text("identified")
    row.get_by_role("button", name="Update").click()
    timeline = console.locator("#console-out-timeline")
    expect(timeline).to_contain_text("investigating")
    expect(timeline).to_contain_text("identified")
    console.click("#console-out-cancel")

    row.get_by_role("button", name="Resolve").click()
    expect(console.locator("#console-out-feedback")).to_contain_text("Resolved")
    expect(band).to_be_hidden(timeout=2_000)
    expect(row).to_have_count(0)
    expect(console.locator("#console-resolved")).to_contain_text("Broadband — North East")

    choose(console, "#console-delay-queue", "Faults & Outages")
    console.fill("#console-delay-reason", "Storm damage: high volume")
    console.fill("#console-delay-wait", "8m")
    console.click("#console-delay-submit")
    expect(console.locator("#console-delay-feedback")).to_contain_text("set on Faults")
    tile = wall.locator("#tile-faults-delay")
    expect(tile).to_have_text("Storm damage: high volume · expect 8:00", timeout=2_000)
    console.locator("#console-delays .fb-delay", has_text="Faults").get_by_role(
        "button", name="Clear"
    ).click()
    expect(tile).to_have_text("", timeout=2_000)
    expect(console.locator("#console-audit")).to_contain_text("cleared the delay reason of")


def test_a_refused_post_names_the_field_and_changes_nothing(new_page, centre: Centre):
    console = open_console(new_page, centre)
    console.fill("#console-msg-text", "Too late")
    choose(console, "#console-msg-expiry", "At a time…")
    console.fill("#console-msg-expires", "2001-01-01 09:00")
    console.click("#console-msg-submit")
    expect(console.locator("#console-msg-feedback")).to_have_text("Expires: must be in the future")
    expect(console.locator("#console-msg-form")).to_have_attribute("data-invalid", "expires_at")
    expect(console.locator("#console-msg-text")).to_have_value("Too late")  # kept to fix
    assert centre.messages.list() == []


def test_the_sources_panel_moves_a_silent_producer_to_late_and_down(new_page, centre: Centre):
    console = open_console(new_page, centre)
    expect(console.locator("#console-sources")).to_contain_text("No producer has sent")
    now = time.time()
    centre.bus.publish_many([
        heartbeat("simulator", now, 1.0, 31.5),  # late 2 s after its last beat, down after 5
        heartbeat("asterisk", now, 5.0, 0.0, connected=True),
        heartbeat("ami-b", now, 5.0, 0.0, connected=False),
        heartbeat("aggregate", now, 5.0, 0.2, follows=["simulator"]),
    ])  # fmt: skip
    sim = console.locator("#source-simulator")
    expect(sim).to_contain_text("31.5 events/s")
    expect(console.locator("#source-aggregate")).to_contain_text("12 events/min")  # not 0.2/s
    expect(console.locator("#source-asterisk")).to_contain_text("no events")
    expect(console.locator("#source-aggregate")).to_contain_text("Aggregates: simulator")
    cut = console.locator("#source-ami-b")
    expect(cut.locator(".fb-status")).to_have_text("down")
    expect(cut).to_contain_text("ami-b cut off from its ACD")
    expect(console.locator("#console-sources .fb-source").first).to_have_id("source-ami-b")
    expect(sim.locator(".fb-status")).to_have_text("late", timeout=5000)  # with nothing sent
    expect(sim).to_contain_text("simulator silent for")
    expect(sim.locator(".fb-status")).to_have_text("down", timeout=6000)
    expect(console.locator("#source-asterisk .fb-status")).to_have_text("live")
    centre.bus.publish(heartbeat("simulator", time.time(), 1.0, 120.0))
    expect(sim.locator(".fb-status")).to_have_text("live")
    expect(sim).to_contain_text("120 events/s")
