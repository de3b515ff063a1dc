"""Contact-centre metrics as pure functions of counters: every definition, written once.

They take counters rather than event lists so the aggregator, an ACD adapter, a board roll-up
and a history summary all compute a figure the same way. Each rate returns ``None`` when its
denominator is zero: a wall screen must show "no data yet", never a 0 % or 100 % that nobody
earned. The formulas are listed, with their names in the config, in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

# The counters of one queue over one window, in the order the aggregator keeps them.
COUNTERS = (
    "offered", "answered", "answered_in_threshold", "answer_wait", "abandoned",
    "short_abandoned", "abandoned_in_threshold", "abandon_wait", "handled", "handle_time",
    "transferred",
)  # fmt: skip
(
    OFFERED, ANSWERED, ANSWERED_IN_THRESHOLD, ANSWER_WAIT, ABANDONED, SHORT_ABANDONED,
    ABANDONED_IN_THRESHOLD, ABANDON_WAIT, HANDLED, HANDLE_TIME, TRANSFERRED,
) = range(len(COUNTERS))  # fmt: skip

WINDOW_SECONDS = {"15m": 900, "30m": 1800, "60m": 3600}  # the rolling windows; "today" too
WINDOW_LABELS = {"today": "today", "15m": "last 15 min", "30m": "last 30 min", "60m": "last hour"}


@dataclass(frozen=True)
class Counts:
    """What happened on one queue in one window (see docs/metrics.md for what each counts)."""

    offered: float = 0
    answered: float = 0
    answered_in_threshold: float = 0  # answered after waiting at most the SL threshold
    answer_wait: float = 0.0  # total queue time of the answered
    abandoned: float = 0
    short_abandoned: float = 0  # abandoned in less than the short-abandon time
    abandoned_in_threshold: float = 0  # abandoned after waiting at most the SL threshold
    abandon_wait: float = 0.0  # total queue time of the abandoned
    handled: float = 0  # completed
    handle_time: float = 0.0  # talk + hold + wrap of the handled
    transferred: float = 0  # legs followed by another leg of the same contact
    busy_time: float = 0.0  # agent-seconds on contact or in wrap (agents of the queue)
    available_time: float = 0.0  # agent-seconds available

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Counts:
        """The counters in a ``queue`` item's data (missing ones are 0)."""
        return cls(*[data.get(name) or 0 for name in _NAMES])

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def __sub__(self, other: Counts) -> Counts:
        """What happened in one window and not in a shorter one inside it (30 min − 15 min:
        the quarter hour before the last)."""
        return Counts(*(a - b for a, b in zip(_values(self), _values(other), strict=True)))


# Its fields' names, read once: a board's chart rolls up queues' intervals on every update,
# and dataclasses.fields / asdict cost more than the sums.
_NAMES = tuple(f.name for f in fields(Counts))
_values: Callable[[Counts], tuple[float, ...]] = attrgetter(*_NAMES)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


# Service level: (numerator, denominator) by formula name. A_T answered within the threshold T,
# A answered, B abandoned, B_T abandoned within T, B_s short abandons.
SL_FORMULAS: dict[str, Callable[[Counts], tuple[float, float]]] = {
    # A_T ÷ A: only callers who reached an agent.
    "abandons_ignored": lambda c: (c.answered_in_threshold, c.answered),
    # A_T ÷ (A + B): every abandon is a contact the centre failed to answer in time.
    "abandons_against": lambda c: (c.answered_in_threshold, c.answered + c.abandoned),
    # (A_T + B_T) ÷ (A + B): a caller who gave up within T was not failed by the centre.
    "threshold_abandons_for": lambda c: (
        c.answered_in_threshold + c.abandoned_in_threshold,
        c.answered + c.abandoned,
    ),
    # A_T ÷ (A + B − B_T): abandons within T leave the count altogether.
    "threshold_abandons_excluded": lambda c: (
        c.answered_in_threshold,
        c.answered + c.abandoned - c.abandoned_in_threshold,
    ),
    # A_T ÷ (A + B − B_s): the DESIGN default; misdials and instant hang-ups leave the count.
    "short_abandons_excluded": lambda c: (
        c.answered_in_threshold,
        c.answered + c.abandoned - c.short_abandoned,
    ),
}
SL_LABELS = {
    "abandons_ignored": "abandons ignored",
    "abandons_against": "abandons count against",
    "threshold_abandons_for": "abandons within threshold count for",
    "threshold_abandons_excluded": "abandons within threshold excluded",
    "short_abandons_excluded": "short abandons excluded",
}

# Abandon rate: (numerator, denominator) by formula name; O offered.
ABANDON_FORMULAS: dict[str, Callable[[Counts], tuple[float, float]]] = {
    # (B − B_s) ÷ (O − B_s): the DESIGN default.
    "short_abandons_excluded": lambda c: (
        c.abandoned - c.short_abandoned,
        c.offered - c.short_abandoned,
    ),
    "all_abandons": lambda c: (c.abandoned, c.offered),  # B ÷ O
}


def service_level(formula: str, c: Counts) -> float | None:
    """Share of contacts answered within the threshold, by the named formula."""
    return _ratio(*SL_FORMULAS[formula](c))


def abandon_rate(formula: str, c: Counts) -> float | None:
    """Share of offered contacts that gave up, by the named formula."""
    return _ratio(*ABANDON_FORMULAS[formula](c))


def asa(total_answer_wait: float, answered: float) -> float | None:
    """Average speed of answer: the mean queue time of the contacts that were answered."""
    return _ratio(total_answer_wait, answered)


def handle_time(data: Mapping[str, Any]) -> float | None:
    """Talk + hold + wrap of a contact event: the work it cost an agent; None when the feed
    gave none of the three (an unknown handle time is not a zero one)."""
    parts = [v for v in (data.get("talk"), data.get("hold"), data.get("wrap")) if v is not None]
    return sum(parts) if parts else None


def aht(total_handle_time: float, handled: float) -> float | None:
    """Average handle time (talk + hold + wrap): the work each contact costs an agent."""
    return _ratio(total_handle_time, handled)


def occupancy(busy_time: float, available_time: float) -> float | None:
    """Share of agents' ready time spent on contacts: busy ÷ (busy + available).

    Away and offline time is neither: a break does not make the floor look idle.
    """
    return _ratio(busy_time, busy_time + available_time)


def patience(c: Counts) -> float | None:
    """Mean patience of callers (seconds), for Erlang A: the censored-exponential estimate.

    Every caller who waited was "at risk" of abandoning for as long as they waited, answered or
    not; patience = total waiting time ÷ abandons. No abandons: unknown (None), not infinite.
    """
    return _ratio(c.answer_wait + c.abandon_wait, c.abandoned)


def figures(c: Counts, sl_formula: str, abandon_formula: str) -> dict[str, float | None]:
    """Every rate of one queue and window, by the queue's chosen definitions."""
    return {
        "service_level": service_level(sl_formula, c),
        "asa": asa(c.answer_wait, c.answered),
        "aht": aht(c.handle_time, c.handled),
        "abandon_rate": abandon_rate(abandon_formula, c),
        "occupancy": occupancy(c.busy_time, c.available_time),
    }


def estimated_wait(
    waiting: int,
    available: int,
    working: float,
    aht: float | None,
    asa: float | None,
    patience: float | None = None,
) -> float | None:
    """Seconds a contact joining the queue now can expect to wait before an agent answers.

    The newcomer is ``waiting + 1`` in line. If more agents are free than contacts wait, it is
    answered at once (0). Otherwise ``J = waiting − available`` contacts are ahead of it that no
    free agent covers. Agents free up at ``μ = working ÷ AHT`` a second, where ``working`` is the
    queue's agents (available, on contact, in wrap) counted by the share of their time this
    queue gets (a blended agent serving two equally busy queues counts ½; the aggregator works
    the shares out). While ``k`` are ahead, each of them may also give up, at ``1 ÷ patience``
    a second each, so the line ahead shortens at ``μ + k ÷ patience``::

        wait = Σ_{k=0..J} 1 ÷ (μ + k ÷ patience)

    Without abandonment (patience unknown) this is ``(J + 1) × AHT ÷ working``. Before anyone
    has finished a contact (no AHT) the ASA stands in. With nobody working the queue there is
    no estimate (None).
    """
    if available > waiting:
        return 0.0
    if working <= 0:
        return None
    if aht is None or aht <= 0:
        return asa
    rate = working / aht
    ahead = waiting - available
    if not patience:
        return (ahead + 1) / rate
    theta = 1.0 / patience
    return sum(1.0 / (rate + k * theta) for k in range(ahead + 1))


def rollup(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Several queues' ``queue`` data as one: counters summed, rates re-derived, never averaged.

    Each queue's service level and abandon rate keep their own formula: the board's figure is
    the sum of the queues' numerators over the sum of their denominators. ``window`` is the
    common window, or None when the queues' windows differ (their counts then cover different
    spans, and the board should say so). Waiting is summed; the longest wait is the oldest.
    Agents are not summed here: a blended agent would count once per queue.
    """
    items = list(items)
    total = Counts()
    sl = [0.0, 0.0]
    ab = [0.0, 0.0]
    for d in items:
        c = Counts.of(d)
        total += c
        for acc, table, name in (
            (sl, SL_FORMULAS, d.get("sl_formula") or "short_abandons_excluded"),
            (ab, ABANDON_FORMULAS, d.get("abandon_formula") or "short_abandons_excluded"),
        ):
            num, den = table[name](c)
            acc[0] += num
            acc[1] += den
    windows = {d.get("window") for d in items}
    since = [d["longest_wait_since"] for d in items if d.get("longest_wait_since") is not None]
    return {
        **dict(zip(_NAMES, _values(total), strict=True)),
        "window": windows.pop() if len(windows) == 1 else None,
        "queues": len(items),
        "waiting": sum(d.get("waiting", 0) for d in items),
        "longest_wait_since": min(since, default=None),
        "service_level": _ratio(*sl),
        "asa": asa(total.answer_wait, total.answered),
        "aht": aht(total.handle_time, total.handled),
        "abandon_rate": _ratio(*ab),
        "occupancy": occupancy(total.busy_time, total.available_time),
    }


def definition(window: str, sl_formula: str) -> str:
    """The window and the service-level formula in words: "today · short abandons excluded"."""
    return f"{WINDOW_LABELS[window]} · {SL_LABELS[sl_formula]}"


def basis(window: str, sl_formula: str, sl_threshold: float) -> str:
    """What a tile's figures are, in a few words: "today · SL 20 s, short abandons excluded"."""
    return f"{WINDOW_LABELS[window]} · SL {sl_threshold:g} s, {SL_LABELS[sl_formula]}"
