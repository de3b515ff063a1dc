"""Legs counted a column at a time (Aggregator.apply_told, Intraday.told: a flat-out replay)
give the figures and intervals of the same legs applied one at a time (Aggregator.apply_leg),
to the last bit, and a contact counted so moves its counts like any other when it comes again.

Days of finished legs crossing midnight (and the clocks' changes), with contacts told twice,
second legs, queues not configured, completions that do not say when they were answered and
abandons that do not say when they ended, taken in batches of every size; then re-delivered,
corrected and withdrawn through the live path."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_metrics_property import CONFIG, LIMITS, NIGHTS, QUEUES, _env, figures

from feeds.intraday.hours import Hours
from feeds.intraday.live import Intraday
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.contacts import Told, entries, story, told_entries


def finished(rng: random.Random, n: int) -> list[tuple[str, float, dict]]:
    """``n`` finished legs (id, time of the final event, its data), in the order they end."""
    night, out = rng.choice(NIGHTS), []
    for _ in range(n):
        start = night + rng.choice([rng.uniform(0, 30 * 3600), 300 * rng.randint(0, 360)])
        wait = rng.choice([0, 3, 4.5, 5, 15, 20, 25, 30, 60, 200, rng.uniform(0, 90)])  # sums
        # of the last kind differ in their last bits when added in another order
        data = {"leg": rng.choice([1, 1, 1, 2]), "queue": rng.choice(QUEUES), "channel": "voice",
                "customer_id": "AC1", "enqueued_at": start, "tags": []}  # fmt: skip
        if rng.random() < 0.35:
            ended = None if rng.random() < 0.1 else start + wait
            data |= {"event": "abandoned", "ended_at": ended}
            at = start + wait
        else:
            talk, hold, wrap = (
                rng.randint(0, 600),
                rng.choice([None, 0, 30]),
                rng.choice([None, 40]),
            )
            ended = start + wait + talk + (hold or 0)
            data |= {"event": "completed", "talk": talk, "hold": hold, "wrap": wrap,
                     "answered_at": None if rng.random() < 0.1 else start + wait,
                     "ended_at": ended, "agent_id": rng.choice(["a1", "a2", None, ""])}  # fmt: skip
            at = ended + (wrap or 0)
        out.append((f"c{rng.randint(0, n)}", at, data))  # ids repeat: contacts told again
    return sorted(out, key=lambda leg: leg[1])


Counting = tuple[Aggregator, Intraday, Hours]


def both() -> tuple[Counting, Counting]:
    one, many = Aggregator(CONFIG), Aggregator(CONFIG)
    return (one, Intraday(CONFIG, one), Hours(CONFIG)), (
        many,
        Intraday(CONFIG, many),
        Hours(CONFIG),
    )


def same(a: Counting, b: Counting, now: float) -> None:
    assert figures(a[0], now) == figures(b[0], now)
    assert a[0].remembered == b[0].remembered
    for q in LIMITS:
        assert a[1].day_rows(q, now) == b[1].day_rows(q, now)
    assert a[2].envelopes(now, "x") == b[2].envelopes(now, "x")  # agents' hours


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.integers(0, 2**32 - 1), min_size=8, max_size=8))
def test_legs_told_together_count_as_legs_told_one_by_one(seeds) -> None:
    for seed in seeds:
        rng = random.Random(seed)
        legs = finished(rng, rng.choice([1, 5, 40, 300]))
        a, b = both()
        i = 0
        while i < len(legs):
            batch = legs[i : i + rng.choice([1, 2, 7, 50, 1000])]
            b[0].apply_told(Told.of(batch))
            b[2].told(Told.of(batch))
            for cid, at, data in batch:
                a[0].apply_leg(cid, data["leg"], story(at, data))
                a[2].apply(_env("contact", cid, at, data), at)
            i += len(batch)
            same(a, b, batch[-1][1])
        # then the live path: a contact re-delivered, corrected, or withdrawn
        for cid, at, data in rng.sample(legs, min(len(legs), 10)):
            change = rng.choice(["again", "later", "other queue", "withdrawn"])
            if change == "withdrawn":
                env = _env("contact", cid, at + 5, {}, deleted=True)
            else:
                moved = {"later": {"enqueued_at": data["enqueued_at"] + 900},
                         "other queue": {"queue": rng.choice(QUEUES)}}.get(change, {})  # fmt: skip
                env = _env("contact", cid, at + (change != "again"), {**data, **moved})
            for counting in (a, b):
                counting[0].apply(env)
                counting[2].apply(env, env.ts)
            same(a, b, max(a[0]._clock, at + 5))


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_the_column_wise_entries_are_those_of_a_leg(seed) -> None:
    """told_entries lists, leg by leg and slot by slot, what entries() lists of the leg."""
    legs = [leg for leg in finished(random.Random(seed), 30)]
    told = Told.of(legs)
    at, index, amount = told_entries(told, LIMITS)
    whole = told.whole()
    for i, (cid, _, data) in enumerate(legs):
        events = told.story(i)
        assert events == story(legs[i][1], data)
        if not whole[i]:
            continue
        one = Aggregator(CONFIG)
        one.apply_leg(cid, data["leg"], events)
        leg = one._contacts[cid].legs[data["leg"]]
        listed = [(t, c, v) for t, c, v in zip(at[i], index[i], amount[i], strict=True)
                  if v == v]  # fmt: skip
        assert leg.applied == entries(leg, None, LIMITS)
        flat = tuple(x for triple in listed for x in triple)
        assert flat == leg.applied[1]
