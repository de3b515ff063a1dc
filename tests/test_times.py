"""Times as people type and read them (feeds.times): the one rule the console, the command line
and every screen share, always on the centre's clock."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.errors import SchemaError
from feeds.times import NO_VALUE, fmt_duration, fmt_time, parse_duration, parse_when, time_text

TZ = ZoneInfo("Europe/London")
NOW = 1_763_900_000.0  # 2025-11-23 12:13:20 in London (GMT)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, None), ("", None), ("  ", None), ("now", NOW), ("+10m", NOW + 600),
     ("+1h30m", NOW + 5400), ("+90", NOW + 90),
     ("14:30", datetime(2025, 11, 23, 14, 30, tzinfo=TZ).timestamp()),
     ("9:05", datetime(2025, 11, 23, 9, 5, tzinfo=TZ).timestamp()),
     ("2025-11-24 09:00", datetime(2025, 11, 24, 9, 0, tzinfo=TZ).timestamp()),
     ("2025-11-24T09:00", datetime(2025, 11, 24, 9, 0, tzinfo=TZ).timestamp()),
     ("2031-06-01T09:00", datetime(2031, 6, 1, 9, 0, tzinfo=TZ).timestamp()),  # summer time
     ("2025-11-24T09:00+00:00", datetime(2025, 11, 24, 9, 0, tzinfo=ZoneInfo("UTC")).timestamp())],
)  # fmt: skip
def test_typed_times_read_on_the_centres_clock(text: str | None, expected: float | None) -> None:
    assert parse_when("--starts", text, TZ, NOW) == expected


def test_a_clock_time_is_today_in_the_centres_zone_not_the_machines() -> None:
    # 03:00 on 23 Nov in London is still 22 Nov in New York: "14:30" is the centre's day.
    early = datetime(2025, 11, 23, 3, 0, tzinfo=TZ).timestamp()
    assert parse_when("eta", "14:30", NEW_YORK, early) == (
        datetime(2025, 11, 22, 14, 30, tzinfo=NEW_YORK).timestamp()
    )
    assert parse_when("eta", "14:30", TZ, early) == (
        datetime(2025, 11, 23, 14, 30, tzinfo=TZ).timestamp()
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [("tomorrow", "expected ISO 8601"), ("9.30", "expected ISO 8601"),
     ("25:00", "no such time of day: 25:00"), ("12:60", "no such time of day"),
     ("+soon", "expected seconds or a duration"), ("+inf", "not negative"),
     ("+-5m", "expected seconds or a duration")],
)  # fmt: skip
def test_a_time_that_cannot_be_read_names_the_field_and_the_reason(text: str, reason: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_when("--eta", text, TZ, NOW)
    assert caught.value.field == "--eta"
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("8m", 480), ("1h30m", 5400), ("2d", 172800), ("1.5m", 90),
     (" 8m ", 480), ("0", 0)],
)  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration("--wait", text) == seconds


@pytest.mark.parametrize("text", ["soon", "8 m", "m", "-5", "nan", "inf", "1e999", ""])
def test_a_duration_that_cannot_be_read_names_the_field(text: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_duration("--wait", text)
    assert str(caught.value).startswith("--wait: expected seconds or a duration like 90s")


def test_times_shown_for_editing_read_back_to_the_minute() -> None:
    today, later = NOW + 3600, NOW + 3 * 86400
    assert time_text(today, TZ, NOW) == "13:13"
    assert time_text(later, TZ, NOW) == "2025-11-26 12:13"
    for ts in (today, later):
        assert parse_when("starts_at", time_text(ts, TZ, NOW), TZ, NOW) == ts - ts % 60
    assert time_text(None, TZ, NOW) == ""


def test_without_now_a_time_is_shown_in_full_in_the_centres_zone() -> None:
    assert time_text(NOW, TZ) == "2025-11-23 12:13"
    assert time_text(NOW, NEW_YORK) == "2025-11-23 07:13"
    assert time_text(None, TZ, blank=NO_VALUE) == NO_VALUE


def test_log_times_say_as_much_as_is_needed_to_place_a_change() -> None:
    assert fmt_time(NOW, TZ, NOW) == "12:13:20"
    assert fmt_time(NOW, TZ, NOW + 3 * 86400) == "23 Nov 12:13"
    assert fmt_time(NOW, TZ, NOW + 365 * 86400) == "23 Nov 2025 12:13"
    assert fmt_time(None, TZ, NOW) == NO_VALUE


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0:00"), (59.6, "1:00"), (125, "2:05"), (3599, "59:59"), (3660, "1h01"),
     (-3, "0:00")],
)  # fmt: skip
def test_fmt_duration(seconds: float | None, text: str) -> None:
    assert fmt_duration(seconds) == text


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 1e308, -1e308])
def test_a_time_that_is_no_real_time_shows_as_no_value(bad: float) -> None:
    # One bad stored item must never stop a screen: shown as "—", never an exception.
    assert fmt_time(bad, TZ, NOW) == NO_VALUE
    assert time_text(bad, TZ, NOW) == ""


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 1e308, -1e308, 101 * 86400])
def test_a_duration_no_contact_centre_has_shows_as_no_value(bad: float) -> None:
    assert fmt_duration(bad) == NO_VALUE


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "20 s"), (60, "1 min"), (90, "1 min 30 s"), (14400, "4 h"), (5400, "1 h 30 min")],
)
def test_spans_read_as_people_say_them_and_never_break_inside_a_figure(seconds, text) -> None:
    from feeds.times import fmt_span

    words = fmt_span(seconds).split(" ")  # only between figures, never inside one
    assert [w.replace("\u00a0", " ") for w in words] == [
        " ".join(pair) for pair in zip(text.split(" ")[::2], text.split(" ")[1::2], strict=True)
    ]
