"""Read from ten metres: every wall board measured in a real Chromium, as rendered.

At 1366x768, 1920x1080 and 3840x2160, with a busy floor and the bands full (two urgent
messages and two outages, so they take turns): nothing scrolls or spills out of its tile; the
smallest text is at least 2.2 % of the screen's height and the main numbers 8 %; the tiles
keep at least 60 % of the screen; every text meets WCAG AA contrast against what is behind it
(4.5:1; status icons, which are graphics, 3:1); in the dark theme and the light one. Each case
prints its figures (``pytest -s``).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope

pytestmark = pytest.mark.browser

SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]
BOARDS = ["main", "north", "day", "status", "floor"]
MIN_TEXT, MIN_NUMBER, MIN_TILES = 0.022, 0.08, 0.60

# Every visible text on the wall (text nodes, and the text of ::before / ::after), with its
# size, its colour and what is behind it (the nearest background, or a gradient's colours).
MEASURE = """
() => {
  const H = innerHeight, W = innerWidth, root = document.getElementById("wall");
  const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  function behind(el) {
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage.includes("gradient")) {
        return (cs.backgroundImage.match(/rgba?\\([^)]*\\)/g) || []).map(rgb);
      }
      const c = rgb(cs.backgroundColor);
      if (c.length === 3 || c[3] > 0) return [c];
    }
    return [rgb(getComputedStyle(document.body).backgroundColor)];
  }
  function lum(c) {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  function ratio(a, b) {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function shown(el) {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== "hidden" && cs.opacity !== "0";
  }
  const out = [];
  function add(el, text, cs, icon) {
    const fg = rgb(cs.color);
    const worst = Math.min(...behind(el).map(bg => ratio(fg, bg)));
    out.push({text: text.slice(0, 40), size: parseFloat(cs.fontSize), ratio: worst, icon,
              cls: String(el.className).slice(0, 60)});
  }
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, el = node.parentElement;
    const text = node.textContent.trim();
    if (text && shown(el)) add(el, text, getComputedStyle(el), false);
  }
  for (const el of root.querySelectorAll("*")) {
    if (!shown(el)) continue;
    for (const p of ["::before", "::after"]) {
      const cs = getComputedStyle(el, p);
      const text = cs.content.replace(/^"|"$/g, "").trim();
      if (cs.content !== "none" && cs.content !== "normal" && text && cs.display !== "none") {
        add(el, text, cs, !/[A-Za-z]{2}/.test(text));
      }
    }
  }
  const size = sel => [...root.querySelectorAll(sel)].filter(shown)
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  const spill = [...root.querySelectorAll(".tile .value, .tile-title, .cell, .staffing-row")]
    .filter(shown).filter(e => {
      const t = e.closest(".tile, .agents").getBoundingClientRect(), r = e.getBoundingClientRect();
      return r.right > t.right + 1 || r.left < t.left - 1 || r.bottom > t.bottom + 1;
    }).map(e => e.id || e.className).concat([...root.querySelectorAll(".tile-delay")]
      .filter(e => shown(e) && e.scrollHeight > e.clientHeight + 1).map(e => "cut delay"));
  const rows = root.querySelector(".board-rows").getBoundingClientRect().height;
  const main = ".hero .value, .metric-sl .value, .staffing-hero .value, .big-time";
  const doc = document.documentElement, body = document.body;
  return {H, W, texts: out, numbers: size(main), spill, rows: rows / H,
          scroll: [doc.scrollWidth, doc.scrollHeight, body.scrollWidth, body.scrollHeight]};
}
"""


def seed(bus: Bus) -> None:
    """A busy floor with everything up at once."""
    now = time.time()
    stats = {
        "billing": dict(waiting=12, longest_wait_since=now - 3905, service_level=0.61,
                        asa=95, abandon_rate=0.143, offered=1294, answered=1187),
        "faults": dict(waiting=7, longest_wait_since=now - 130, service_level=0.78, asa=33,
                       abandon_rate=0.071, offered=847, answered=790),
        "moving": dict(waiting=0, service_level=1.0, asa=7, abandon_rate=0.0, offered=141,
                       answered=141),
        "chat": dict(waiting=3, longest_wait_since=now - 65, service_level=0.905, asa=41,
                     abandon_rate=0.052, offered=98, answered=91),
        "email": dict(waiting=44, longest_wait_since=now - 9000, service_level=0.9, asa=5400,
                      abandon_rate=0.0, offered=62, answered=20),
    }  # fmt: skip
    staffing = {"billing": (14, 9, 5, 0.42), "faults": (8, 9, -1, 0.86), "moving": (3, 3, 0, 0.8)}
    for qid, (required, working, gap, sl) in staffing.items():
        stats[qid]["staffing"] = {"model": "erlang_a", "window": "30m", "required": required,
                                  "agents": working, "gap": gap, "projected_sl": sl}  # fmt: skip
    for qid, data in stats.items():
        bus.publish(make_envelope("queue", qid, data, ts=now, source="test"))
    delays = {
        "billing": "System slow after the storm: long calls, expect more repeat callers",
        "faults": "Power cut",
    }
    for qid, reason in delays.items():
        data = {"queue": qid, "reason": reason, "expected_wait": 480}
        bus.publish(make_envelope("delay", qid, data, ts=now, source="test"))
    states = ["available", "on_contact", "on_contact", "wrap", "away", "on_contact"]
    for i in range(24):
        data = {"name": f"Agent Longname{i:02d}", "state": states[i % 6], "since": now - 60 * i,
                "team": ("North", "South")[i % 2], "skills": ["billing", "faults", "chat"],
                "reason": "lunch" if states[i % 6] == "away" else None}  # fmt: skip
        bus.publish(make_envelope("agent", f"a{i:02d}", data, ts=now, source="test"))
    for i, (queue, channel) in enumerate([("billing", "voice"), ("email", "email")] * 10):
        data = {"event": "offered", "queue": queue, "channel": channel, "customer_id": f"c{i}",
                "enqueued_at": now - 30 * i, "tags": ["vip"] if i == 3 else []}  # fmt: skip
        bus.publish(make_envelope("contact", f"w{i:02d}", data, ts=now, source="test"))
    for oid, severity, queues in [("o1", "critical", ["faults", "billing"]), ("o2", "major", [])]:
        data = {
            "service": f"Broadband — North East {oid}",
            "severity": severity,
            "status": "identified",
            "queues": queues,
            "started_at": now - 600,
            "eta": now + 7200,
            "customer_wording": "We know about it; engineers are on site.",
        }
        bus.publish(make_envelope("outage", oid, data, ts=now, source="test"))
    messages = [("m1", "urgent", "Fire drill at 16:00\nLeave by the east stairs"),
                ("m2", "urgent", "Do not transfer billing calls to the faults line"),
                ("m3", "important", "Storm tonight: expect outage calls after 18:00 " * 3),
                ("m4", "info", "Team huddle at 15:30 in room 2")]  # fmt: skip
    for mid, priority, text in messages:
        data = {"text": text, "priority": priority, "expires_at": now + 3600}
        bus.publish(make_envelope("message", mid, data, ts=now, source="test"))


@pytest.fixture(scope="module")
def wall_app(redis_server, tmp_path_factory):
    """One app for the module, on a busy floor (the module's own prefix and config)."""
    from conftest import AppServer, write_config

    prefix = f"read{int(time.time() * 1000) % 10**8}:"
    bus = Bus.from_url(redis_server.url, prefix)
    seed(bus)
    directory = tmp_path_factory.mktemp("readable")
    app = AppServer(redis_server.url, write_config(directory, prefix), directory / "app.log")
    yield app.start()
    app.stop()
    bus.client.close()


def measured(page: Page, url: str) -> dict:
    page.goto(url)
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=20_000)
    expect(page.locator("#bands .band").first).to_be_visible()
    if page.locator("#staffing").count():  # issue 10's figures, through the bus's own schema
        expect(page.locator("#staffing-short")).to_have_text("5")
    size = round(page.viewport_size["height"] * 0.025)  # a chart's type, sized to the screen
    page.wait_for_function(f"""() => [...document.querySelectorAll('.chart-graph .js-plotly-plot')]
        .every(g => g._fullLayout && g._fullLayout.font.size === {size})""")  # fmt: skip
    page.wait_for_timeout(1500)  # the ticker and the bands measure themselves once drawn
    return page.evaluate(MEASURE)


def check(m: dict, label: str) -> None:
    texts = [t for t in m["texts"] if not t["icon"]]
    icons = [t for t in m["texts"] if t["icon"]]
    smallest = min(texts, key=lambda t: t["size"])
    dimmest = min(texts, key=lambda t: t["ratio"])
    print(
        f"\n{label}: smallest text {smallest['size']:.1f}px = {smallest['size'] / m['H']:.2%} "
        f"({smallest['text']!r}); main numbers >= {min(m['numbers'] or [0]) / m['H']:.2%}; tiles "
        f"{m['rows']:.0%} of the height; least contrast {dimmest['ratio']:.2f}:1 "
        f"({dimmest['text']!r}, {dimmest['cls']}); icons >= "
        f"{min(i['ratio'] for i in icons):.2f}:1; {len(texts)} texts"
    )
    assert m["scroll"] == [m["W"], m["H"], m["W"], m["H"]], "the page scrolls"
    assert not m["spill"], f"out of its tile: {m['spill']}"
    assert smallest["size"] >= MIN_TEXT * m["H"] - 0.5, smallest
    # (a board of charts has no big numbers: its charts' type is text, measured above)
    assert min(m["numbers"], default=MIN_NUMBER * m["H"]) >= MIN_NUMBER * m["H"] - 0.5
    assert m["rows"] >= MIN_TILES
    assert dimmest["ratio"] >= 4.5, dimmest
    assert min(i["ratio"] for i in icons) >= 3.0, min(icons, key=lambda i: i["ratio"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("board", BOARDS)
def test_every_board_reads_from_across_the_room(new_page, wall_app, board, size) -> None:
    page = new_page(*size)
    check(measured(page, f"{wall_app.base}/wall/{board}"), f"{board} {size[0]}x{size[1]}")


@pytest.mark.parametrize("board", ["main", "north"])
def test_the_light_theme_for_bright_rooms(new_page, wall_app, board) -> None:
    page = new_page(1920, 1080)
    m = measured(page, f"{wall_app.base}/wall/{board}?theme=light")
    assert page.locator("#wall.theme-light").count() == 1
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(233, 237, 241)"  # light, so the room's glare does not wash it out
    check(m, f"{board} light 1920x1080")


def test_bands_take_turns_two_lines_at_a_time_every_page_readable(new_page, wall_app) -> None:
    """Four lines up (two urgent messages, two outages): two at a time, with a pager, each
    page for [wall] band_seconds; every page's text measured."""
    page = new_page(1920, 1080)
    m = measured(page, f"{wall_app.base}/wall/main")
    pager, lines = page.locator("#bands .band-pager"), page.locator("#bands .band")
    seen = {}
    deadline = time.monotonic() + 20
    while len(seen) < 2 and time.monotonic() < deadline:
        expect(lines).to_have_count(2)
        which = pager.inner_text()
        if which not in seen:
            seen[which] = (time.monotonic(), lines.all_inner_texts(), page.evaluate(MEASURE))
        page.wait_for_timeout(250)
    assert sorted(seen) == ["1/2", "2/2"]
    assert abs(seen["2/2"][0] - seen["1/2"][0]) < 8.5  # [wall] band_seconds = 8 a page
    shown = [text for _, texts, _ in seen.values() for text in texts]
    assert sum("URGENT" in t for t in shown) == 2 and sum("North East o" in t for t in shown) == 2
    for which, (_, _, measure) in seen.items():
        check(measure, f"bands page {which}")
    assert m["rows"] >= MIN_TILES


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_board_gone_quiet_is_still_readable(
    new_page, bus, redis_server, prefix, start_app, theme
):
    """Every tile past its limit (greyed, hatched, its age in words): as readable as live."""
    seed(bus)
    app = start_app(redis_server.url, prefix, stale_after=2)
    page = new_page(1920, 1080)
    page.goto(f"{app.base}/wall/north?theme={theme}")
    expect(page.locator(".queue-tile.stale")).to_have_count(3, timeout=20_000)
    expect(page.locator("#tile-billing-age")).to_contain_text("no data for")
    page.wait_for_timeout(1000)
    check(page.evaluate(MEASURE), f"north {theme}, gone quiet")
