"""The metric definitions of docs/metrics.md, with the edge cases a wall screen meets at 00:01."""

import pytest

from feeds.metrics import formulas as metrics
from feeds.metrics.formulas import Counts

# 10 offered; 7 answered, 6 of them within the threshold; 3 abandoned: 1 short (also within
# the threshold), 1 more within the threshold, 1 after it.
DAY = Counts(
    offered=10, answered=7, answered_in_threshold=6, answer_wait=84.0, abandoned=3,
    short_abandoned=1, abandoned_in_threshold=2, abandon_wait=70.0, handled=4,
    handle_time=1200.0, transferred=1, busy_time=900.0, available_time=300.0,
)  # fmt: skip


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("abandons_ignored", 6 / 7),
        ("abandons_against", 6 / 10),
        ("threshold_abandons_for", (6 + 2) / 10),
        ("threshold_abandons_excluded", 6 / (10 - 2)),
        ("short_abandons_excluded", 6 / (10 - 1)),
    ],
)
def test_the_five_service_level_formulas(formula, expected):
    assert metrics.service_level(formula, DAY) == pytest.approx(expected)


@pytest.mark.parametrize("formula", sorted(metrics.SL_FORMULAS))
def test_service_level_without_contacts_is_unknown(formula):
    assert metrics.service_level(formula, Counts()) is None
    # only short abandons: nothing the centre could have answered (where they leave the count)
    only_short = Counts(offered=2, abandoned=2, short_abandoned=2, abandoned_in_threshold=2)
    value = metrics.service_level(formula, only_short)
    assert value is None or 0 <= value <= 1


def test_abandon_rate_with_and_without_short_abandons():
    assert metrics.abandon_rate("short_abandons_excluded", DAY) == pytest.approx(2 / 9)
    assert metrics.abandon_rate("all_abandons", DAY) == pytest.approx(3 / 10)
    only_short = Counts(offered=2, abandoned=2, short_abandoned=2)
    assert metrics.abandon_rate("short_abandons_excluded", only_short) is None
    assert metrics.abandon_rate("all_abandons", only_short) == 1.0
    assert metrics.abandon_rate("all_abandons", Counts(offered=4)) == 0.0


def test_asa_aht_occupancy_patience():
    assert metrics.asa(84.0, 7) == pytest.approx(12.0)
    assert metrics.asa(0.0, 0) is None
    assert metrics.aht(900.0, 3) == pytest.approx(300.0)
    assert metrics.aht(0.0, 0) is None
    assert metrics.occupancy(900.0, 300.0) == pytest.approx(0.75)
    assert metrics.occupancy(0.0, 0.0) is None  # everyone away: not 0 % busy
    assert metrics.patience(DAY) == pytest.approx((84 + 70) / 3)
    assert metrics.patience(Counts(answered=3, answer_wait=30.0)) is None


def test_figures_follow_the_chosen_definitions():
    f = metrics.figures(DAY, "abandons_against", "all_abandons")
    assert f == pytest.approx(
        {"service_level": 0.6, "asa": 12.0, "aht": 300.0, "abandon_rate": 0.3, "occupancy": 0.75}
    )


def test_rollup_weights_by_counts_never_averages_percentages():
    big = {
        "offered": 100,
        "answered": 100,
        "answered_in_threshold": 90,
        "answer_wait": 1000.0,
        "window": "today",
        "sl_formula": "abandons_against",
        "waiting": 3,
        "longest_wait_since": 1_763_900_100.0,
        "busy_time": 80.0,
        "available_time": 20.0,
    }
    small = {
        **big,
        "offered": 10,
        "answered": 10,
        "answered_in_threshold": 1,
        "answer_wait": 500.0,
        "waiting": 1,
        "longest_wait_since": 1_763_900_000.0,
        "busy_time": 0.0,
        "available_time": 100.0,
    }
    board = metrics.rollup([big, small])
    assert board["service_level"] == pytest.approx(91 / 110)  # not (0.9 + 0.1) / 2
    assert board["asa"] == pytest.approx(1500 / 110)
    assert board["occupancy"] == pytest.approx(80 / 200)
    assert (board["offered"], board["waiting"], board["queues"]) == (110, 4, 2)
    assert board["longest_wait_since"] == 1_763_900_000.0
    assert board["window"] == "today"
    assert metrics.rollup([big, {**small, "window": "15m"}])["window"] is None
    empty = metrics.rollup([])
    assert empty["service_level"] is None and empty["queues"] == 0


def test_rollup_keeps_each_queues_own_formula():
    a = {
        "answered": 8,
        "answered_in_threshold": 8,
        "abandoned": 2,
        "short_abandoned": 2,
        "sl_formula": "short_abandons_excluded",
    }  # 8 / 8
    b = {"answered": 8, "answered_in_threshold": 8, "abandoned": 2, "short_abandoned": 2,
         "sl_formula": "abandons_against"}  # 8 / 10  # fmt: skip
    assert metrics.rollup([a, b])["service_level"] == pytest.approx(16 / 18)


def test_basis_says_window_and_definition():
    assert metrics.basis("15m", "abandons_ignored", 20) == "last 15 min · SL 20 s, abandons ignored"


def test_estimated_wait_is_the_old_formula_without_abandonment():
    # unchanged call: (waiting, available, working, aht, asa)
    assert metrics.estimated_wait(4, 1, 6, 300.0, 25.0) == pytest.approx(200.0)
    assert metrics.estimated_wait(0, 2, 5, 300.0, 25.0) == 0.0
    assert metrics.estimated_wait(3, 0, 5, None, 25.0) == 25.0
    assert metrics.estimated_wait(3, 0, 0, 300.0, 25.0) is None


def test_estimated_wait_shortens_with_abandonment_and_lengthens_with_blending():
    plain = metrics.estimated_wait(9, 0, 5, 300.0, None)
    assert plain == pytest.approx(10 * 60)
    impatient = metrics.estimated_wait(9, 0, 5, 300.0, None, patience=120.0)
    # ten stages: 1 / (1/60 + k/120) for k = 0..9
    assert impatient == pytest.approx(sum(1 / (1 / 60 + k / 120) for k in range(10)))
    assert impatient < plain
    blended = metrics.estimated_wait(9, 0, 2.5, 300.0, None)  # five agents, half their time
    assert blended == pytest.approx(2 * plain)


def test_a_boards_definitions_read_in_words() -> None:
    from feeds.metrics.formulas import basis, definition

    assert definition("today", "short_abandons_excluded") == "today · short abandons excluded"
    assert definition("30m", "abandons_ignored") == "last 30 min · abandons ignored"
    assert basis("today", "abandons_ignored", 20) == "today · SL 20 s, abandons ignored"


def test_a_frames_handle_times_are_each_events_handle_time():
    """The pandas roll-up adds up a day's handle times at once: the same sums, the same
    unknown (not zero) when the feed gave none of talk, hold and wrap."""
    import pandas as pd

    events = [{"talk": 280.5, "hold": 12.25, "wrap": 40}, {"talk": 0.1, "wrap": 0.2},
              {"hold": 7.0}, {}, {"talk": 0.0}]  # fmt: skip
    frame = pd.DataFrame(events, columns=list(metrics.HANDLE_PARTS))
    got = metrics.handle_times(frame).tolist()
    want = [metrics.handle_time(e) for e in events]
    assert [None if pd.isna(g) else g for g in got] == want
    assert want[1] == 0.1 + 0.2 and want[3] is None
