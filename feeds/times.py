"""Times as people type them and read them, always in the centre's zone: one home for both ways.

A supervisor types a time in the console or on the command line; walls, agent tabs, the console
and the command line show times and durations. All of them read and write times here, so a time
typed in one place reads back the same in every other, and every screen shows the centre's
clock, never the clock of the machine it runs on. Pure functions: callers pass the zone and
"now", so the rules are tested without a clock.

A time that cannot be shown (missing, not finite, beyond the calendar) is shown as
:data:`NO_VALUE`, never an exception: one bad stored item must not stop a screen.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, tzinfo

from feeds.errors import SchemaError

NO_VALUE = "—"  # what every screen shows for a value it does not have
TIME_HINT = "ISO 8601 (2025-11-23 14:30), 14:30 (today), now or +10m"
DURATION_HINT = "seconds or a duration like 90s, 8m, 1h30m"
MAX_SHOWN_SECONDS = 100 * 86400  # a wait or a handle time beyond this is a feed's error

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhd])+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


# -- typed by a person ----------------------------------------------------------------------------


def parse_duration(field: str, text: str) -> float:
    """``90`` (seconds), ``90s``, ``8m``, ``1h30m`` or ``2d`` → seconds, finite and not negative.

    ``field`` names the input in the error (``--wait`` on the command line, ``expected_wait``
    in the console), so each door says which of its own inputs to fix.
    """
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        if not _DURATION.fullmatch(text):
            raise SchemaError(field, f"expected {DURATION_HINT}") from None
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    if not (math.isfinite(seconds) and seconds >= 0):
        raise SchemaError(field, f"expected {DURATION_HINT}, not negative")
    return seconds


def parse_when(field: str, text: str | None, tz: tzinfo, now: float) -> float | None:
    """A time typed by a person → epoch seconds; blank → None (the field is left unset).

    ``now``; ``+10m`` (from now, any :func:`parse_duration` form); ``14:30`` (today, in the
    centre's zone); or ISO 8601 (``2025-11-23 14:30``), in the centre's zone unless it carries
    an offset. Whoever types it is at the centre, wherever the server runs.
    """
    text = (text or "").strip()
    if not text:
        return None
    if text == "now":
        return now
    if text.startswith("+"):
        return now + parse_duration(field, text[1:])
    clock = _CLOCK.fullmatch(text)
    if clock:
        hour, minute = int(clock[1]), int(clock[2])
        if hour > 23 or minute > 59:
            raise SchemaError(field, f"no such time of day: {text}")
        today = datetime.fromtimestamp(now, tz)
        return today.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SchemaError(field, f"expected {TIME_HINT}") from None
    return (when if when.tzinfo else when.replace(tzinfo=tz)).timestamp()


# -- shown to a person ----------------------------------------------------------------------------


def _local(ts: float | None, tz: tzinfo) -> datetime | None:
    """``ts`` on the centre's clock; None when there is no time to show."""
    if ts is None or not math.isfinite(ts):
        return None
    try:
        return datetime.fromtimestamp(ts, tz)
    except (OverflowError, OSError, ValueError):  # beyond the calendar
        return None


def _same_day(when: datetime, now: float, tz: tzinfo) -> bool:
    return when.date() == datetime.fromtimestamp(now, tz).date()


def time_text(ts: float | None, tz: tzinfo, now: float | None = None, *, blank: str = "") -> str:
    """A time to read and to type back: ``14:30`` on the day of ``now`` (when given), else
    ``2025-11-23 14:30``; ``blank`` when there is none. :func:`parse_when` reads it back to the
    minute, so a form can show a stored time for editing and take the same text in again."""
    when = _local(ts, tz)
    if when is None:
        return blank
    if now is not None and _same_day(when, now, tz):
        return when.strftime("%H:%M")
    return when.strftime("%Y-%m-%d %H:%M")


def fmt_time(ts: float | None, tz: tzinfo, now: float) -> str:
    """When something happened, for a log or a timeline: ``14:05:09`` on the day of ``now``,
    else ``23 Nov 14:05`` (with the year when it is not this one): what a supervisor needs to
    place a change."""
    when = _local(ts, tz)
    if when is None:
        return NO_VALUE
    if _same_day(when, now, tz):
        return when.strftime("%H:%M:%S")
    this_year = when.year == datetime.fromtimestamp(now, tz).year
    return when.strftime("%d %b %H:%M" if this_year else "%d %b %Y %H:%M")


def fmt_day(ts: float | None, tz: tzinfo, ref: float, *, clock: bool = True) -> str:
    """A time as a customer is told it: ``today 17:00``, ``yesterday``, ``tomorrow 09:30``,
    ``Thu 6 Mar 16:00``, relative to ``ref`` (the contact's time) on the centre's clock.
    ``clock=False`` leaves out the time of day ("promised callback yesterday")."""
    when = _local(ts, tz)
    if when is None:
        return NO_VALUE
    days = (when.date() - datetime.fromtimestamp(ref, tz).date()).days
    day = {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days) or when.strftime("%a %-d %b")
    return f"{day} {when.strftime('%H:%M')}" if clock else day


def fmt_duration(seconds: float | None) -> str:
    """m:ss under an hour, then h:mm: the form a floor reads at a glance; NO_VALUE for none,
    and for a value no contact centre has (not finite, or past :data:`MAX_SHOWN_SECONDS`)."""
    if seconds is None or not math.isfinite(seconds) or abs(seconds) > MAX_SHOWN_SECONDS:
        return NO_VALUE
    s = max(0, round(seconds))
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s // 3600}h{(s % 3600) // 60:02d}"


def fmt_span(seconds: float) -> str:
    """A span as people say it: "20 s", "2 min", "4 h", "1 h 30 min" (a threshold, a limit);
    a number never parted from its unit at a line's end (no-break spaces)."""
    s = max(0, round(seconds))
    if s < 60:
        parts = [f"{s}\u00a0s"]
    elif s < 3600:
        parts = [f"{s // 60}\u00a0min"] + ([f"{s % 60}\u00a0s"] if s % 60 else [])
    else:
        h, m = divmod(s // 60, 60)
        parts = [f"{h}\u00a0h"] + ([f"{m}\u00a0min"] if m else [])
    return " ".join(parts)
