"""Benchmark of the push path against the polling a Dash app would use, in one run.

Starts its own embedded Redis, ``floorboard serve`` (gunicorn + gevent) and the polling baseline
(``scripts/poll_baseline.py``: ``dcc.Interval(interval=1000)`` + flask-caching, also gunicorn +
gevent), then, with an asyncio load client on the same machine, prints one table per part:

1. push: N SSE clients, queue-tile updates published at R/s for D s; latency p50/p95/p99/max
   from publish until the client holds that value or a newer one, updates never received as
   such ("missed": conflated by the hub) and duplicates, clients not on the last value at the
   end ("behind"), server, Redis and load-client CPU (cores, and server CPU-seconds per 1,000
   deliveries), server memory per open stream;
2. poll: the same for N pollers posting what the Dash renderer posts every second (jittered
   phase); "missed" are values superseded before any poll saw them; and ratios push ÷ poll;
3. event → DOM latency in headless Chromium (MutationObserver) for the wall and the baseline;
4. reconnect storm: N clients that reconnect like browsers (``retry:``, Last-Event-ID) while the
   app server is restarted; time until every one is resynchronised;
5. metrics (``scripts/bench_metrics.py``): the aggregator's contact events per second per core
   and staffing for 500 queues; ``--only metrics`` runs this part alone, with no servers.

A benchmark, not a test: it reports, it does not assert.

    python scripts/bench.py [--clients 100 1000 2000 5000] [--rate 20] [--seconds 8]
                            [--storm 2000] [--dom-events 60] [--no-poll] [--no-browser]
                            [--only metrics]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_metrics
from bench_browser import dom_latency
from bench_common import CHROMIUM, ROOT, Server
from bench_poll import poll_round
from bench_push import push_round, storm

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope

Columns = list[tuple[str, str, int, str]]  # title, result key, width, format
LOAD_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("p50 ms", "p50", 8, ".1f"), ("p95 ms", "p95", 8, ".1f"),
    ("p99 ms", "p99", 8, ".1f"), ("max ms", "max", 8, ".1f"), ("missed", "missed", 8, ""),
    ("dups", "dups", 4, ""), ("behind", "behind", 6, ""), ("deliv", "deliveries", 7, ""),
    ("cores", "cores", 6, ".2f"),
    ("redis", "redis_cores", 6, ".2f"), ("load", "load_cores", 5, ".2f"),
    ("cpu s/1k", "cpu_per_1k", 9, ".3f"), ("KB/conn", "kb_per_stream", 8, ".1f"),
    ("connect s", "connect_s", 9, ".1f"),
]  # fmt: skip
RATIO_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("p50", "p50", 7, ".3f"), ("p95", "p95", 7, ".3f"),
    ("p99", "p99", 7, ".3f"), ("cores", "cores", 7, ".2f"), ("cpu/1k", "cpu_per_1k", 7, ".4f"),
]  # fmt: skip
DOM_COLUMNS: Columns = [
    ("page", "page", 6, ""), ("published", "published", 9, ""), ("in DOM", "seen", 6, ""),
    ("p50 ms", "p50", 8, ".1f"), ("p95 ms", "p95", 8, ".1f"),
    ("shown-only p50", "own_p50", 14, ".1f"), ("shown-only p95", "own_p95", 14, ".1f"),
]  # fmt: skip
STORM_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("resynced", "resynced", 8, ""), ("snapshots", "snapshots", 9, ""),
    ("down s", "down_s", 6, ".2f"), ("boot s", "boot_s", 6, ".2f"),
    ("p50 s", "p50_s", 6, ".2f"), ("all s", "from_start_s", 6, ".2f"),
    ("from kill s", "from_kill_s", 11, ".2f"), ("refused", "refused", 7, ""),
]  # fmt: skip


def header(title: str, columns: Columns) -> None:
    print(f"\n{title}\n" + " ".join(f"{t:>{w}}" for t, _, w, _ in columns), flush=True)


def row(result: dict[str, Any], columns: Columns) -> None:
    print(" ".join(f"{result[k]:>{w}{f}}" for _, k, w, f in columns), flush=True)


def ratios(push: dict[str, Any], poll: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"clients": push["clients"]}
    for key in ("p50", "p95", "p99", "cores", "cpu_per_1k"):
        out[key] = push[key] / poll[key] if poll[key] else float("nan")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 2000, 5000])
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--storm", type=int, default=2000, help="clients in the storm; 0 skips it")
    ap.add_argument("--dom-events", type=int, default=60)
    ap.add_argument("--no-poll", action="store_true")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--only", choices=["metrics"], help="run only this part")
    args = ap.parse_args()
    if args.only == "metrics":
        began = time.monotonic()
        bench_metrics.report()
        print_load(began)
        return
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    began = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        assert redis.process is not None
        env = {
            **os.environ, "REDIS_URL": redis.url, "FLOORBOARD_LOG_LEVEL": "warning",
            "FLOORBOARD_STATE_DIR": str(Path(tmp) / "state"),
        }  # fmt: skip
        push = Server("floorboard serve", [sys.executable, "-m", "dashboard.cli", "serve",
                      "--port", "{port}"], env, "/readyz", signal.SIGINT)  # fmt: skip
        poll = Server("poll baseline", [
            sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
            "--worker-connections", "10000", "--keep-alive", "75", "--backlog", "2048",
            "--log-level", "warning", "--chdir", str(ROOT / "scripts"),
            "--graceful-timeout", "2", "--bind", "127.0.0.1:{port}", "poll_baseline:server",
        ], env, "/", signal.SIGTERM, Path(tmp) / "poll.log")  # fmt: skip
        bus = Bus.from_url(redis.url)
        push.start()
        try:
            if not args.no_poll:
                poll.start()
            size = len(make_envelope("queue", "billing", {}, ts=time.time()).model_dump_json())
            print(f"push: floorboard serve, 1 gevent worker; poll: scripts/poll_baseline.py, "
                  f"1 gevent worker; R={args.rate:g}/s for {args.seconds:g}s, tile update "
                  f"~{size} B; {os.cpu_count()} cores shared with this load client")  # fmt: skip
            results: list[tuple[dict, dict | None]] = []
            header("1. push: publish → received (SSE)", LOAD_COLUMNS)
            for n in args.clients:
                r = asyncio.run(push_round(push, redis.process.pid, bus, n, args.rate,
                                           args.seconds))  # fmt: skip
                row(r, LOAD_COLUMNS)
                results.append((r, None))
            if not args.no_poll:
                header("2. poll: publish → first 1 s dcc.Interval poll showing it or newer; "
                       "missed = superseded before any poll saw it", LOAD_COLUMNS)  # fmt: skip
                for i, n in enumerate(args.clients):
                    r = asyncio.run(poll_round(poll, redis.process.pid, bus, n, args.rate,
                                               args.seconds))  # fmt: skip
                    row(r, LOAD_COLUMNS)
                    assert poll.log is not None
                    log = poll.log.read_text(errors="replace")
                    print(f"{'':5} ({r['req_s']:.0f} requests/s, {r['errors']} failed; server "
                          f"log so far: {log.count('Too many connections')} × redis-py "
                          f"'Too many connections')")  # fmt: skip
                    results[i] = (results[i][0], r)
                header("   ratios push ÷ poll (below 1: push is better)", RATIO_COLUMNS)
                for p, q in results:
                    if q:
                        row(ratios(p, q), RATIO_COLUMNS)
            if not args.no_browser and not Path(CHROMIUM).exists():
                print(
                    f"\n3. event → DOM skipped: no Chromium at {CHROMIUM} "
                    "(see scripts/ensure-chromium)"
                )
            elif not args.no_browser:
                header("3. event → DOM in headless Chromium (MutationObserver), "
                       "~5 events/s", DOM_COLUMNS)  # fmt: skip
                base = f"http://127.0.0.1:{push.port}/wall/main"
                dp = dom_latency(base, "#tile-billing-waiting", bus, args.dom_events, 5)
                row({"page": "push", **dp}, DOM_COLUMNS)
                if not args.no_poll:
                    url = f"http://127.0.0.1:{poll.port}/"
                    dq = dom_latency(url, "#billing-waiting", bus, args.dom_events, 5)
                    row({"page": "poll", **dq}, DOM_COLUMNS)
                    print(f"{'ratio':>6} poll ÷ push: p50 {dq['p50'] / dp['p50']:.0f}×, "
                          f"p95 {dq['p95'] / dp['p95']:.0f}×")  # fmt: skip
            if args.storm:
                header("4. reconnect storm: app server killed and restarted under N clients "
                       "(times from the new process's start)", STORM_COLUMNS)  # fmt: skip
                row(asyncio.run(storm(push, bus, args.storm)), STORM_COLUMNS)
        finally:
            push.stop()
            poll.stop()
    bench_metrics.report()
    print_load(began)


def print_load(began: float) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n(bench took {time.monotonic() - began:.0f} s; load average now {load}: other "
          "work on this machine during the run skews every figure)")  # fmt: skip


if __name__ == "__main__":
    main()
