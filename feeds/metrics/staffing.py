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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from feeds.metrics import formulas

MAX_STATES = 100_000  # queue-length states summed in Erlang A at most
TAIL = 45.0  # stop summing states e^45 times smaller than the largest (far below 1e-16)


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
        b, a = self._b, self.a
        while len(b) <= n:
            k = len(b)
            b.append(a * b[-1] / (k + a * b[-1]))
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
    if lam <= 0:
        return Outcome(1.0, 1.0, 0.0, 0.0)
    if n <= a:
        return Outcome(0.0, 1.0, 0.0, 0.0)
    c = erlang_c(n, a, b)
    return Outcome(1.0 - c * math.exp(-(n / aht - lam) * t), 1.0, 0.0, 0.0)


class _NegBinSurvival:
    """``P(X ≥ i + 1)`` for ``i = 0, 1, ...`` with ``X`` negative binomial (shape ``r``,
    success probability ``x``): the chance that ``i + 1`` exponential stages with the rates
    ``c + θ, c + 2θ, ...`` (``r = c ÷ θ + 1``, ``x = e^(−θt)``) all end within ``t``."""

    def __init__(self, r: float, x: float) -> None:
        self.r, self.j = r, 0
        self.log_q = math.log1p(-x) if x < 1.0 else -math.inf
        self.log_pmf = r * math.log(x) if x > 0.0 else -math.inf
        self.cdf = math.exp(self.log_pmf)

    def next(self) -> float:
        """The survival at the current ``i``, then step to ``i + 1``."""
        survival = max(0.0, 1.0 - self.cdf)
        self.j += 1
        self.log_pmf += math.log((self.r + self.j - 1) / self.j) + self.log_q
        self.cdf += math.exp(self.log_pmf)
        return survival


def outcome_a(
    n: int,
    lam: float,
    aht: float,
    patience: float,
    t: float,
    short: float,
    erlang_b_n: float | None = None,
) -> Outcome:
    """Erlang A. An arrival that finds ``i`` callers waiting (all ``n`` agents busy) reaches
    an agent only if ``i + 1`` stages end before its own patience; the stages, with rates
    ``nμ + kθ``, end by service of the head or abandonment of one ahead. Its chance of being
    answered is ``nμ ÷ (nμ + (i + 1)θ)``, within ``t`` times a negative-binomial survival; it
    abandons within ``s`` with ``1 − P(answered within s) − e^(−θs)·P(virtual wait > s)``."""
    if lam <= 0:
        return Outcome(1.0, 1.0, 0.0, 0.0)
    theta = 1.0 / patience
    if n <= 0:
        return Outcome(0.0, 0.0, -math.expm1(-theta * t), -math.expm1(-theta * short))
    a, nm = lam * aht, n / aht
    b = erlang_b(n, a) if erlang_b_n is None else erlang_b_n
    if b <= 0.0:
        return Outcome(1.0, 1.0, 0.0, 0.0)  # so many agents that nobody ever waits
    # Queue states n + i, relative to n: r_i = Π_{k=1..i} λ ÷ (nμ + kθ), in logarithms.
    logs = [0.0]
    peak, log_r, i = 0.0, 0.0, 0
    rising_until = (lam - nm) / theta
    while i < MAX_STATES:
        i += 1
        log_r += math.log(lam / (nm + i * theta))
        peak = max(peak, log_r)
        logs.append(log_r)
        if i > rising_until and log_r < peak - TAIL:
            break
    weights = [math.exp(v - peak) for v in logs]
    free = math.exp(math.log1p(-b) - math.log(b) - peak)  # states below n, relative to π_n
    total = free + math.fsum(weights)
    at_t = (_NegBinSurvival(nm / theta + 1, math.exp(-theta * t)),
            _NegBinSurvival(nm / theta, math.exp(-theta * t)))  # fmt: skip
    at_s = (_NegBinSurvival(nm / theta + 1, math.exp(-theta * short)),
            _NegBinSurvival(nm / theta, math.exp(-theta * short)))  # fmt: skip
    stay_t, stay_s = math.exp(-theta * t), math.exp(-theta * short)
    aw = answered = bw_t = bw_s = 0.0
    for i, w in enumerate(weights):
        served = nm / (nm + (i + 1) * theta)
        answered += w * served
        within_t = served * at_t[0].next()
        aw += w * within_t
        bw_t += w * (1.0 - within_t - stay_t * (1.0 - at_t[1].next()))
        bw_s += w * (1.0 - served * at_s[0].next() - stay_s * (1.0 - at_s[1].next()))
    p_free = free / total
    return Outcome(
        answered_within=p_free + aw / total,
        answered=p_free + answered / total,
        abandoned_within=max(0.0, bw_t / total),
        abandoned_short=max(0.0, bw_s / total),
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
        out = outcome_a(n, q.arrival_rate, q.aht, q.patience, q.threshold, q.short_abandon, bn)
    else:
        out = outcome_c(n, q.arrival_rate, q.aht, q.threshold, bn)
    return out.service_level(q.formula)


def _least(start: int, ok: Callable[[int], bool], cap: int) -> int | None:
    """The least ``n ≥ 0`` with ``ok(n)``, for ``ok`` monotone, searching out from ``start``."""
    if ok(start):
        lo, hi, step = start, start, 1  # ok(hi); look for a failing lo below
        while lo > 0:
            lo = max(0, hi - step)
            if not ok(lo):
                break
            hi, step = lo, step * 2
        else:
            return 0
    else:
        lo, hi, step = start, start + 1, 1  # not ok(lo); look for a passing hi above
        while not ok(hi):
            if hi >= cap:
                return None
            lo, hi, step = hi, min(cap, hi + step), step * 2
    while hi - lo > 1:  # not ok(lo), ok(hi)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def required_agents(q: Queue, model: str) -> int | None:
    """Least agents meeting the target (0 without arrivals); None if none can (target 1)."""
    if q.arrival_rate <= 0:
        return 0
    if q.target >= 1.0:
        return None  # every caller answered within T: no finite number of agents promises it
    a = q.traffic
    b = ErlangB(a)
    cap = math.ceil(a) + 1000 + math.ceil(20 * math.sqrt(a))

    def meets(n: int) -> bool:
        sl = service_level(q, n, model, b)
        return sl is not None and sl >= q.target

    start = max(1, math.floor(a) + 1)
    if model == "erlang_c" or not q.patience:
        # SL rises with n above the traffic: walk up from the least stable size.
        n = start
        while not meets(n):
            n += 1
            if n > cap:
                return None
        return n
    return _least(start, meets, cap)


def plan(q: Queue | None, agents: int, agents_effective: float, model: str) -> dict[str, Any]:
    """The ``staffing`` figures of a queue (schema :class:`feeds.bus.schema.Staffing` without
    its ``model`` and ``window``). ``q`` None: traffic unknown yet (no AHT), nothing required."""
    out: dict[str, Any] = {"agents": agents, "agents_effective": round(agents_effective, 2)}
    if q is None:
        return out
    now = round(agents_effective)
    req_c = required_agents(q, "erlang_c")
    req_a = required_agents(q, "erlang_a") if q.patience else req_c
    required = req_a if model == "erlang_a" else req_c
    projected = None if q.arrival_rate <= 0 else service_level(q, now, model)
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
