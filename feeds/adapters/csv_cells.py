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


def stripped(cells: pd.Series) -> pd.Series:
    """A column's cells without the whitespace around them: a third of the time of pandas'
    ``str.strip``, which calls a function a cell; a short line's missing cells (NaN), which
    have no ``strip``, are left to it."""
    try:
        return pd.Series([c.strip() for c in cells.tolist()], index=cells.index, dtype=str)
    except AttributeError:
        return cells.str.strip()


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
    todo = np.isnan(out) & (text != "").to_numpy()
    if todo.any():
        iso = text[todo]
        aware = np.array([_OFFSET.search(t) is not None for t in iso.tolist()], dtype=bool)
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


def _epoch(times: pd.Series) -> np.ndarray:
    seconds = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.to_numpy(dtype=float, na_value=np.nan)
