"""What the wall's live charts add to the push path's server CPU (issue 11: under 10 % at 1,000
screens).

Two boards identical but for one row of chart tiles (``sl_chart staffing_chart``), written to a
bench-only config; ``floorboard serve`` (one worker) started afresh for each round, so a round
pays only for its own board's view (the hub keeps a view once a screen asked for it). Each
round: N SSE clients of one board, then billing ``queue`` updates at R/s that carry what moves
the charts, as the aggregator's do (the running interval and the one before, ``intervals``),
the same updates for both boards. Rounds alternate without/with (A/B/A/B...), so load from other
work on the machine falls on both alike; the figure is the median of each side.

Printed per round and as medians: server CPU per second (cores) and per 1,000 billing-tile
deliveries, bytes per delivery, and how many update events carried the chart items (proof that
the "with" screens are sent their charts); then charts ÷ without − 1. Load average with it.

    python scripts/bench.py --only chart-cpu [--chart-clients 1000] [--chart-rounds 3]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import ROOT, Server, bench_env, product
from bench_push import push_round

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.intraday.grid import Day

QUEUES = ["billing", "faults", "moving"]
CHART_ROW = "sl_chart staffing_chart"
BOARDS = f"""
[[boards]]
id = "bench_plain"
title = "Bench"
queues = {QUEUES!r}
rows = ["queues", "agent_states", "ticker"]

[[boards]]
id = "bench_charts"
title = "Bench"
queues = {QUEUES!r}
rows = ["queues", "{CHART_ROW}", "agent_states", "ticker"]
"""
SIDES = {"without": "bench_plain", "charts": "bench_charts"}
MARKS = (b'"sl_chart:now"', b'"staffing_chart:now"')  # the chart items that move
COLUMNS = [
    ("round", "side", 8, ""), ("cores", "cores", 6, ".3f"), ("cpu s/1k", "cpu_per_1k", 8, ".4f"),
    ("deliv/s", "deliv_s", 8, ".0f"), ("deliv %", "delivered", 7, ".1f"),
    ("B/deliv", "b_per", 7, ".0f"), ("sl now", "sl_frames", 7, ""),
    ("staff now", "staff_frames", 9, ""), ("p95 ms", "p95", 7, ".1f"), ("load1", "load1", 5, ".2f"),
]  # fmt: skip


def bench_config(tmp: Path) -> Path:
    """floorboard.toml with the two bench boards added (arrays of tables may go on later)."""
    path = tmp / "bench-charts.toml"
    path.write_text((ROOT / "floorboard.toml").read_text() + BOARDS)
    load_config(str(path))  # a bad bench config stops here, not in the server
    return path


class Updates:
    """Billing ``queue`` items as the aggregator publishes them: the figures and the intervals
    still changing (the one before and the running one), growing with each contact."""

    def __init__(self, config_path: Path) -> None:
        config = load_config(str(config_path))
        self.day = Day.of(time.time(), config.tz, config.history.step)
        self.step = config.history.step
        self.running = self.day.interval(time.time())

    def row(self, start: float, n: int) -> dict[str, Any]:
        answered = n - n // 12
        return {
            "start": start, "offered": n, "answered": answered,
            "answered_in_threshold": answered * 4 // 5, "abandoned": n // 12,
            "answer_wait": 18.0 * answered, "abandon_wait": 40.0 * (n // 12),
            "handled": answered, "handle_time": 290.0 * answered, "longest_wait": 95.0,
            "busy_time": 9000.0 + n, "available_time": 2400.0, "staffed_time": 11400.0,
            "service_level": 0.8, "asa": 18.0, "aht": 290.0, "abandon_rate": 1 / 12,
            "occupancy": 0.79, "staffed": 12.7, "required": 11 + n % 3,
        }  # fmt: skip

    def __call__(self, i: int) -> dict[str, Any]:
        n = 40 + i  # the running interval gains a contact with every update
        return {
            "name": "Billing", "channel": "voice", "waiting": i % 9, "offered": 900 + i,
            "answered": 800 + i, "answered_in_threshold": 640 + i, "abandoned": 60,
            "service_level": 0.8, "asa": 18.0, "aht": 290.0, "abandon_rate": 0.06,
            "occupancy": 0.79, "estimated_wait": 20.0 + i % 7,
            "intervals": [self.row(self.running - self.step, 120), self.row(self.running, n)],
        }  # fmt: skip

    def seed(self, bus: Bus) -> None:
        """The queues' day items and figures, as a producer leaves them: a day with shape."""
        before = [s for s in self.day.starts() if s < self.running - self.step]
        for q in QUEUES:
            rows = [self.row(s, 60 + k % 40) for k, s in enumerate(before)]
            day = {"day": self.day.text, "step": self.step, "rows": rows}
            bus.publish(make_envelope("intraday", f"queue:{q}", day, ts=time.time()))
            bus.publish(make_envelope("queue", q, self(0), ts=time.time()))


def run_round(server: Server, redis_pid: int, bus: Bus, side: str, args: Any) -> dict[str, Any]:
    updates = Updates(args.config)
    updates.seed(bus)  # every round on today's running interval, whatever the clock crossed
    server.start()
    try:
        path = f"/stream?view=wall&board={SIDES[side]}"
        r = asyncio.run(push_round(server, redis_pid, bus, args.chart_clients, args.rate,
                                   args.chart_seconds, path, updates, MARKS))  # fmt: skip
    finally:
        server.stop()
    r.update(side=side, load1=os.getloadavg()[0], b_per=r["bytes"] / max(1, r["deliveries"]),
             sl_frames=r["marks"][MARKS[0]], staff_frames=r["marks"][MARKS[1]])  # fmt: skip
    return r


def report(args: Any) -> None:
    """Rounds alternated without/with; each round's figures, the medians and the ratio."""
    n, rounds = args.chart_clients, args.chart_rounds
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n7. charts: the same board without and with {CHART_ROW}, {n} screens, R="
          f"{args.rate:g}/s for {args.chart_seconds:g} s, {rounds} rounds each, alternated, "
          f"a fresh server (one worker) per round; load average {load}")  # fmt: skip
    print(" ".join(f"{t:>{w}}" for t, _, w, _ in COLUMNS), flush=True)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        assert redis.process is not None
        args.config = bench_config(Path(tmp))
        server = product(bench_env(redis.url, Path(tmp), FLOORBOARD_CONFIG=str(args.config)))
        bus = Bus.from_url(redis.url)
        results: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
        for _ in range(rounds):
            for side in SIDES:
                r = run_round(server, redis.process.pid, bus, side, args)
                results[side].append(r)
                print(" ".join(f"{r[k]:>{w}{f}}" for _, k, w, f in COLUMNS), flush=True)
    med = {side: {k: statistics.median(r[k] for r in rs) for k in ("cores", "cpu_per_1k", "b_per")}
           for side, rs in results.items()}  # fmt: skip
    for side, m in med.items():
        print(f"{'median':>8} {side}: {m['cores']:.3f} cores, {m['cpu_per_1k']:.4f} CPU s per "
              f"1,000 deliveries, {m['b_per']:.0f} B per delivery")  # fmt: skip
    a, b = med["without"], med["charts"]
    print(f"{'':>8} charts ÷ without − 1: CPU per second {b['cores'] / a['cores'] - 1:+.1%}, "
          f"per 1,000 deliveries {b['cpu_per_1k'] / a['cpu_per_1k'] - 1:+.1%} (target < 10 %); "
          f"bytes per delivery ×{b['b_per'] / a['b_per']:.2f}")  # fmt: skip
