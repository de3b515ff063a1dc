"""Benchmark of what a viewer feels, in one run: the product, a minimal SSE server, polling.

Starts its own embedded Redis and, under gunicorn with gevent workers: ``floorboard serve``
(the product), ``scripts/sse_reference.py`` (a minimal gevent + Flask SSE server: one queue per
stream, no merging) and ``scripts/poll_baseline.py`` (``dcc.Interval(interval=1000)``, one Redis
read per poll, no cache). With an asyncio load client on the same machine it prints:

1. push: for each N, the product and the reference, one worker each, interleaved: N SSE
   clients, queue-tile updates published at R/s for D s; time from publish until each client
   holds that value or a newer one (p50/p95/p99/max), share of values delivered as themselves,
   values never received as themselves ("unseen": merged away, or still on their way when the
   round ended) and those the product's hub says it merged, clients not on the last value 2 s
   after the last publish ("behind"), deliveries per second, server / Redis / load-client
   CPU, server CPU-seconds per 1,000 deliveries, memory per open stream;
2. workers: the product with one worker per core (``floorboard serve``'s default) at the
   largest N, beside its one-worker figures: how throughput scales from 1 to N workers;
3. poll: the same for N pollers posting what the Dash renderer posts every second (jittered
   phase); "unseen" are values superseded before any poll saw them; and ratios product ÷ poll;
4. event → DOM latency in headless Chromium (MutationObserver) for the wall, for a page that
   sets the text directly from an EventSource, and for the polling baseline;
5. reconnect storm: N clients that reconnect like browsers (``retry:``, Last-Event-ID) while the
   app server is restarted; time until every one is resynchronised;
6. metrics (``scripts/bench_metrics.py``): the aggregator's contact events per second per core
   and staffing for 500 queues; ``--only metrics`` runs this part alone, with no servers;
7. charts (``scripts/bench_charts.py``, issue 11): the server CPU the wall's live chart tiles
   add, a board with them against the same board without, 1,000 screens, rounds alternated;
   ``--only chart-cpu`` runs this part alone, ``--no-chart-cpu`` skips it.

``--repeat K`` runs parts 1 and 2 K times (one table each, with the load average at its start)
and then prints each row's median over the K runs; the parts after them use the medians.
Latency is timed to each event's arrival at the client's socket (``--stamp read``: to this
process reading it; see ``bench_push.PushClient`` for why arrival is the fair one).

A benchmark, not a test: it reports, it does not assert. The machine's load average is printed
at the start and the end: other work on the machine skews every figure.

    python scripts/bench.py [--clients 100 1000 2000 5000] [--rate 20] [--seconds 8]
                            [--repeat K] [--stamp arrival|read]
                            [--workers N] [--storm 5000] [--dom-events 60] [--no-poll]
                            [--no-browser] [--only metrics|chart-cpu] [--no-chart-cpu]
                            [--chart-clients 1000] [--chart-seconds 8] [--chart-rounds 3]
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

import bench_charts
import bench_metrics
from bench_browser import dom_latency
from bench_common import CHROMIUM, ROOT, Server, bench_env, product
from bench_poll import poll_round
from bench_push import STAMPS, push_round, storm
from bench_tables import (
    DOM_COLUMNS,
    LOAD_COLUMNS,
    RATIO_COLUMNS,
    STORM_COLUMNS,
    header,
    medians,
    row,
)

from dashboard.serving import default_workers
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope


def ratios(push: dict[str, Any], poll: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"clients": push["clients"]}
    for key in ("p50", "p95", "p99", "cores", "cpu_per_1k"):
        out[key] = push[key] / poll[key] if poll[key] else float("nan")
    return out


def servers(tmp: Path, env: dict[str, str], workers: int) -> dict[str, Server]:
    """The servers under test, by part: each under gunicorn with gevent workers."""

    def gunicorn(app: str) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
            "--worker-connections", "10000", "--keep-alive", "75", "--backlog", "2048",
            "--log-level", "warning", "--chdir", str(ROOT / "scripts"),
            "--graceful-timeout", "2", "--bind", "127.0.0.1:{port}", app,
        ]  # fmt: skip

    return {
        "product": product(env), "productN": product(env, workers),
        "reference": Server("SSE reference", gunicorn("sse_reference:server"), env, "/",
                            signal.SIGTERM, tmp / "reference.log", label="reference"),
        "poll": Server("poll baseline", gunicorn("poll_baseline:server"), env, "/",
                       signal.SIGTERM, tmp / "poll.log", label="poll"),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 2000, 5000])
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--repeat", type=int, default=1, help="runs of parts 1 and 2; medians")
    ap.add_argument("--stamp", choices=STAMPS, default=STAMPS[0],
                    help="time events at their arrival (default) or when read")  # fmt: skip
    ap.add_argument("--workers", type=int, default=default_workers(),
                    help="workers for part 2 (default: one per core); 1 skips it")  # fmt: skip
    ap.add_argument("--storm", type=int, default=5000, help="clients in the storm; 0 skips it")
    ap.add_argument("--dom-events", type=int, default=60)
    ap.add_argument("--no-poll", action="store_true")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--only", choices=["metrics", "chart-cpu"], help="run only this part")
    ap.add_argument("--no-chart-cpu", action="store_true")
    ap.add_argument("--chart-clients", type=int, default=1000)
    ap.add_argument("--chart-seconds", type=float, default=8)
    ap.add_argument("--chart-rounds", type=int, default=3, help="rounds of each side")
    args = ap.parse_args()
    if args.only:
        began = time.monotonic()
        if args.only == "metrics":
            bench_metrics.report()
        else:
            raise_files_limit()
            bench_charts.report(args)
        print_load(began)
        return
    raise_files_limit()
    began = time.monotonic()
    load = loadavg()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        assert redis.process is not None
        env = bench_env(redis.url, Path(tmp))
        run = servers(Path(tmp), env, args.workers)
        bus = Bus.from_url(redis.url)
        try:
            for name in ("product", "reference"):
                run[name].start()
            size = len(make_envelope("queue", "billing", {}, ts=time.time()).model_dump_json())
            print(f"R={args.rate:g}/s for {args.seconds:g}s, tile update ~{size} B; "
                  f"{os.cpu_count()} cores shared with this load client; load average at the "
                  f"start {load}")  # fmt: skip
            runs = []
            for k in range(args.repeat):
                if args.repeat > 1:
                    print(f"\n== run {k + 1} of {args.repeat}, load average at its start "
                          f"{loadavg()}", flush=True)  # fmt: skip
                runs.append((loadavg(), push_parts(run, redis.process.pid, bus, args)))
            results = runs[0][1] if args.repeat == 1 else medians(runs)
            if not args.no_poll:
                run["poll"].start()
                polling(run["poll"], redis.process.pid, bus, args, results)
            browser(run, bus, args)
            if args.storm:
                # As it is run: `floorboard serve`, one worker per core.
                target = run["productN" if args.workers > 1 else "product"]
                run["product"].stop()
                target.start()
                header(
                    f"5. reconnect storm: the product ({target.label}) killed and restarted "
                    "under N clients (times from the new process's start)",
                    STORM_COLUMNS,
                )
                row(asyncio.run(storm(target, bus, args.storm)), STORM_COLUMNS)
        finally:
            for server in run.values():
                server.stop()
    bench_metrics.report()
    if not args.no_chart_cpu:
        bench_charts.report(args)
    print_load(began)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def push_parts(run: dict[str, Server], redis_pid: int, bus: Bus, args: Any) -> dict[int, dict]:
    """Parts 1 and 2: each N against the product and the reference, then the product's
    workers at the largest N; the results by N and server label."""
    results: dict[int, dict[str, Any]] = {}
    header(f"1. push, one worker each: publish → the client holds that value or newer "
           f"(timed to its {args.stamp})", LOAD_COLUMNS)  # fmt: skip
    for n in args.clients:
        for name in ("product", "reference"):
            r = asyncio.run(push_round(run[name], redis_pid, bus, n, args.rate, args.seconds,
                                       stamp=args.stamp))  # fmt: skip
            row(r, LOAD_COLUMNS)
            results.setdefault(n, {})[name] = r
    if args.workers > 1:
        scale(run, redis_pid, bus, args, results)
    return results


def raise_files_limit() -> None:
    """Thousands of client sockets in this process: the hard limit, not the soft one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def scale(
    run: dict[str, Server], redis_pid: int, bus: Bus, args: Any, results: dict[int, dict]
) -> None:
    """Part 2: the product with several workers at the largest N, beside one worker."""
    n = max(args.clients)
    one = run["product"]
    one.stop()  # its cores go to the workers measured now
    many = run["productN"]
    many.start()
    header(f"2. workers: the product with 1 and {args.workers} workers at N={n}", LOAD_COLUMNS)
    row(results[n]["product"], LOAD_COLUMNS)
    r = asyncio.run(push_round(many, redis_pid, bus, n, args.rate, args.seconds,
                               stamp=args.stamp))  # fmt: skip
    row(r, LOAD_COLUMNS)
    results[n][many.label] = r
    one_r = results[n]["product"]
    print(
        f"{'':11} with {args.workers} workers: p50 ×{r['p50'] / one_r['p50']:.2f}, p99 "
        f"×{r['p99'] / one_r['p99']:.2f}, deliveries/s ×{r['deliv_s'] / one_r['deliv_s']:.2f} "
        f"(at most N × R: what the load client offers, not the server's ceiling)"
    )
    many.stop()
    one.start()


def polling(poll: Server, redis_pid: int, bus: Bus, args: Any, results: dict[int, dict]) -> None:
    """Part 3: N pollers against the poll baseline, and the product's ratios to them."""
    header("3. poll: publish → first 1 s dcc.Interval poll showing it or newer; "
           "unseen = superseded before any poll saw it", LOAD_COLUMNS)  # fmt: skip
    for n in args.clients:
        r = asyncio.run(poll_round(poll, redis_pid, bus, n, args.rate, args.seconds))
        row(r, LOAD_COLUMNS)
        assert poll.log is not None
        log = poll.log.read_text(errors="replace")
        print(
            f"{'':11} ({r['req_s']:.0f} requests/s, {r['errors']} failed; server log so far: "
            f"{log.count('Too many connections')} × redis-py 'Too many connections')"
        )
        results[n]["poll"] = r
    header("   ratios product ÷ poll (below 1: the product is better)", RATIO_COLUMNS)
    for n in args.clients:
        row(ratios(results[n]["product"], results[n]["poll"]), RATIO_COLUMNS)


def browser(run: dict[str, Server], bus: Bus, args: Any) -> None:
    """Part 4: event → DOM in Chromium: the wall, a page that sets text directly, the poll."""
    if args.no_browser:
        return
    if not Path(CHROMIUM).exists():
        print(f"\n4. event → DOM skipped: no Chromium at {CHROMIUM} (see scripts/ensure-chromium)")
        return
    header("4. event → DOM in headless Chromium (MutationObserver), ~5 events/s", DOM_COLUMNS)
    pages = [
        ("wall", f"http://127.0.0.1:{run['product'].port}/wall/main", "#tile-billing-waiting"),
        ("direct", f"http://127.0.0.1:{run['reference'].port}/page", "#billing-waiting"),
    ]
    if not args.no_poll:
        pages.append(("poll", f"http://127.0.0.1:{run['poll'].port}/", "#billing-waiting"))
    for name, url, selector in pages:
        row({"page": name, **dom_latency(url, selector, bus, args.dom_events, 5)}, DOM_COLUMNS)


def print_load(began: float) -> None:
    print(
        f"\n(bench took {time.monotonic() - began:.0f} s; load average at the end "
        f"{loadavg()}: other work on this machine during the run skews every figure)"
    )


if __name__ == "__main__":
    main()
