"""The supervisor's floor under load (issue 13): 500 agents, 50 state changes a second.

Starts an embedded Redis and ``floorboard serve`` (one gevent worker), puts N agents on the
floor in 12 teams, signs a supervisor in through the real form in headless Chromium and opens
``/supervisor/floor``: past ``collapse_at`` agents the teams show counts, so it clicks every
team open (the page keeps as many open as hold ``collapse_at`` cells). Then it publishes
agent state changes at R/s, each to another agent, and reports:

1. event → DOM: from publishing a change until that agent's open cell in Chromium carries its
   new state (a MutationObserver on the cells' classes), p50 / p95 / max, how many arrived;
   and event → frame: until the animation frame that paints it begins (its callbacks run just
   before the paint), what a person could see at the earliest;
2. server CPU per console stream: the app server's CPU (cores) while the one browser watches,
   then again with S more floor streams open (raw SSE readers), and the difference per stream.

A benchmark, not a test: it reports, it does not assert.

    python scripts/bench_floor.py [--agents 500] [--rate 50] [--seconds 10] [--streams 10]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_common import CHROMIUM, CHROMIUM_ARGS, Meter, Server, pct

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope

PASSWORD = "bench floor password"
STATES = ("on_contact", "wrap", "away", "available")  # each pass moves every agent on
# Each change to a cell's class is noted with when it happened in the DOM and when the frame
# that paints it began (the next animation frame's callbacks run just before its paint).
OBSERVE_JS = """() => {
    window.__changes = [];
    const grid = document.getElementById("floor-grid");
    new MutationObserver(records => {
        const at = performance.timeOrigin + performance.now();
        const seen = [];
        for (const r of records) {
            const agent = r.target.dataset && r.target.dataset.agent;
            if (agent) seen.push([agent, r.target.className, at, null]);
        }
        window.__changes.push(...seen);
        requestAnimationFrame(() => {
            const frame = performance.timeOrigin + performance.now();
            for (const c of seen) c[3] = frame;
        });
    }).observe(grid, {attributes: true, attributeFilter: ["class"], subtree: true});
}"""


def agent(i: int, state: str) -> dict:
    return {"name": f"Agent {i:03d}", "state": state, "since": time.time(),
            "team": f"Team {i % 12:02d}", "skills": ["billing"]}  # fmt: skip


def changes(bus: Bus, agents: int, rate: float, seconds: float, first: int) -> list[tuple]:
    """Publish state changes at ``rate``/s, round robin over the agents; [(id, state, at)]."""
    sent = []
    start = time.monotonic()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        i = (first + n) % agents
        state = STATES[((first + n) // agents) % len(STATES)]
        at = time.time()
        bus.publish(make_envelope("agent", f"a{i:03d}", agent(i, state), ts=at, source="bench"))
        sent.append((f"a{i:03d}", state, at))
    return sent


def reader(port: int, token: str, stop: threading.Event) -> None:
    """One raw floor stream, read and dropped: a console that shows nothing."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/stream?view=floor", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    with contextlib.suppress(http.client.HTTPException, OSError):  # the server stopped first
        while not stop.is_set() and response.read1(65536):
            pass
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--streams", type=int, default=10)
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"floor bench skipped: no Chromium at {CHROMIUM}")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        assert redis.process is not None
        env = {**os.environ, "REDIS_URL": redis.url, "FLOORBOARD_LOG_LEVEL": "warning",
               "FLOORBOARD_STATE_DIR": str(Path(tmp) / "state")}  # fmt: skip
        argv = [sys.executable, "-m", "dashboard.cli", "serve", "--port", "{port}"]
        argv += ["--workers", "1"]  # one hub: the CPU per stream is that worker's
        server = Server("floorboard serve", argv, env, "/healthz", signal.SIGINT)
        bus = Bus.from_url(redis.url)
        accounts = Accounts(bus.client, bus.prefix)
        accounts.add_user("bench-super", "supervisor", PASSWORD)
        token = accounts.create_token("bench-streams", "supervisor")
        for i in range(args.agents):
            bus.publish(make_envelope("agent", f"a{i:03d}", agent(i, "available"),
                                      ts=time.time(), source="bench"))  # fmt: skip
        server.start()
        stop = threading.Event()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                base = f"http://127.0.0.1:{server.port}"
                page.goto(f"{base}/supervisor/floor")
                page.fill("#username", "bench-super")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("#conn-indicator.conn-live", timeout=20_000)
                page.wait_for_selector(".floor-team-head", timeout=20_000)
                for team in range(12):  # open every team: every agent is a cell
                    page.evaluate(f"document.querySelector('[data-team=\"Team {team:02d}\"]')"
                                  ".click()")  # fmt: skip
                page.wait_for_timeout(1500)
                cells = set(page.evaluate(
                    "[...document.querySelectorAll('.floor-cell')].map(e => e.dataset.agent)"
                ))  # fmt: skip
                page.evaluate(OBSERVE_JS)
                with Meter(server, redis.process.pid) as one:
                    sent = changes(bus, args.agents, args.rate, args.seconds, 0)
                page.wait_for_timeout(1500)
                seen = page.evaluate("window.__changes")
                readers = [threading.Thread(target=reader, args=(server.port, token, stop),
                                            daemon=True) for _ in range(args.streams)]  # fmt: skip
                for t in readers:
                    t.start()
                time.sleep(1.0)
                with Meter(server, redis.process.pid) as many:
                    changes(bus, args.agents, args.rate, args.seconds, len(sent))
                browser.close()
        finally:
            stop.set()
            server.stop()
    first: dict[tuple[str, str], tuple[float, float]] = {}
    for agent_id, cls, at, frame in seen:
        for state in STATES:
            if f"state-{state} " in f"{cls} ":
                first.setdefault((agent_id, state), (at / 1000, (frame or at) / 1000))
    watched = [(a, s, t) for a, s, t in sent if a in cells]
    lat = [(first[(a, s)][0] - t) * 1000 for a, s, t in watched if (a, s) in first]
    painted = [(first[(a, s)][1] - t) * 1000 for a, s, t in watched if (a, s) in first]
    cores_one, cores_many = one.cpu / one.wall, many.cpu / many.wall
    per = (cores_many - cores_one) / args.streams if args.streams else float("nan")
    print(f"floor: {args.agents} agents in 12 teams, collapsed, every team clicked open ("
          f"{len(cells)} cells stay open: at most [floor] collapse_at), 1920x1080, "
          f"{args.rate:g} state changes/s to all agents for {args.seconds:g} s; "
          f"floorboard serve, 1 gevent worker; {os.cpu_count()} cores shared with Chromium "
          "and this client")  # fmt: skip
    print(
        f"1. event → DOM (an open cell shows the new state): {len(lat)} of {len(watched)} "
        "changes to open cells seen; "
        f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, max {max(lat, default=0):.1f} ms; "
        f"event → frame p50 {pct(painted, 50):.1f} ms, p95 {pct(painted, 95):.1f} ms"
    )
    print(f"2. server CPU: {cores_one:.3f} cores with 1 floor stream, {cores_many:.3f} with "
          f"{args.streams + 1}: {per * 1000:.1f} ms of CPU per second per further stream "
          f"(Redis {many.redis / many.wall:.3f} cores)")  # fmt: skip
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average now {load}: other work on this machine skews every figure)")


if __name__ == "__main__":
    main()
