"""Benchmark of the intraday history (issue 11): the pandas roll-up and the live chart.

1. roll-up: a 100,000-contact day (five queues, the simulator's intraday shape: offered, then
   answered and completed or abandoned, about 280,000 events) as the contacts stream holds it,
   rolled up into intervals with pandas (:mod:`feeds.intraday.frame`: parse, legs, intervals)
   the way ``floorboard history rebuild`` and the check in tests/test_intervals.py do it;
   target under 1 s for the legs and intervals; then the whole path a user waits for, the
   same day written to a stream in Redis, read back, parsed and rolled up;
2. event -> chart DOM: its own embedded Redis, ``floorboard serve`` and a producer in this
   process; a wall with chart tiles in headless Chromium; contacts offered one at a time at
   ``--rate``/s, each timed from the producer's publish until the chart's running interval
   shows it (the figure patched in place); p50/p95/max; target p95 under 100 ms.

A benchmark, not a test: it reports, it does not assert. Say the machine's load with it.

    python scripts/bench_history.py [--contacts 100000] [--events 60] [--rate 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import CHROMIUM, CHROMIUM_ARGS, Server, pct

from feeds.adapters.producer import Producer
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.intraday import frame
from feeds.intraday.grid import Day
from feeds.intraday.store import stream_range
from feeds.simulator.model import profile

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ["billing", "faults", "moving", "chat", "email"]


def synthetic_day(config, contacts: int, seed: int = 1) -> tuple[list[tuple[float, str]], float]:
    """A day's contact stream entries ``(written, envelope JSON)``, arrivals by the intraday
    profile; returns them and the day's end."""
    rng = random.Random(seed)
    day = Day.of(time.time() - 86400, config.tz, config.history.step)
    span = day.end - day.start
    out: list[tuple[float, str]] = []
    n = 0
    while n < contacts:
        t = day.start + rng.random() * span
        if rng.random() > profile((t - day.start) / 3600):
            continue  # thinned to the day's shape
        queue = rng.choice(QUEUES)
        base = {"queue": queue, "channel": config.queue(queue).channel,
                "customer_id": f"k{rng.randrange(50_000)}", "enqueued_at": t}  # fmt: skip
        wait = rng.expovariate(1 / 25)
        cid = f"c{n}"
        events = [("offered", t, {})]
        if rng.random() < 0.06:
            events.append(("abandoned", t + wait, {"ended_at": t + wait}))
        else:
            talk = rng.expovariate(1 / 280)
            agent = {"agent_id": f"a{rng.randrange(200)}", "answered_at": t + wait}
            events.append(("answered", t + wait, agent))
            events.append(("completed", t + wait + talk + 40, {
                **agent, "ended_at": t + wait + talk + 40, "talk": talk, "wrap": 40}))  # fmt: skip
        for event, at, extra in events:
            env = make_envelope("contact", cid, {**base, "event": event, **extra}, ts=at,
                                source="bench")  # fmt: skip
            out.append((at + 0.05, env.model_dump_json()))
        n += 1
    out.sort()
    return out, day.end


def stored(client: Any, key: str, entries: list[tuple[float, str]]) -> None:
    """The entries written to a stream as the bus writes them (ids: their write times)."""
    pipe, last, n = client.pipeline(transaction=False), -1, 0
    for k, (written, raw) in enumerate(entries):
        ms = int(written * 1000)
        n = n + 1 if ms == last else 0
        last = ms
        pipe.xadd(key, {"e": raw}, id=f"{ms}-{n}")
        if k % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def rollup(contacts: int) -> None:
    """The roll-up from entries in memory (parse, legs, intervals), then the whole path a
    user waits for (``floorboard history rebuild``, ``history export --contacts``): the day
    read from the contacts stream in Redis too. Wall-clock seconds, and this process's CPU
    seconds in brackets (on a shared machine the wall clock follows the load)."""
    config = load_config(ROOT / "floorboard.toml")
    entries, end = synthetic_day(config, contacts)
    t = [(time.perf_counter(), time.process_time())]
    events = frame.events(entries)
    t.append((time.perf_counter(), time.process_time()))
    legs = frame.legs(events, config)
    t.append((time.perf_counter(), time.process_time()))
    table = frame.intervals(legs, config, end)
    t.append((time.perf_counter(), time.process_time()))

    def took(a: int, b: int) -> str:
        return f"{t[b][0] - t[a][0]:5.2f} s ({t[b][1] - t[a][1]:.2f})"

    print(f"\nroll-up: {contacts:,} contacts, {len(entries):,} events -> {len(table)} intervals")
    print(f"  parse JSON {took(0, 1)}   legs {took(1, 2)}   intervals {took(2, 3)}   "
          f"legs + intervals {took(1, 3)}   total {took(0, 3)}")  # fmt: skip
    assert int(table["offered"].sum()) == contacts  # every contact counted once
    del events, legs
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        bus = Bus.from_url(redis.url)
        stored(bus.client, bus.contacts_key, entries)
        day = Day.of(end - 1, config.tz, config.history.step)
        t = [(time.perf_counter(), time.process_time())]
        read = list(stream_range(bus.client, bus.contacts_key, day.start - 3600, day.end + 3600))
        t.append((time.perf_counter(), time.process_time()))
        table = frame.intervals(frame.legs(frame.events(read), config), config, end)
        t.append((time.perf_counter(), time.process_time()))
    assert len(read) == len(entries) and int(table["offered"].sum()) == contacts
    print(f"  from Redis: read the stream {took(0, 1)}   parse, legs and intervals "
          f"{took(1, 2)}   total {took(0, 2)}")  # fmt: skip


WATCH_JS = """() => {
    window.__shown = [];
    const sel = '#sl_chart-graph .js-plotly-plot';
    let last = null;
    const tick = () => {
        const g = document.querySelector(sel);
        const y = g && g.data ? (g.data[0].y || []) : [];
        const v = y.length ? y[y.length - 1] : null;
        if (v !== last) { last = v; window.__shown.push([v, Date.now()]); }
        requestAnimationFrame(tick);
    };
    tick();
}"""


def chart_latency(events: int, rate: float) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        env = {**os.environ, "REDIS_URL": redis.url, "FLOORBOARD_LOG_LEVEL": "warning",
               "FLOORBOARD_STATE_DIR": str(Path(tmp) / "state")}  # fmt: skip
        app = Server("floorboard serve", [sys.executable, "-m", "dashboard.cli", "serve",
                     "--port", "{port}"], env, "/healthz", signal.SIGINT)  # fmt: skip
        app.start()
        bus = Bus.from_url(redis.url)
        config = load_config(ROOT / "floorboard.toml")
        producer = Producer(bus, config, "bench", queues=["billing"], stats_every=0.0)

        def offer(n: int) -> float:
            now = time.time()
            data = {"event": "offered", "queue": "billing", "channel": "voice",
                    "customer_id": f"k{n}", "enqueued_at": now}  # fmt: skip
            producer.add([make_envelope("contact", f"b{n}", data, ts=now, source="bench")],
                         now=now)  # fmt: skip
            producer.flush(final=True)
            return now

        try:
            offer(0)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"http://127.0.0.1:{app.port}/wall/day")
                page.wait_for_function("() => { const g = document.querySelector("
                                       "'#sl_chart-graph .js-plotly-plot'); return g && g.data"
                                       " && (g.data[0].y || []).length > 0; }",
                                       timeout=30_000)  # fmt: skip
                page.evaluate(WATCH_JS)
                sent: dict[int, float] = {}
                for n in range(1, events + 1):
                    sent[n + 1] = offer(n)  # the running interval's count after it
                    time.sleep(1 / rate)
                page.wait_for_timeout(1000)
                shown = {v: at / 1000 for v, at in page.evaluate("window.__shown")}
                replaced = page.evaluate("window.floorboardCharts")
                browser.close()
        finally:
            app.stop()
    lat = [(shown[v] - t) * 1000 for v, t in sent.items() if v in shown]
    print(
        f"\nevent -> chart DOM (Chromium, figure patched): {len(lat)}/{len(sent)} seen  "
        f"p50 {pct(lat, 50):.1f} ms  p95 {pct(lat, 95):.1f} ms  max {max(lat):.1f} ms"
    )
    print(f"  figure operations: {json.dumps(replaced)} (relayout: the day's axis, once per chart)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=60)
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    rollup(args.contacts)
    if not args.no_browser:
        chart_latency(args.events, args.rate)
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
