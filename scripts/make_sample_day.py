"""Write docs/samples/contacts-day.csv: one believable day of a centre's contacts, for
``floorboard replay`` and its documentation.

A Tuesday from 08:00 to 20:00 on the example config's five queues: arrivals follow the usual
double-peaked day (mid-morning and after lunch), waits grow when the queue is busy, some
callers give up (a few within seconds), handle times are log-normal, a tenth of customers
call more than once and a few are tagged VIP. The same seed always writes the same file.

    .venv/bin/python scripts/make_sample_day.py [--rows 3200] [--out docs/samples/contacts-day.csv]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

DAY = datetime(2025, 3, 11, 8, 0)  # local time of the centre (Europe/London)
HOURS = 12
# queue: (share of contacts, channel, mean wait s, patience s, talk s, wrap s, agents)
QUEUES = {
    "billing": (0.36, "voice", 28, 240, 290, 45, range(1, 11)),
    "faults": (0.22, "voice", 35, 200, 360, 60, range(8, 17)),
    "moving": (0.13, "voice", 40, 300, 420, 50, range(15, 21)),
    "chat": (0.19, "chat", 45, 400, 540, 30, range(19, 25)),
    "email": (0.10, "email", 5400, 10**9, 600, 60, range(21, 25)),
}
FIELDS = ["contact_id", "enqueued_at", "queue", "channel", "wait", "talk", "hold", "wrap",
          "outcome", "agent_id", "customer_id", "tags"]  # fmt: skip


def load(hour: float) -> float:
    """Relative arrival rate over the day: peaks at 10:30 and 14:00, quiet at the ends."""
    return 0.35 + math.exp(-((hour - 2.5) ** 2) / 2.0) + 0.8 * math.exp(-((hour - 6) ** 2) / 3.0)


def arrivals(rng: random.Random, count: int) -> list[float]:
    """``count`` arrival times (seconds after 08:00) drawn from the day's shape."""
    top = max(load(h / 10) for h in range(HOURS * 10))
    times: list[float] = []
    while len(times) < count:
        t = rng.uniform(0, HOURS * 3600)
        if rng.random() * top <= load(t / 3600):
            times.append(t)
    return sorted(times)


def contact(rng: random.Random, n: int, t: float, customers: list[str]) -> dict[str, object]:
    queue = rng.choices(list(QUEUES), [q[0] for q in QUEUES.values()])[0]
    _, channel, mean_wait, patience, talk_mean, wrap_mean, agents = QUEUES[queue]
    busy = load(t / 3600) / 1.6  # waits grow with the load
    wait = rng.expovariate(1 / (mean_wait * busy))
    gave_up = rng.expovariate(1 / patience)
    if rng.random() < 0.1 and customers:
        customer = rng.choice(customers)  # calling again
    else:
        customer = f"C{rng.randrange(10**6, 10**7)}"
        customers.append(customer)
    row: dict[str, object] = {
        "contact_id": f"c-20250311-{n:05d}",
        "enqueued_at": (DAY + timedelta(seconds=t)).isoformat(sep=" ", timespec="seconds"),
        "queue": queue, "channel": channel, "customer_id": customer,
        "tags": "vip" if rng.random() < 0.03 else "",
    }  # fmt: skip
    if gave_up < wait:
        return row | {"wait": round(gave_up), "outcome": "abandoned"}
    talk = rng.lognormvariate(math.log(talk_mean) - 0.18, 0.6)
    hold = rng.choice([0, 0, 0, 0, rng.randint(20, 120)]) if channel == "voice" else 0
    return row | {
        "wait": round(wait), "outcome": "answered", "talk": round(talk), "hold": hold,
        "wrap": round(rng.uniform(0.5, 1.5) * wrap_mean), "agent_id": f"a{rng.choice(agents):02d}",
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default="docs/samples/contacts-day.csv")
    args = parser.parse_args()
    rng, customers = random.Random(args.seed), []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        for n, t in enumerate(arrivals(rng, args.rows), 1):
            writer.writerow(contact(rng, n, t, customers))
    print(f"wrote {args.rows} contacts to {out}")


if __name__ == "__main__":
    main()
