"""Staffing from queueing theory: how many agents a queue needs to meet its service level.

Two models of a queue with ``n`` agents, Poisson arrivals at ``λ`` a second and exponential
handling with mean AHT (service rate ``μ = 1 ÷ AHT``, traffic ``a = λ × AHT`` Erlangs):

- **Erlang C** (M/M/n): callers never hang up. ``P(wait) = C(n, a)`` and the share answered
  within T is ``1 − C·e^(−(nμ − λ)·T)``; with ``n ≤ a`` the queue grows without end (SL 0).
- **Erlang A** (M/M/n+M, Palm): callers give up after an exponential patience with the mean
  observed on the queue (``θ = 1 ÷ patience``), so the queue is finite even when ``n ≤ a``.

Both give, for one arriving contact, the probabilities of being answered within T, answered at
all, abandoned within T and abandoned within the short-abandon time; a queue's own service-level
formula (:mod:`feeds.metrics.formulas`) is applied to those, so the projected figure means what
the tile means. The derivations are in docs/metrics.md.

Numerics: no factorials or powers that overflow. Erlang B comes from its recursion
``B(k) = a·B(k−1) ÷ (k + a·B(k−1))``, the Erlang A state probabilities are summed in logarithms
relative to their largest term, and the waiting-time distributions use the negative-binomial
form of the incomplete beta function, a sum of positive terms. Hundreds of agents are fine.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from feeds.metrics import formulas

MAX_STATES = 100_000  # queue-length states summed in Erlang A at most
TAIL = 1e-18  # stop summing states this much smaller than the largest (below float precision)


@dataclass(frozen=True)
class Outcome:
    """What happens to one arriving contact, as probabilities."""

    answered_within: float  # answered after waiting at most T
    answered: float
    abandoned_within: float  # abandoned after waiting at most T
    abandoned_short: float  # abandoned in less than the short-abandon time

    def service_level(self, formula: str) -> float | None:
        counts = formulas.Counts(
            offered=1.0, answered=self.answered, answered_in_threshold=self.answered_within,
            abandoned=1.0 - self.answered, abandoned_in_threshold=self.abandoned_within,
            short_abandoned=self.abandoned_short,
        )  # fmt: skip
        return formulas.service_level(formula, counts)


class ErlangB:
    """Erlang B blocking probabilities ``B(n, a)`` for one traffic, extended as asked."""

    def __init__(self, a: float) -> None:
        self.a = a
        self._b = [1.0]

    def __call__(self, n: int) -> float:
        b = self._b
        if n >= len(b):
            a, last = self.a, b[-1]
            for k in range(len(b), n + 1):
                last = a * last / (k + a * last)
                b.append(last)
        return b[n]


def erlang_b(n: int, a: float) -> float:
    """Probability that all ``n`` agents are busy in a loss system offered ``a`` Erlangs."""
    return ErlangB(a)(n)


def erlang_c(n: int, a: float, b: float | None = None) -> float:
    """Probability that a caller waits (all ``n`` agents busy); 1 when ``n ≤ a``."""
    if n <= a:
        return 1.0
    b = erlang_b(n, a) if b is None else b
    return n * b / (n - a * (1.0 - b))


def outcome_c(n: int, lam: float, aht: float, t: float, b: float | None = None) -> Outcome:
    """Erlang C: nobody abandons; answered within T is ``1 − C·e^(−(nμ − λ)·T)``."""
    a = lam * aht
    if lam <= 0 or aht <= 0:
        return Outcome(1.0, 1.0, 0.0, 0.0)  # no arrivals, or no work in them: nobody waits
    if n <= a:
        return Outcome(0.0, 1.0, 0.0, 0.0)
    c = erlang_c(n, a, b)
    return Outcome(1.0 - c * math.exp(-(n / aht - lam) * t), 1.0, 0.0, 0.0)


def _survival_sum(weights: list[float], factors: list[float] | None, r: float, x: float) -> float:
    """``Σ_i weights[i] × factors[i] × P(X ≥ i + 1)`` for ``X`` negative binomial (shape ``r``,
    success probability ``x``): ``P(X ≥ i + 1)`` is the chance that ``i + 1`` exponential stages
    with the rates ``c + θ, c + 2θ, ...`` (``r = c ÷ θ + 1``, ``x = e^(−θt)``) all end within
    ``t``. The pmf runs by its ratio ``(r + i) ÷ (i + 1) × (1 − x)``, in logarithms only while
    it is too small for a float; the sum stops once the survival is negligible."""
    if x <= 0.0:
        return sum(map(operator.mul, weights, factors)) if factors is not None else sum(weights)
    q = -math.expm1(math.log(x))  # 1 − x, accurately for x near 1
    log_pmf = r * math.log(x)
    pmf = math.exp(log_pmf) if log_pmf > -700.0 else 0.0
    factors = factors if factors is not None else [1.0] * len(weights)
    cdf = acc = 0.0
    for i, w in enumerate(weights):
        cdf += pmf
        survival = 1.0 - cdf
        if survival < 1e-17:
            break
        acc += w * survival * factors[i]
        if pmf > 0.0:
            pmf *= (r + i) / (i + 1) * q
        else:
            log_pmf += math.log((r + i) / (i + 1) * q)
            pmf = math.exp(log_pmf) if log_pmf > -700.0 else 0.0
    return acc


def outcome_a(
    n: int,
    lam: float,
    aht: float,
    patience: float,
    t: float,
    short: float | None,
    erlang_b_n: float | None = None,
    within: bool = True,
) -> Outcome:
    """Erlang A. An arrival that finds ``i`` callers waiting (all ``n`` agents busy) reaches
    an agent only if ``i + 1`` stages end before its own patience; the stages, with rates
    ``nμ + kθ``, end by service of the head or abandonment of one ahead. Its chance of being
    answered is ``nμ ÷ (nμ + (i + 1)θ)``, within ``t`` times a negative-binomial survival; it
    abandons within ``s`` with ``1 − P(answered within s) − e^(−θs)·P(virtual wait > s)``.

    What a formula does not use can be left out (NaN): ``short`` None, ``within`` False."""
    if lam <= 0 or aht <= 0:
        return Outcome(1.0, 1.0, 0.0, 0.0)
    theta = 1.0 / patience
    if n <= 0:
        gone = -math.expm1(-theta * short) if short is not None else math.nan
        return Outcome(0.0, 0.0, -math.expm1(-theta * t), gone)
    a, nm = lam * aht, n / aht
    b = erlang_b(n, a) if erlang_b_n is None else erlang_b_n
    if b <= 0.0:
        return Outcome(1.0, 1.0, 0.0, 0.0)  # so many agents that nobody ever waits
    # Queue states n + i relative to n: r_i = Π_{k=1..i} λ ÷ (nμ + kθ), with the states below
    # n worth (1 − B) ÷ B; rescaled whenever a float could overflow (a deep overload).
    free = (1.0 - b) / b
    weights = [1.0]
    r, peak, i = 1.0, 1.0, 0
    rising_until = (lam - nm) / theta
    while i < MAX_STATES:
        i += 1
        r *= lam / (nm + i * theta)
        if r > 1e250:
            weights = [w * 1e-250 for w in weights]
            free, r, peak = free * 1e-250, r * 1e-250, peak * 1e-250
        weights.append(r)
        if r > peak:
            peak = r
        elif i > rising_until and r < peak * TAIL:
            break
    queue = sum(weights)  # positive terms: no cancellation to guard against
    total = free + queue
    served = [nm / (nm + (k + 1) * theta) for k in range(len(weights))]
    answered = sum(map(operator.mul, weights, served))
    r_in, r_virtual = nm / theta + 1.0, nm / theta
    x_t = math.exp(-theta * t)
    aw_t = _survival_sum(weights, served, r_in, x_t)

    def abandoned_within(s: float | None) -> float:
        """Abandoned within ``s``: Σ w·(1 − served·S_in(s) − e^(−θs)·(1 − S_virtual(s)))."""
        if s is None:
            return math.nan  # not asked for
        x = math.exp(-theta * s)
        aw = aw_t if x == x_t else _survival_sum(weights, served, r_in, x)
        return max(0.0, queue * (1.0 - x) - aw + x * _survival_sum(weights, None, r_virtual, x))

    p_free = free / total
    return Outcome(
        answered_within=p_free + aw_t / total,
        answered=p_free + answered / total,
        abandoned_within=abandoned_within(t if within else None) / total,
        abandoned_short=abandoned_within(short) / total,
    )


@dataclass(frozen=True)
class Queue:
    """What staffing needs to know of a queue: its recent traffic and its target."""

    arrival_rate: float  # contacts a second
    aht: float  # seconds
    patience: float | None  # mean seconds; None: nobody abandons (Erlang A becomes Erlang C)
    threshold: float  # the service-level threshold T, seconds
    short_abandon: float  # seconds
    target: float  # the service-level target, 0..1
    formula: str = "short_abandons_excluded"  # the queue's service-level formula

    @property
    def traffic(self) -> float:
        return self.arrival_rate * self.aht


def service_level(q: Queue, n: int, model: str, b: ErlangB | None = None) -> float | None:
    """The service level ``n`` agents would give the queue, by the queue's formula."""
    bn = b(n) if b is not None and n > 0 else None
    if model == "erlang_a" and q.patience:
        short = q.short_abandon if q.formula == "short_abandons_excluded" else None
        within = q.formula in ("threshold_abandons_for", "threshold_abandons_excluded")
        out = outcome_a(n, q.arrival_rate, q.aht, q.patience, q.threshold, short, bn, within=within)
    else:  # nobody abandons: every formula is the share answered within T
        return outcome_c(n, q.arrival_rate, q.aht, q.threshold, bn).answered_within
    return out.service_level(q.formula)


def _least(sl: Callable[[int], float], target: float, start: int, cap: int) -> int | None:
    """The least ``n ≥ 0`` with ``sl(n) ≥ target``, for ``sl`` rising with ``n``.

    Brackets the answer from ``start`` (down to 0, or up by doubling steps), then narrows the
    bracket by interpolating on the values (bisecting when one side stalls): a handful of
    evaluations for a smooth curve, where plain bisection needs two per halving."""
    lo, hi = 0, max(1, start)
    v_lo, v_hi = sl(lo), sl(hi)
    if v_lo >= target:
        return 0
    step = hi
    while v_hi < target:
        if hi >= cap:
            return None
        lo, v_lo = hi, v_hi
        hi = min(cap, hi + step)
        step *= 2
        v_hi = sl(hi)
    stalled = 0
    while hi - lo > 1:
        if stalled < 2 and v_hi > v_lo:
            guess = lo + (target - v_lo) * (hi - lo) / (v_hi - v_lo)
            mid = min(hi - 1, max(lo + 1, round(guess)))
        else:
            mid, stalled = (lo + hi) // 2, 0
        v = sl(mid)
        if v >= target:
            stalled = stalled + 1 if hi - mid == 1 else 0
            hi, v_hi = mid, v
        else:
            stalled = stalled + 1 if mid - lo == 1 else 0
            lo, v_lo = mid, v
    return hi


class Curve:
    """One queue's service level by number of agents under one model, each n worked out once
    (the search for the least agents and the projection often ask for the same n)."""

    def __init__(self, q: Queue, model: str, b: ErlangB | None = None) -> None:
        self.q, self.model = q, model
        self.b = ErlangB(q.traffic) if b is None else b
        self._values: dict[int, float | None] = {}

    def __call__(self, n: int) -> float | None:
        if n not in self._values:
            self._values[n] = service_level(self.q, n, self.model, self.b)
        return self._values[n]


def required_agents(q: Queue, model: str, curve: Curve | None = None, near: int | None = None
                    ) -> int | None:  # fmt: skip
    """Least agents meeting the target (0 without arrivals); None if none can (target 1).

    ``curve``: the queue's :class:`Curve` for ``model``, if the caller has one; ``near``: where
    to start looking (Erlang A's answer is often near Erlang C's)."""
    if q.arrival_rate <= 0 or q.aht <= 0:
        return 0
    if q.target >= 1.0:
        return None  # every caller answered within T: no finite number of agents promises it
    a = q.traffic
    curve = Curve(q, model) if curve is None else curve
    cap = math.ceil(a) + 1000 + math.ceil(20 * math.sqrt(a))
    start = max(1, math.floor(a) + 1)
    if model == "erlang_c" or not q.patience:
        # SL rises with n above the traffic: walk up from the least stable size.
        n = start
        while (curve(n) or 0.0) < q.target:
            n += 1
            if n > cap:
                return None
        return n
    # Erlang A: its SL is defined for any n, and the least n meeting it may lie below a.
    return _least(lambda n: curve(n) or 0.0, q.target, near or start, cap)


def plan(q: Queue | None, agents: int, agents_effective: float, model: str) -> dict[str, Any]:
    """The ``staffing`` figures of a queue (schema :class:`feeds.bus.schema.Staffing` without
    its ``model`` and ``window``). ``q`` None: traffic unknown yet (no AHT), nothing required."""
    out: dict[str, Any] = {"agents": agents, "agents_effective": round(agents_effective, 2)}
    if q is None:
        return out
    now = round(agents_effective)
    b = ErlangB(q.traffic)
    curves = {m: Curve(q, m, b) for m in ("erlang_c", "erlang_a")}
    req_c = required_agents(q, "erlang_c", curves["erlang_c"])
    req_a = required_agents(q, "erlang_a", curves["erlang_a"], near=req_c) if q.patience else req_c
    required = req_a if model == "erlang_a" else req_c
    projected = None if q.arrival_rate <= 0 else curves[model](now)
    return {
        **out,
        "arrivals_per_hour": round(q.arrival_rate * 3600, 2),
        "aht": q.aht,
        "patience": q.patience,
        "traffic": round(q.traffic, 3),
        "required": required,
        "required_erlang_c": req_c,
        "required_erlang_a": req_a,
        "projected_sl": projected,
        "gap": None if required is None else required - now,
    }
