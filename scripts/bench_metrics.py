"""Benchmark of the metrics engine: the aggregator's events per second, staffing for 500 queues.

CPU time of this process (``time.process_time``): the aggregator is single-threaded, so this is
per core, garbage collection included (each run starts after a full collection, as a fresh
process would). Each figure is the best of several runs and the median beside it, since other
work on a shared machine only ever slows a run down.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.config import load_config
from feeds.metrics import staffing
from feeds.metrics.aggregator import Aggregator
from feeds.simulator.simulation import Simulation

RUNS = 5


def _best_and_median(run: Callable[[], float]) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        gc.collect()  # each run starts from a clean heap, not the last run's garbage
        times.append(run())
    return min(times), statistics.median(times)


def aggregator_rate(config_path: str = "floorboard.toml") -> dict[str, float]:
    """Contact events a second through ``Aggregator.apply``, on parsed envelopes from a busy
    simulated floor (200 agents, four hours); and the cost of the queue envelopes."""
    config = load_config(config_path)
    start = datetime(2025, 3, 11, 8, 0, tzinfo=ZoneInfo(config.centre.timezone)).timestamp()
    envs = Simulation(config, seed=7, start=start, agents=200).advance(start + 4 * 3600)
    contacts = [e for e in envs if e.kind == "contact"]

    def feed(events: list) -> Callable[[], float]:
        def run() -> float:
            agg = Aggregator(config)
            began = time.process_time()
            for env in events:
                agg.apply(env, env.ts)
            return time.process_time() - began

        return run

    best, median = _best_and_median(feed(contacts))
    all_best, _ = _best_and_median(feed(envs))
    agg = Aggregator(config)
    for env in envs:
        agg.apply(env, env.ts)
    began = time.process_time()
    for i in range(100):
        agg.envelopes(start + 4 * 3600 + i)
    stats_ms = (time.process_time() - began) * 1000 / 100
    return {
        "contacts": len(contacts),
        "contact_rate": len(contacts) / best,
        "contact_rate_median": len(contacts) / median,
        "all_events": len(envs),
        "all_rate": len(envs) / all_best,
        "envelopes_ms": stats_ms,
        "queues": len(config.queues),
    }


def staffing_queues(count: int = 500, seed: int = 1) -> list[staffing.Queue]:
    """A centre's worth of queues: from a few calls an hour to hundreds of agents' worth."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        aht = rng.uniform(120, 600)
        erlangs = rng.choice([rng.uniform(0.2, 5), rng.uniform(5, 50), rng.uniform(50, 400)])
        out.append(staffing.Queue(
            arrival_rate=erlangs / aht, aht=aht, patience=rng.choice([None, rng.uniform(30, 300)]),
            threshold=rng.choice([20, 30, 60]), short_abandon=5, target=rng.choice([0.8, 0.9]),
            formula=rng.choice(sorted(staffing.formulas.SL_FORMULAS)),
        ))  # fmt: skip
    return out


def staffing_time(count: int = 500) -> dict[str, float]:
    """Milliseconds to staff ``count`` queues: the full plan (Erlang C and A, projection, gap),
    and Erlang C's required agents alone."""
    queues = staffing_queues(count)
    agents = [round(q.traffic * 1.05) for q in queues]

    def plan() -> float:
        began = time.process_time()
        for q, n in zip(queues, agents, strict=True):
            staffing.plan(q, n, float(n), "erlang_a")
        return time.process_time() - began

    def erlang_c() -> float:
        began = time.process_time()
        for q in queues:
            staffing.required_agents(q, "erlang_c")
        return time.process_time() - began

    best, median = _best_and_median(plan)
    c_best, _ = _best_and_median(erlang_c)
    return {"queues": count, "plan_ms": best * 1000, "plan_ms_median": median * 1000,
            "erlang_c_ms": c_best * 1000}  # fmt: skip


def report() -> None:
    """Print the metrics figures (the ``metrics`` section of ``make bench``)."""
    print("\nmetrics: aggregator and staffing, CPU time of one process (best of "
          f"{RUNS}, median beside it)", flush=True)  # fmt: skip
    a = aggregator_rate()
    print(f"  aggregator: {a['contact_rate']:,.0f} contact events/s per core "
          f"(median {a['contact_rate_median']:,.0f}; {a['contacts']:,} parsed events, "
          f"simulated 200 agents × 4 h); all events incl. agents {a['all_rate']:,.0f}/s; "
          f"queue envelopes for {a['queues']} queues {a['envelopes_ms']:.2f} ms",
          flush=True)  # fmt: skip
    s = staffing_time()
    print(f"  staffing: {s['queues']} queues in {s['plan_ms']:.1f} ms (median "
          f"{s['plan_ms_median']:.1f} ms; Erlang C and A required, projected SL, gap); "
          f"Erlang C required alone {s['erlang_c_ms']:.1f} ms", flush=True)  # fmt: skip
