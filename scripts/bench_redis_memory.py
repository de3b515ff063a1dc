"""Redis memory per day of a centre's traffic, for deploy/README.md's sizing table.

A fresh embedded Redis takes a simulated day (the simulator's floor, ``--agents`` agents,
seed 1: contacts, agent states, customers, queue statistics, heartbeats) published through the
real bus; then Redis's ``used_memory`` and each key kind's ``MEMORY USAGE`` (the kinds of
``feeds.data.keys``) are reported, with contacts and events per day. The raw contact stream
is capped (the config's ``history.stream_events``, default ``feeds.config.STREAM_EVENTS``)
and event ids expire after two days, so a centre's memory stops growing after a day or two
at that size: the figure is what a day adds, and roughly the steady state.

A benchmark, not a test: it reports, it does not assert. ``make bench`` runs it.

    .venv/bin/python scripts/bench_redis_memory.py [--agents 24] [--hours 24]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feeds.bus.bus import Bus  # noqa: E402
from feeds.bus.embedded import EmbeddedRedis  # noqa: E402
from feeds.config import STREAM_EVENTS, load_config  # noqa: E402
from feeds.data.keys import kind_of  # noqa: E402
from feeds.simulator.simulation import Simulation  # noqa: E402

STEP = 900.0  # simulated seconds per batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=24)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    config = load_config(str(ROOT / "floorboard.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp), persist=False).start()
        try:
            bus = Bus.from_url(server.url, "fb:")
            empty = bus.client.info("memory")["used_memory"]
            now = time.time()
            start = now - args.hours * 3600
            sim = Simulation(config, seed=1, start=start, agents=args.agents)
            events, kinds, t0 = 0, Counter(), time.monotonic()
            at = start
            while at < now:
                at = min(now, at + STEP)
                batch = sim.advance(at)
                kinds.update(e.kind for e in batch)
                bus.publish_many(batch, now=at)
                events += len(batch)
            took = time.monotonic() - t0
            used = bus.client.info("memory")["used_memory"] - empty
            by_kind: Counter[str] = Counter()
            count: Counter[str] = Counter()
            for key in bus.client.scan_iter(match="fb:*", count=1000):
                name = key.decode()[3:]
                kind = kind_of(name)
                label = kind.pattern if kind else name
                by_kind[label] += bus.client.memory_usage(key, samples=0) or 0
                count[label] += 1
            contacts = bus.client.xlen(bus.prefix + "contacts")
            bus.client.close()
        finally:
            server.stop()
    scale = 24 / args.hours
    print(f"Redis memory for {args.hours:g} h of a simulated floor of {args.agents} agents "
          f"({events:,} events published in {took:.0f} s: "
          + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()) + ")")  # fmt: skip
    print(f"  used_memory grew {used / 2**20:.1f} MiB ({used / 2**20 * scale:.1f} MiB per day)")
    print(f"  raw contact events kept: {contacts:,} (cap {STREAM_EVENTS:,})")
    print("  by key kind (MEMORY USAGE, all samples):")
    for label, size in by_kind.most_common():
        print(f"    {label:<20} {count[label]:>7,} keys  {size / 2**20:8.2f} MiB")


if __name__ == "__main__":
    main()
