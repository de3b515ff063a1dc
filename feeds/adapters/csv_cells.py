"""A CSV column's cells read as what they hold: text without the space around it, numbers,
times (ISO 8601 or epoch seconds). A column at a time, as pandas gives them
(:mod:`feeds.adapters.csv_rows`), each faster than pandas' own call a cell."""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pandas as pd

from feeds.config import Config

_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def numbers(text: pd.Series) -> np.ndarray:
    """Stripped cells as numbers, NaN where one is empty or not a number: what
    ``pd.to_numeric(errors="coerce")`` gives, in a third of its time for a column of plain
    numbers (Python's ``float``, which reads ASCII text without underscores as pandas does;
    a column it cannot read whole goes to pandas)."""
    cells = text.tolist()
    with contextlib.suppress(TypeError, ValueError):  # a short line's missing cells; not read
        joined = "".join(cells)
        if joined.isascii() and "_" not in joined:
            return np.array([c or "nan" for c in cells], dtype=float)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)


def empty(cells: pd.Series) -> np.ndarray:
    """Whether each cell is empty (a short line's missing cell, NaN, is not): a quarter of the
    time of pandas' own comparison, which looks for missing values first."""
    return cells.to_numpy(dtype=object) == ""


def stripped(cells: pd.Series) -> pd.Series:
    """A column's cells without the whitespace around them: the column itself when no cell has
    any (one look at the whole column), else a third of the time of pandas' ``str.strip``,
    which calls a function a cell; a short line's missing cells (NaN), which have no
    ``strip``, are left to it."""
    values = cells.tolist()
    try:
        if not _edged(values):
            return cells
        return pd.Series([c.strip() for c in values], index=cells.index, dtype=str)
    except (AttributeError, TypeError):
        return cells.str.strip()


# The ASCII characters str.strip() takes away
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[ord(c) for c in map(chr, range(128)) if c.isspace()]] = True


def _edged(values: list[str]) -> bool:
    """Whether a cell may begin or end with whitespace: the cells joined by NUL, looked at
    around each NUL at once (a cell holding a NUL may only look edged; a text that is not
    ASCII is taken as edged)."""
    joined = "\x00".join(values)
    if not joined.isascii():
        return True
    text = np.frombuffer(joined.encode(), dtype=np.uint8)
    space = _SPACE[text]
    if not space.any():
        return False
    apart = text == 0
    return bool(space[0] or space[-1] or (apart[:-1] & space[1:]).any()
                or (space[:-1] & apart[1:]).any())  # fmt: skip


def gaps(values: np.ndarray) -> list[float | None]:
    """A column of numbers as a list, None where there was none."""
    return [None if v != v else v for v in values.tolist()]


def times(text: pd.Series, config: Config) -> np.ndarray:
    """Epoch seconds of ISO 8601 times (naive ones in the centre's zone) or epoch numbers;
    NaN where the text is neither."""
    try:  # a time of day has a colon, epoch seconds never: those are not read as numbers
        clock = np.array([":" in cell for cell in text.tolist()], dtype=bool)
    except TypeError:  # a short line's missing cell
        clock = np.zeros(len(text), dtype=bool)
    out = np.full(len(text), np.nan)
    if not clock.all():
        out[~clock] = numbers(text[~clock])
    todo = np.isnan(out) & ~empty(text)
    if todo.any():
        iso = text[todo]
        aware = _aware(iso.tolist())
        parsed = np.full(len(iso), np.nan)
        if aware.any():
            parsed[aware] = _epoch(pd.to_datetime(iso[aware], errors="coerce", utc=True,
                                                  format="ISO8601"))  # fmt: skip
        if (~aware).any():
            naive = pd.to_datetime(iso[~aware], errors="coerce", format="ISO8601")
            parsed[~aware] = _epoch(naive.dt.tz_localize(config.tz, ambiguous="NaT",
                                                         nonexistent="NaT"))  # fmt: skip
        out[todo] = parsed
    return out


def _aware(times: list[str]) -> np.ndarray:
    """Whether each time ends in its offset (Z, ±hh:mm, ±hhmm): each looked at only when one
    of their last six characters is a Z or a sign (a naive time's end in its clock)."""
    tails = "".join([t[-6:] for t in times])
    if not any(c in tails for c in "Zz+-"):
        return np.zeros(len(times), dtype=bool)
    return np.array([_OFFSET.search(t) is not None for t in times], dtype=bool)


def _epoch(times: pd.Series) -> np.ndarray:
    seconds = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.to_numpy(dtype=float, na_value=np.nan)
