"""One simulated day under each routing rule, side by side: what blending does to the numbers.

The sources this product is built from describe a centre (iGo) that blends every contact in
the order it arrived, so an email that came before a call is answered before it, where most
centres answer emails in 48 hours, after every call. This runs the simulator's centre
(``feeds.simulator``) through the same day, same seed, same arrivals, once per routing rule of
:data:`feeds.simulator.simulation.ROUTINGS`, and prints per rule: the email response time
(mean, median, 90th percentile, from arrival to an agent taking it), the voice and chat service
levels (by the queues' own definitions, through the aggregator, as the walls show them) and
the voice abandon rate.

    python scripts/routing_day.py [--agents 40] [--seed 1] [--hours 8 20] [--day 2026-11-30]

A report, not a test: it prints, it does not assert.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from feeds.config import load_config
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.formulas import rollup
from feeds.simulator.simulation import ROUTINGS, Simulation

ROOT = Path(__file__).resolve().parent.parent


def day(routing: str, args: argparse.Namespace) -> dict[str, object]:
    """The figures of one simulated day under ``routing``."""
    config = load_config(ROOT / "floorboard.toml")
    tz = config.tz
    start = datetime.combine(args.day, datetime.min.time(), tz).timestamp() + args.hours[0] * 3600
    end = start + (args.hours[1] - args.hours[0]) * 3600
    sim = Simulation(config, seed=args.seed, start=start, agents=args.agents, routing=routing)
    aggregator = Aggregator(config)
    answered: list[dict[str, object]] = []
    for env in sim.advance(end):
        aggregator.apply(env)
        d = env.data
        if env.kind == "contact" and d["event"] == "answered":
            answered.append({"channel": d["channel"], "wait": d["answered_at"] - d["enqueued_at"]})
    waits = pd.DataFrame(answered)
    email = waits.loc[waits["channel"] == "email", "wait"] / 60
    stats = {q.id: aggregator.stats(q.id, end) for q in config.queues}

    def channel(name: str) -> dict[str, object]:
        return rollup([s for qid, s in stats.items() if config.queue(qid).channel == name])

    voice, chat = channel("voice"), channel("chat")
    return {
        "routing": routing,
        "email answered": len(email),
        "email wait mean (min)": round(email.mean(), 1),
        "email wait median (min)": round(email.median(), 1),
        "email wait p90 (min)": round(email.quantile(0.9), 1),
        "voice SL": f"{voice['service_level']:.1%}",
        "voice abandons": f"{voice['abandon_rate']:.1%}",
        "voice ASA (s)": round(voice["asa"] or 0),
        "chat SL": f"{chat['service_level']:.1%}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, nargs=2, default=(8.0, 20.0))
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 30))
    args = parser.parse_args()
    table = pd.DataFrame([day(r, args) for r in ROUTINGS]).set_index("routing")
    print(f"One simulated day, {args.agents} agents, seed {args.seed}, "
          f"{args.hours[0]:g}:00 to {args.hours[1]:g}:00 local time\n")  # fmt: skip
    print(table.T.to_string())


if __name__ == "__main__":
    main()
