"""Staffing: Erlang C against exact integer arithmetic, Erlang A against an independent method
(uniformisation of the arriving caller's own Markov chain, and exact fractions for the share
who abandon), for 1 to 500 agents; the search for the least agents; the edges."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from feeds.metrics import staffing
from feeds.metrics.staffing import Queue, erlang_b, erlang_c, outcome_a, outcome_c

SIG4 = 5e-5  # agreeing to 4 significant figures


def exact_erlang_c(n: int, a: Fraction) -> Fraction:
    """C(n, p/q) = p^n ÷ (N·(nq − p) + p^n), N = Σ_{k<n} p^k q^(n−1−k) (n−1)!/k!: integers only."""
    p, q = a.numerator, a.denominator
    big_n = 1  # N_0
    for m in range(1, n):
        big_n = big_n * m * q + p**m
    return Fraction(p**n, big_n * (n * q - p) + p**n)


@pytest.mark.parametrize("a", [Fraction(1, 2), Fraction(15, 4), Fraction(41, 2), Fraction(389, 4),
                               Fraction(481, 2), Fraction(1723, 4)])  # fmt: skip
def test_erlang_c_agrees_with_exact_arithmetic_from_1_to_500_agents(a: Fraction) -> None:
    for n in range(math.floor(a) + 1, 501):
        exact = float(exact_erlang_c(n, a))
        assert erlang_c(n, float(a)) == pytest.approx(exact, rel=SIG4, abs=1e-300), n


def test_erlang_b_needs_no_factorials() -> None:
    assert erlang_b(500, 480.0) == pytest.approx(0.01433, rel=1e-3)
    assert 0 < erlang_b(500, 1.0) < 1e-300 or erlang_b(500, 1.0) == 0.0  # underflows, no error
    assert erlang_c(500, 499.5) == pytest.approx(float(exact_erlang_c(500, Fraction(999, 2))))


def uniformised(n: int, lam: float, aht: float, patience: float, t: float) -> tuple[float, ...]:
    """Erlang A by another road: the stationary queue (products, in logs), then the arriving
    caller's chain (k ahead → k − 1 at nμ + kθ, served from 0 at nμ, abandons at θ) solved by
    uniformisation. Returns (answered within t, answered, abandoned within t)."""
    mu, theta = 1 / aht, 1 / patience
    a = lam * aht
    # P(j busy or waiting): j ≤ n Poisson-like, j > n products; normalised in logs.
    size = n + 4000
    logs = np.empty(size)
    logs[0] = 0.0
    for j in range(1, size):
        logs[j] = logs[j - 1] + (
            math.log(a / j) if j <= n else math.log(lam / (n * mu + (j - n) * theta))
        )
    pi = np.exp(logs - logs.max())
    pi /= pi.sum()
    free = pi[:n].sum()
    ahead = pi[n:]  # arrival finds i = 0, 1, ... waiting
    ahead = ahead[: np.nonzero(ahead > 1e-22)[0].max() + 1]  # the rest cannot matter
    k = np.arange(len(ahead))
    progress = n * mu + k * theta
    rate = progress.max() + theta
    lt = rate * t
    mass = ahead.copy()
    served = abandoned = 0.0
    served_by = abandoned_by = 0.0
    j = 0
    while True:
        # Poisson(lt) chance of exactly j jumps by t, times what j jumps have absorbed
        weight = math.exp(j * math.log(lt) - lt - math.lgamma(j + 1))
        served_by += weight * served
        abandoned_by += weight * abandoned
        if j > lt and weight < 1e-18:
            break
        step_served = mass[0] * (n * mu) / rate
        step_abandoned = mass.sum() * theta / rate
        moved = mass * (progress / rate)
        stay = mass * (1 - (progress + theta) / rate)
        mass = stay + np.append(moved[1:], 0.0)
        served += step_served
        abandoned += step_abandoned
        j += 1
    served_total = float(np.sum(ahead * n * mu / (n * mu + (k + 1) * theta)))
    return free + served_by, free + served_total, abandoned_by


def exact_abandon_share(n: int, lam: Fraction, mu: Fraction, theta: Fraction) -> Fraction:
    """Rate conservation: abandons per second = θ·E[queue], so P(abandon) = θ·E[Q] ÷ λ."""
    a = lam / mu
    weights = [Fraction(1)]
    for j in range(1, n + 1):
        weights.append(weights[-1] * a / j)
    queue = [weights[n]]
    while True:
        nxt = queue[-1] * lam / (n * mu + len(queue) * theta)
        queue.append(nxt)
        if nxt * 10**25 < queue[0] and len(queue) > (lam - n * mu) / theta:
            break
    total = sum(weights[:n]) + sum(queue)
    mean_queue = sum(i * w for i, w in enumerate(queue)) / total
    return theta * mean_queue / lam


CASES = [(n, rho) for n in (1, 2, 3, 5, 8, 13, 34, 89, 233, 500) for rho in (0.7, 1.0, 1.3)]


@pytest.mark.parametrize(("n", "rho"), CASES)
def test_erlang_a_agrees_with_an_independent_method(n: int, rho: float) -> None:
    aht, patience, t = 240.0, 90.0, 20.0
    lam = rho * n / aht
    out = outcome_a(n, lam, aht, patience, t, t)
    within, answered, gave_up = uniformised(n, lam, aht, patience, t)
    assert out.answered_within == pytest.approx(within, rel=SIG4)
    assert out.answered == pytest.approx(answered, rel=SIG4)
    assert out.abandoned_within == pytest.approx(gave_up, rel=SIG4, abs=1e-12)
    assert out.abandoned_short == pytest.approx(gave_up, rel=SIG4, abs=1e-12)  # s = t here
    exact = exact_abandon_share(n, Fraction(lam), Fraction(1, 240), Fraction(1, 90))
    assert 1 - out.answered == pytest.approx(float(exact), rel=SIG4)


def test_erlang_a_without_abandonment_is_erlang_c() -> None:
    a, c = outcome_a(30, 0.1, 250.0, 1e9, 20, 5), outcome_c(30, 0.1, 250.0, 20)
    assert a.answered_within == pytest.approx(c.answered_within, rel=1e-5)


def q(rate: float, aht: float = 300.0, patience: float | None = 120.0, **kw) -> Queue:
    return Queue(arrival_rate=rate, aht=aht, patience=patience, threshold=kw.get("t", 20.0),
                 short_abandon=5.0, target=kw.get("target", 0.8),
                 formula=kw.get("formula", "short_abandons_excluded"))  # fmt: skip


@pytest.mark.parametrize("model", ["erlang_c", "erlang_a"])
@pytest.mark.parametrize("rate", [0.01, 0.2, 1.0, 600 / 300])
def test_required_agents_is_the_least_meeting_the_target(model: str, rate: float) -> None:
    queue = q(rate)
    n = staffing.required_agents(queue, model)
    assert n is not None
    assert staffing.service_level(queue, n, model) >= 0.8
    assert n == 1 or staffing.service_level(queue, n - 1, model) < 0.8
    if model == "erlang_c":
        assert n > queue.traffic


def test_staffing_edges() -> None:
    assert staffing.required_agents(q(0.0), "erlang_c") == 0  # no arrivals, nobody needed
    assert staffing.service_level(q(1.0), 100, "erlang_c") == 0.0  # 300 Erlangs on 100 agents
    assert staffing.service_level(q(1.0), 100, "erlang_a") > 0.0  # callers hang up: finite
    assert staffing.service_level(q(1.0), 0, "erlang_a") == 0.0
    assert staffing.required_agents(q(0.5, target=1.0), "erlang_c") is None  # never exactly 100%
    big = staffing.required_agents(q(500 / 300, patience=None), "erlang_a")  # 500 Erlangs
    assert 500 < big < 560
    assert staffing.required_agents(q(1.0, formula="abandons_ignored"), "erlang_a") is not None


def test_plan_reports_the_gap_against_the_effective_agents() -> None:
    queue = q(0.2)  # 60 Erlangs
    plan = staffing.plan(queue, agents=70, agents_effective=55.4, model="erlang_a")
    assert plan["required"] == plan["required_erlang_a"] <= plan["required_erlang_c"]
    assert plan["gap"] == plan["required"] - 55
    assert plan["traffic"] == 60.0 and plan["arrivals_per_hour"] == 720.0
    assert 0 <= plan["projected_sl"] <= 1
    quiet = staffing.plan(q(0.0), agents=3, agents_effective=3.0, model="erlang_c")
    assert (quiet["required"], quiet["gap"], quiet["projected_sl"]) == (0, -3, None)
    assert staffing.plan(None, 2, 1.5, "erlang_a") == {"agents": 2, "agents_effective": 1.5}
