"""Contact-centre metrics as pure functions of day counters.

They take counters rather than event lists so the aggregator, an ACD adapter and a history
summary all compute a figure the same way. Each returns ``None`` when its denominator is zero:
a wall screen must show "no data yet", never a 0 % or 100 % that nobody earned.
"""

from __future__ import annotations


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def service_level(
    answered_in_threshold: int, answered: int, abandoned: int, short_abandoned: int
) -> float | None:
    """Share of contacts answered within the threshold (the DESIGN default variant).

    Short abandons (callers who hung up before anyone could have answered) are left out of the
    denominator so a burst of misdials does not punish the floor; every other abandon counts
    as a contact the centre failed to answer in time.
    """
    return _ratio(answered_in_threshold, answered + abandoned - short_abandoned)


def asa(total_answer_wait: float, answered: int) -> float | None:
    """Average speed of answer: the mean queue time of the contacts that were answered."""
    return _ratio(total_answer_wait, answered)


def aht(total_handle_time: float, handled: int) -> float | None:
    """Average handle time (talk + hold + wrap): the work each contact costs an agent."""
    return _ratio(total_handle_time, handled)


def abandon_rate(abandoned: int, short_abandoned: int, offered: int) -> float | None:
    """Share of real attempts that gave up; short abandons leave numerator and denominator."""
    return _ratio(abandoned - short_abandoned, offered - short_abandoned)


def estimated_wait(
    waiting: int, available: int, working: int, aht: float | None, asa: float | None
) -> float | None:
    """Seconds a contact joining the queue now can expect to wait, to set a caller's expectations.

    The newcomer is ``waiting + 1`` in line. If more agents are free than contacts wait, it is
    answered at once (0). Otherwise ``waiting + 1 - available`` contacts must be taken by agents
    as they finish; the ``working`` agents of the queue (available, on contact or in wrap-up)
    each finish one contact per AHT on average, so the line moves at ``working / aht``
    contacts a second::

        wait = (waiting + 1 - available) × AHT ÷ working

    Blended agents also serve other queues, so this leans optimistic when those queues are busy
    too. Before anyone has finished a contact today (no AHT) the day's ASA, the average wait of
    answered contacts, stands in. With nobody working the queue there is no estimate (None).
    """
    if available > waiting:
        return 0.0
    if working <= 0:
        return None
    if aht is None:
        return asa
    return (waiting + 1 - available) * aht / working
