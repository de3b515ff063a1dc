"""Property: on any feed, however messy, the incremental aggregator gives exactly the figures of
a from-scratch pandas computation over the same delivered events (tests/reference_metrics.py).

Each generated feed is a small stretch of a centre's night around midnight (an ordinary one,
and both daylight-saving nights in Europe/London): contacts with one or two legs (transfers)
on configured and unknown queues, answered, abandoned or still waiting, some without the
optional times; agents changing state and skills, some deleted. It is then delivered badly:
started mid-stream, duplicated, re-delivered hours later or with another stamp, reordered,
contradicted (an answered leg also said abandoned), some producers' clocks a little or far
ahead. The figures are compared twice per feed, half-way and after the end, in
every window (today, 15, 30, 60 minutes): all counters, agent time for occupancy, waiting
contacts, the longest wait and agents by state. Feeds are checked in batches so that pandas
runs once per batch: EXAMPLES × FEEDS feeds in all (at least 10,000).
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_metrics import COUNTERS, reference

from feeds.bus.fields import AGENT_STATES
from feeds.bus.schema import Envelope
from feeds.config import parse_config
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.contacts import event

TZ = "Europe/London"
EXAMPLES, FEEDS = 100, 100  # 10,000 feeds
LIMITS = {"q1": (20.0, 5.0), "q2": (30.0, 0.0), "q3": (60.0, 10.0)}  # threshold, short abandon
CONFIG = parse_config({
    "centre": {"timezone": TZ},
    "queues": [{"id": q, "name": q, "sl_threshold": t, "short_abandon": s}
               for q, (t, s) in LIMITS.items()],
    "boards": [{"id": "main", "title": "Main", "queues": list(LIMITS)}],
})  # fmt: skip
MAX_SKEW = CONFIG.ordering.max_skew
# 23:00 before an ordinary midnight, and before the nights the clocks go forward and back
NIGHTS = [datetime(2025, m, d, 23, 0, tzinfo=ZoneInfo(TZ)).timestamp()
          for m, d in ((7, 1), (3, 29), (10, 25))]  # fmt: skip
QUEUES = [*LIMITS, "qx"]  # qx: a queue this centre does not configure


def contact_events(rng: random.Random, cid: str, start: float) -> list[tuple[float, Envelope]]:
    """One contact's true events: legs offered, answered or abandoned or left waiting."""
    out, t = [], start
    for leg in (1, 2) if rng.random() < 0.3 else (1,):
        queue = rng.choice(QUEUES)
        base = {"leg": leg, "queue": queue, "channel": "voice", "customer_id": "AC1",
                "enqueued_at": t, "tags": []}  # fmt: skip
        out.append((t, {**base, "event": "offered"}))
        outcome = rng.choices(["answered", "abandoned", "waiting"], [6, 3, 1])[0]
        if outcome == "waiting":
            break
        wait = rng.choice([0, 3, 4.5, 5, 15, 20, 25, 30, 60, 200])
        end = t + wait
        if outcome == "abandoned":
            ended = None if rng.random() < 0.2 else end
            out.append((end, {**base, "event": "abandoned", "ended_at": ended}))
            break
        answered_at = None if rng.random() < 0.2 else end
        out.append((end, {**base, "event": "answered", "answered_at": answered_at}))
        talk, hold = rng.randint(10, 600), rng.choice([None, 0, 30])
        wrap = rng.choice([None, 15, 40])
        done = end + talk + (hold or 0) + (wrap or 0)
        if rng.random() < 0.8:
            out.append((done, {**base, "event": "completed", "talk": talk, "hold": hold,
                               "wrap": wrap, "ended_at": done - (wrap or 0),
                               "answered_at": None if rng.random() < 0.2 else end}))  # fmt: skip
        if rng.random() < 0.1:  # a confused ACD also says the caller gave up
            gave_up = end + rng.choice([-2, 0, 5, 1200])
            out.append((gave_up, {**base, "event": "abandoned", "ended_at": gave_up}))
        t = end + rng.randint(1, 300)  # the next leg, if any
    envs = [(at, _env("contact", cid, at, data)) for at, data in out]
    if rng.random() < 0.05:
        at = out[-1][0] + rng.randint(0, 100)
        envs.append((at, _env("contact", cid, at, {}, deleted=True)))
    return envs


def agent_events(rng: random.Random, aid: str, night: float) -> list[tuple[float, Envelope]]:
    """One agent's states (on a one-minute grid, so that stamps sometimes tie)."""
    times = sorted(night + 60 * rng.randint(-60, 240) for _ in range(rng.randint(1, 5)))
    envs = []
    for at in times:
        skills = rng.sample(QUEUES, rng.randint(1, 3))
        data = {"name": aid, "state": rng.choice(AGENT_STATES), "since": at, "skills": skills}
        envs.append((at, _env("agent", aid, at, data)))
    if rng.random() < 0.25:
        at = rng.choice(times) + rng.choice([0, 30, 600])
        envs.append((at, _env("agent", aid, at, {}, deleted=True)))
    return envs


def _env(kind: str, id: str, ts: float, data: dict, deleted: bool = False) -> Envelope:
    return Envelope.model_construct(kind=kind, id=id, seq=0, ts=ts, source="", deleted=deleted,
                                    data=data)  # fmt: skip


def feed(rng: random.Random) -> tuple[list[tuple[float, Envelope]], float]:
    """A badly delivered feed: (arrival clock, envelope) in arrival order; and a query time."""
    night = rng.choice(NIGHTS)
    true: list[tuple[float, Envelope]] = []
    for i in range(rng.randint(0, 6)):
        start = rng.choice([rng.randint(0, 4 * 3600), 300 * rng.randint(0, 48)])  # grid: ties
        true += contact_events(rng, f"c{i}", night + start)
    for i in range(rng.randint(0, 3)):
        true += agent_events(rng, f"a{i}", night)
    if rng.random() < 0.3:  # the feed starts mid-stream
        cut = night + rng.randint(0, 3 * 3600)
        true = [(at, env) for at, env in true if at >= cut]
    late = rng.choice([0, 300, 3 * 3600])
    skew = rng.random() < 0.3
    delivered = []
    for at, env in true:
        for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):  # duplicates
            if skew and rng.random() < 0.3:
                env = env.model_copy(update={"ts": env.ts + rng.choice([2, 4, 8, 30])})
            elif rng.random() < 0.05:  # re-sent with another stamp
                env = env.model_copy(update={"ts": env.ts + rng.choice([-3, 1, 60, -1200, 1500])})
            delay = 0 if rng.random() < 0.6 else rng.uniform(0, late)
            delivered.append((at + delay, env))
    delivered.sort(key=lambda d: d[0])
    clock, out = -math.inf, []
    for arrive, env in delivered:
        clock = max(clock, arrive)
        out.append((clock, env))
    end = (out[-1][0] if out else night) + rng.choice([0, 1, 600, 900, 1800, 3600, 5 * 3600])
    return out, end


def figures(agg: Aggregator, now: float) -> dict:
    envs = {e.id: e.data for e in agg.envelopes(now)}
    return {q: (agg.counts(q, now), envs[q]) for q in LIMITS}


def run(feeds: list[tuple[list, float]]):
    """The aggregator on each feed, queried half-way and at the end; and the frames pandas
    needs: every delivered event, and the queries."""
    results, rows, queries = {}, [], []
    for seq, (delivered, end) in enumerate(feeds):
        agg = Aggregator(CONFIG)
        half = len(delivered) // 2
        for idx, (arrived, env) in enumerate(delivered):
            if idx == half and idx:
                results[seq, 0] = figures(agg, delivered[idx - 1][0])
                queries.append((seq, 0, half, delivered[idx - 1][0]))
            agg.apply(env, arrived)
            d = env.data
            handle = sum(d.get(k) or 0.0 for k in ("talk", "hold", "wrap"))
            rows.append((seq, idx, arrived, env.kind, env.id, env.deleted, env.ts, d.get("leg"),
                         d.get("event"), d.get("queue"), d.get("enqueued_at"),
                         d.get("answered_at"), d.get("ended_at"), handle, d.get("state"),
                         tuple(d.get("skills", ()))))  # fmt: skip
        results[seq, 1] = figures(agg, end)
        queries.append((seq, 1, len(delivered), max(end, agg._clock)))
    columns = ["seq", "idx", "arrived", "kind", "id", "deleted", "ts", "leg", "event", "queue",
               "enqueued_at", "answered_at", "ended_at", "handle", "state", "skills"]  # fmt: skip
    events = pd.DataFrame(rows, columns=columns).astype({"answered_at": float, "ended_at": float})
    return results, events, pd.DataFrame(queries, columns=["seq", "query", "upto", "now"])


def compare(results: dict, ref: dict) -> None:
    """Every figure of every feed and query against the reference; lists what differs."""
    sums, busy, agents = ref["sums"].to_dict(), ref["busy"].to_dict(), ref["agents"].to_dict()
    waiting = {k: (int(n), oldest) for k, (n, oldest) in ref["waiting"].iterrows()}
    wrong = []
    for (seq, query), by_queue in results.items():
        for q, (counts, data) in by_queue.items():
            for window, c in counts.items():
                for name in COUNTERS:
                    want = sums.get((seq, query, q, window, name), 0.0)
                    if abs(getattr(c, name) - want) > 1e-6:
                        wrong.append((seq, query, q, window, name, getattr(c, name), want))
                for slot in ("busy_time", "available_time"):
                    want = busy.get((seq, query, q, window, slot), 0.0)
                    if abs(getattr(c, slot) - want) > 1e-6:
                        wrong.append((seq, query, q, window, slot, getattr(c, slot), want))
            got = (data["waiting"], data["longest_wait_since"])
            if got != waiting.get((seq, query, q), (0, None)):
                wrong.append((seq, query, q, "waiting", got, waiting.get((seq, query, q))))
            for state, n in data["agents"].items():
                if n != agents.get((seq, query, q, state), 0):
                    wrong.append((seq, query, q, state, n, agents.get((seq, query, q, state))))
    assert not wrong, wrong[:10]


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(st.lists(st.integers(0, 2**32 - 1), min_size=FEEDS, max_size=FEEDS))
def test_the_aggregator_equals_a_from_scratch_computation_on_any_feed(seeds) -> None:
    results, events, queries = run([feed(random.Random(seed)) for seed in seeds])
    if events.empty:
        return
    compare(results, reference(events, queries, LIMITS, TZ, MAX_SKEW))


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.integers(0, 2**32 - 1), min_size=20, max_size=20))
def test_a_leg_s_events_taken_together_give_the_figures_of_events_taken_one_by_one(seeds):
    """A flat-out replay hands a finished leg's story over at once (Aggregator.apply_leg,
    stamps trusted): any run of one leg's events in a messy feed (duplicates, re-stamps,
    late, out of order) taken together ends with the figures of the same events applied one
    at a time."""
    for seed in seeds:
        rng = random.Random(seed)
        delivered, end = feed(rng)
        alone, together = Aggregator(CONFIG), Aggregator(CONFIG)
        for _, env in delivered:
            alone.apply(env)
        i = 0
        while i < len(delivered):
            group = [delivered[i][1]]  # one leg's next events, 1 to 4 of them
            size = rng.randint(1, 4)
            while len(group) < size and i + len(group) < len(delivered):
                env = delivered[i + len(group)][1]
                if not _same_leg(env, group[0]):
                    break
                group.append(env)
            if _same_leg(group[0], group[0]):
                leg = group[0].data.get("leg", 1)
                together.apply_leg(group[0].id, leg, [(e.data["event"], event(e.ts, e.data))
                                                      for e in group])  # fmt: skip
            else:
                together.apply(group[0])
            i += len(group)
        now = max(end, alone._clock)
        assert figures(together, now) == figures(alone, now)


def _same_leg(env: Envelope, first: Envelope) -> bool:
    """Whether ``env`` is an event (not a deletion) of ``first``'s contact leg."""
    if env.kind != "contact" or first.kind != "contact" or env.deleted or first.deleted:
        return False
    return env.id == first.id and env.data.get("leg", 1) == first.data.get("leg", 1)
