"""The metric definitions in DESIGN.md, with the edge cases a wall screen meets at 00:01."""

import pytest

from feeds.metrics import formulas as metrics


def test_service_level_leaves_short_abandons_out_of_the_denominator():
    # 6 of 7 answered in time; 3 abandoned, 1 of them short: 6 / (7 + 3 - 1)
    assert metrics.service_level(6, 7, 3, 1) == pytest.approx(6 / 9)


def test_service_level_counts_every_long_abandon_as_a_miss():
    assert metrics.service_level(4, 4, 4, 0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("args", "expected"),
    [((5, 5, 0, 0), 1.0), ((0, 0, 2, 2), None), ((0, 0, 0, 0), None)],
)
def test_service_level_edges(args, expected):
    assert metrics.service_level(*args) == expected


def test_asa_is_mean_queue_time_of_answered():
    assert metrics.asa(84.0, 7) == pytest.approx(12.0)
    assert metrics.asa(0.0, 0) is None


def test_aht_is_mean_handle_time():
    assert metrics.aht(900.0, 3) == pytest.approx(300.0)
    assert metrics.aht(0.0, 0) is None


def test_abandon_rate_removes_short_abandons_from_both_sides():
    # 10 offered, 3 abandoned of which 1 short: (3 - 1) / (10 - 1)
    assert metrics.abandon_rate(3, 1, 10) == pytest.approx(2 / 9)


def test_abandon_rate_without_real_offers_is_unknown():
    assert metrics.abandon_rate(2, 2, 2) is None
    assert metrics.abandon_rate(0, 0, 0) is None
    assert metrics.abandon_rate(0, 0, 4) == 0.0
