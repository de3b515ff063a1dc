"""Historical contact records from a CSV file, read in chunks and checked column-wise.

One row is one contact: when it queued, the queue, the channel, how long it waited, how it
ended (answered or abandoned) and, if answered, talk, hold and wrap time (or one handle
time), the agent and the customer. Files are read with pandas in chunks (a day of a large
centre never sits in memory whole) and every column is parsed and checked for a whole chunk
at once; a row that fails is reported with its line in the file, its column and the reason.

Column names are Floorboard's field names (:data:`feeds.config.CSV_FIELDS`) unless the config's
``[adapters.csv] columns`` (or the caller) names the file's own. Times are ISO 8601 (with an
offset, or without one in the centre's time zone) or epoch seconds. Line numbers count the
header as line 1 and assume no quoted field spans lines.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feeds.adapters import csv_cells as cells
from feeds.adapters.csv_cells import gaps
from feeds.adapters.ids import customer_ids, ident, idents
from feeds.bus.fields import unknown_channel
from feeds.bus.kinds import TAG_LENGTH
from feeds.config import Config
from feeds.config_feeds import CSV_FIELDS

REQUIRED = ("enqueued_at", "queue", "wait", "outcome")
NUMBERS = ("wait", "talk", "hold", "wrap", "handle")
OUTCOMES = {"answered": "answered", "handled": "answered", "completed": "answered",
            "abandoned": "abandoned", "abandon": "abandoned"}  # fmt: skip
CHUNK = 5_000  # rows read at a time: a flat-out replay writes one while it reads the next
_SKIPPED = re.compile(r"Skipping line (\d+): (.*)")
_TAGS = re.compile(r"[;,]")


@dataclass(frozen=True)
class BadRow:
    line: int
    column: str  # the file's column name ("" for the row as a whole)
    reason: str

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.column}: {self.reason}"
            if self.column
            else (f"line {self.line}: {self.reason}")
        )


class CsvError(ValueError):
    """The file cannot be replayed (unreadable, a required column missing), or a bad row
    when bad rows are fatal."""

    def __init__(self, message: str, bad: BadRow | None = None) -> None:
        super().__init__(message)
        self.bad = bad


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    contact_id: str | None
    enqueued_at: float
    queue: str
    channel: str
    wait: float
    outcome: str  # answered or abandoned
    talk: float | None
    hold: float | None
    wrap: float | None
    agent_id: str | None
    customer_id: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A chunk's good rows column by column (numbers as arrays, NaN where the file had none):
    what a flat-out replay works on a column at a time (:mod:`feeds.adapters.csv_flat`)."""

    line: list[int]
    contact_id: list[str | None]
    enqueued_at: np.ndarray
    queue: list[str]
    channel: list[str]
    wait: np.ndarray
    outcome: list[str]  # answered or abandoned
    talk: np.ndarray
    hold: np.ndarray
    wrap: np.ndarray
    agent_id: list[str | None]
    customer_id: list[str]
    tags: list[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.line)

    def row(self, i: int) -> Row:
        return Row(
            self.line[i], self.contact_id[i], float(self.enqueued_at[i]), self.queue[i],
            self.channel[i], float(self.wait[i]), self.outcome[i], *gaps(self.talk[i : i + 1]),
            *gaps(self.hold[i : i + 1]), *gaps(self.wrap[i : i + 1]), self.agent_id[i],
            self.customer_id[i], self.tags[i],
        )  # fmt: skip

    def head(self, n: int) -> Chunk:
        """The first ``n`` rows."""
        return Chunk(*(getattr(self, f)[:n] for f in self.__slots__))

    def rows(self) -> list[Row]:
        """The rows one by one (a paced replay takes them so)."""
        return [Row(*values) for values in zip(
            self.line, self.contact_id, self.enqueued_at.tolist(), self.queue, self.channel,
            self.wait.tolist(), self.outcome, gaps(self.talk), gaps(self.hold),
            gaps(self.wrap), self.agent_id, self.customer_id, self.tags, strict=True,
        )]  # fmt: skip


def column_names(config: Config, columns: Mapping[str, str] | None = None) -> dict[str, str]:
    """Floorboard field -> the file's column, from the config and the caller's mapping."""
    names = {field: field for field in CSV_FIELDS}
    names.update(config.adapters.csv.columns)
    for field, column in (columns or {}).items():
        if field not in CSV_FIELDS:
            raise CsvError(f"unknown field {field!r} in the column mapping; fields: "
                           f"{', '.join(CSV_FIELDS)}")  # fmt: skip
        names[field] = column
    return names


def read_rows(
    path: str | Path,
    config: Config,
    columns: Mapping[str, str] | None = None,
    chunksize: int = CHUNK,
) -> Iterator[tuple[list[Row], list[BadRow]]]:
    """The good rows and the bad ones of each chunk of the file, in file order."""
    for good, bad in read_chunks(path, config, columns, chunksize):
        yield good.rows(), bad


def read_chunks(
    path: str | Path,
    config: Config,
    columns: Mapping[str, str] | None = None,
    chunksize: int = CHUNK,
) -> Iterator[tuple[Chunk, list[BadRow]]]:
    """The good rows (column by column) and the bad ones of each chunk, in file order."""
    names = column_names(config, columns)
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False,
                             on_bad_lines="warn", chunksize=chunksize)  # fmt: skip
    except (OSError, ValueError) as exc:
        raise CsvError(f"{path}: cannot read: {exc}") from None
    skipped: list[int] = []  # lines pandas dropped (wrong number of fields), file-wide
    seen = 0  # data rows taken so far
    with reader:
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    chunk = next(reader)
                except StopIteration:
                    return
                except (ValueError, UnicodeDecodeError) as exc:
                    raise CsvError(f"{path}: cannot read: {exc}") from None
            bad = [BadRow(int(m[1]), "", m[2].strip()) for w in caught
                   if (m := _SKIPPED.match(str(w.message)))]  # fmt: skip
            skipped += [b.line for b in bad]
            if seen == 0:
                _check_header(chunk, names, path)
            lines = _lines(seen, len(chunk), skipped)
            seen += len(chunk)
            rows, row_bad = _parse(chunk, lines, names, config)
            yield rows, sorted(bad + row_bad, key=lambda b: b.line)


def _check_header(chunk: pd.DataFrame, names: dict[str, str], path: str | Path) -> None:
    for field in REQUIRED:
        if names[field] not in chunk.columns:
            alias = "" if names[field] == field else f" ({field})"
            raise CsvError(f"{path}: column {names[field]!r}{alias} is missing; the file has "
                           f"{', '.join(map(repr, chunk.columns))}")  # fmt: skip


def _lines(first: int, count: int, skipped: list[int]) -> np.ndarray:
    """File lines of data rows ``first .. first+count``: row i sits on line i + 2, moved
    down by every dropped line before it."""
    lines = np.arange(first, first + count) + 2
    for line in sorted(skipped):
        lines[lines >= line] += 1
    return lines


def _parse(chunk: pd.DataFrame, lines: np.ndarray, names: dict[str, str],
           config: Config) -> tuple[Chunk, list[BadRow]]:  # fmt: skip
    stripped: dict[str, pd.Series] = {}

    def col(field: str) -> pd.Series:
        if field not in stripped:  # each column stripped once
            name = names[field]
            stripped[field] = (cells.stripped(chunk[name]) if name in chunk.columns
                               else pd.Series("", index=chunk.index))  # fmt: skip
        return stripped[field]

    # blank lines: not rows, not errors
    blank = np.logical_and.reduce([cells.empty(chunk[name]) for name in chunk.columns])
    errors: dict[int, BadRow] = {}

    def fail(mask: np.ndarray, field: str, reason: str) -> None:
        for i in np.flatnonzero(mask & ~blank):
            errors.setdefault(int(i), BadRow(int(lines[i]), names[field], reason))

    for field in REQUIRED:
        fail(cells.empty(col(field)), field, "is required")
    enqueued = cells.times(col("enqueued_at"), config)
    fail(np.isnan(enqueued), "enqueued_at", "not a time (ISO 8601 or epoch seconds)")
    numbers = {}
    for field in NUMBERS:
        text = col(field)
        value = cells.numbers(text)
        fail(~cells.empty(text) & ~np.isfinite(value), field, "not a number")
        fail(value < 0, field, "must not be negative")
        numbers[field] = value
    outcome = col("outcome").str.lower().map(OUTCOMES)
    fail(outcome.isna().to_numpy() & ~cells.empty(col("outcome")), "outcome",
         "must be answered or abandoned")  # fmt: skip
    qmap = config.adapters.csv.queue_map
    names_seen = col("queue")
    board = {q: qmap.get(q) or (q if config.queue(q) else None) for q in names_seen.unique()}
    queue = names_seen.map(board)
    fail(queue.isna().to_numpy() & ~cells.empty(col("queue")), "queue",
         "not a queue of the board (map it in [adapters.csv] queue_map)")  # fmt: skip
    channel, known = col("channel").str.lower(), [c.id for c in config.channels]
    bad = ~channel.isin(("", *known)).to_numpy()
    for value in channel[bad].unique():  # a few distinct ones at most
        fail(bad & (channel == value).to_numpy(), "channel", unknown_channel(value, known))
    # One handle time instead of talk: the talk is what hold and wrap leave of it.
    # (Absurd hold and wrap may add up past a float: the schema's bounds refuse that row later.)
    with np.errstate(over="ignore"):
        rest = np.nan_to_num(numbers["hold"]) + np.nan_to_num(numbers["wrap"])
    talk = np.where(np.isnan(numbers["talk"]), np.maximum(numbers["handle"] - rest, 0),
                    numbers["talk"])  # fmt: skip
    keep = np.ones(len(chunk), dtype=bool)
    keep[list(errors)] = False
    keep &= ~blank
    default = {q.id: q.channel for q in config.queues}
    agents = col("agent_id")[keep].tolist()
    agent_ids = {a: ident(a) or None for a in set(agents)}  # a floor's few agents, each once
    cids, lines = col("contact_id")[keep].tolist(), lines[keep]
    queues = queue[keep].tolist()
    good = Chunk(
        lines.tolist(), [c or None for c in idents(cids)], enqueued[keep], queues,
        [c or default[q] for c, q in zip(channel[keep].tolist(), queues, strict=True)],
        numbers["wait"][keep], outcome[keep].tolist(), talk[keep], numbers["hold"][keep],
        numbers["wrap"][keep], [agent_ids[a] for a in agents],
        customer_ids(col("customer_id")[keep].tolist(),
                     (c or f"line-{line}" for c, line in zip(cids, lines, strict=True))),
        [tuple(x.strip()[:TAG_LENGTH] for x in _TAGS.split(t) if x.strip()) if t else ()
         for t in col("tags")[keep].tolist()],
    )  # fmt: skip
    return good, sorted(errors.values(), key=lambda b: b.line)
