"""The wall screen in a real headless Chromium, against the real server and a real Redis."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from feeds.adapters.producer import heartbeat
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope

pytestmark = pytest.mark.browser  # browser and page: tests/conftest.py


def q(qid: str, **data: object):
    return make_envelope("queue", qid, data, ts=time.time(), source="test")


def test_wall_shows_published_values_and_ticks_longest_wait(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    page.goto(f"{app.base}/wall/main")
    waiting = page.locator("#tile-billing-waiting")
    expect(waiting).to_have_text("—", timeout=15_000)  # connected, no data yet
    bus.publish(q("billing", waiting=7, longest_wait_since=time.time() - 65, service_level=0.91))
    expect(waiting).to_have_text("7")
    expect(page.locator("#tile-billing-sl")).to_contain_text("91%")
    longest = page.locator("#tile-billing-longest")
    expect(longest).to_have_text(re.compile(r"^1:0[5-7]$"))
    first = longest.inner_text()
    page.wait_for_timeout(2100)
    assert longest.inner_text() != first  # ticks in the browser with no new data
    expect(page.locator("#tile-billing")).to_have_class(re.compile(r"\bstatus-warn\b"))
    expect(page.locator("#conn-band")).to_be_hidden()
    # Hot values go straight to the DOM: no set_props (no React render) for a new number.
    page.evaluate("""() => {
        const dc = window.dash_clientside, real = dc.set_props;
        window.__props = [];
        dc.set_props = (id, props) => { window.__props.push(id); return real(id, props); };
    }""")
    bus.publish(q("billing", waiting=8, longest_wait_since=time.time() - 65, service_level=0.91))
    expect(waiting).to_have_text("8")
    page.wait_for_timeout(1100)  # and a second's tick
    assert not {"tile-billing-waiting", "tile-billing-longest"} & set(page.evaluate("__props"))


def test_a_tile_whose_feed_goes_quiet_is_shown_stale(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix, stale_after=2)
    page.goto(f"{app.base}/wall/main")
    expect(page.locator("#tile-faults-waiting")).to_have_text("—", timeout=15_000)
    bus.publish(q("faults", waiting=3))
    expect(page.locator("#tile-faults-waiting")).to_have_text("3")
    expect(page.locator("#tile-faults")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#tile-faults")).to_have_class(re.compile(r"\bstale\b"), timeout=6000)
    expect(page.locator("#tile-faults-age")).to_contain_text("no data")
    bus.publish(q("faults", waiting=4))
    expect(page.locator("#tile-faults")).not_to_have_class(re.compile(r"\bstale\b"))


def test_a_tile_fed_by_a_silent_source_greys_and_names_it(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    page.goto(f"{app.base}/wall/main")
    tile, age = page.locator("#tile-billing"), page.locator("#tile-billing-age")
    expect(page.locator("#tile-billing-waiting")).to_have_text("—", timeout=15_000)
    bus.publish(heartbeat("pbx", time.time(), 1.0, 4.0))  # late 2 s after its last beat
    bus.publish(make_envelope("queue", "billing", {"waiting": 5}, ts=time.time(), source="pbx"))
    expect(page.locator("#tile-billing-waiting")).to_have_text("5")
    expect(age).to_contain_text("updated")
    expect(tile).to_have_class(re.compile(r"\bstale\b"), timeout=6000)  # nothing sent
    expect(age).to_have_text(re.compile(r"^pbx silent for \d+ s$"))
    expect(page.locator("#tile-billing-waiting")).to_have_text("5")  # last value kept, greyed
    bus.publish(heartbeat("pbx", time.time(), 1.0, 4.0))
    expect(tile).not_to_have_class(re.compile(r"\bstale\b"))
    expect(age).to_contain_text("updated")
    bus.publish(heartbeat("pbx", time.time(), 5.0, 0.0, connected=False))
    expect(age).to_have_text("pbx cut off from its ACD")
    expect(tile).to_have_class(re.compile(r"\bstale\b"))


def test_connection_band_when_redis_stops_and_fresh_values_after_restart(
    page: Page, own_redis, prefix, start_app
) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    bus.publish(q("billing", waiting=5))
    app = start_app(own_redis.url, prefix)
    page.goto(f"{app.base}/wall/main")
    expect(page.locator("#tile-billing-waiting")).to_have_text("5", timeout=15_000)
    band = page.locator("#conn-band")
    expect(band).to_be_hidden()
    own_redis.stop()
    expect(band).to_be_visible(timeout=15_000)
    expect(band).to_contain_text("last values")
    expect(page.locator("#tile-billing-waiting")).to_have_text("5")  # last value kept
    own_redis.start()
    bus.publish(q("billing", waiting=12))
    expect(page.locator("#tile-billing-waiting")).to_have_text("12", timeout=20_000)
    expect(band).to_be_hidden()


def test_message_text_is_shown_literally_and_never_runs(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    page.goto(f"{app.base}/wall/main")
    expect(page.locator("#tile-billing-waiting")).to_have_text("—", timeout=15_000)
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    data = {"text": payload, "priority": "urgent", "expires_at": time.time() + 600}
    bus.publish(make_envelope("message", "m-xss", data, ts=time.time()))
    expect(page.locator("#bands")).to_contain_text(payload)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#bands img, #bands script, #messages img").count() == 0


def test_an_urgent_message_has_its_own_band_and_the_tiles_stay_readable(
    page: Page, bus: Bus, redis_server, prefix, start_app
) -> None:
    app = start_app(redis_server.url, prefix)
    page.goto(f"{app.base}/wall/main")
    expect(page.locator("#tile-billing-waiting")).to_have_text("—", timeout=15_000)
    now = time.time()
    for mid, priority, text in [
        ("m-info", "info", "Team huddle at 15:30"),
        ("m-urgent", "urgent", "Fire drill at 16:00\nLeave by the east stairs"),
    ]:
        data = {"text": text, "priority": priority, "expires_at": now + 600}
        bus.publish(make_envelope("message", mid, data, ts=now))
    band = page.locator("#bands")
    expect(band).to_be_visible()
    # One line in the band: its line breaks read as separators.
    expect(band).to_contain_text("Fire drill at 16:00 · Leave by the east stairs")
    expect(page.locator("#messages")).to_contain_text("Team huddle")
    expect(page.locator("#messages")).not_to_contain_text("Fire drill")
    tile = page.locator("#tile-billing").bounding_box()
    waiting = page.locator("#tile-billing-waiting").bounding_box()
    assert tile["height"] > 300 and waiting["height"] > 60  # still big at 1920x1080
    band_box = band.bounding_box()
    assert band_box["y"] + band_box["height"] <= tile["y"]  # above the tiles, never over them


@pytest.mark.parametrize("path", ["/wall/nope", "/wall?rotate=main,nope"])
def test_the_app_refuses_an_unknown_board_politely(
    page: Page, redis_server, prefix, start_app, path
) -> None:
    app = start_app(redis_server.url, prefix)
    page.goto(f"{app.base}{path}")
    expect(page.locator("body")).to_contain_text("Unknown board 'nope'", timeout=15_000)
    expect(page.get_by_role("link", name="Contact floor (main)")).to_be_visible()


def test_a_rotating_board_hands_over_to_the_next(page: Page, redis_server, prefix, start_app):
    app = start_app(redis_server.url, prefix)
    text = app.config.read_text().replace("rotate_seconds = 0 ", "rotate_seconds = 2 ")
    app.config.write_text(text)
    app.stop()
    app.start()
    page.goto(f"{app.base}/wall/main")
    expect(page.locator("#tile-chat-waiting")).to_be_visible(timeout=15_000)
    page.wait_for_url(f"{app.base}/wall/voice", timeout=10_000)
    expect(page.locator("#tile-billing-waiting")).to_be_visible()
    expect(page.locator("#tile-chat-waiting")).to_have_count(0)  # voice has no chat tile
