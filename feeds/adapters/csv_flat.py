"""A flat-out replay's contacts, a chunk of the file at a time.

Flat out (``speed=0``) a replay publishes each contact once, as its final event, which holds
its whole story, and the statistics take the stories a batch at a time, as columns
(:class:`feeds.metrics.contacts.Told`, :meth:`feeds.metrics.aggregator.Aggregator.apply_told`).
Built one row at a time through the schema's models that costs a validation per row, more
than everything else a row needs. Here
a chunk's times are worked out on arrays, and what the schema would check of each final event
is checked a column at a time, with the bounds read from the schema itself
(:func:`feeds.bus.schema.limits`): a row that passes is valid by construction and its
envelope is built without a second validation, the same envelope the models would make
(tests/test_csv_flat.py compares them). A row these checks cannot vouch for is left to the
row-by-row path (``contact_events``): the schema then takes it or names the field and the
reason, so nothing it refuses gets through and a refusal reads as it always has.
:class:`Ending` then publishes a chunk's contacts in the order they end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from feeds.adapters.csv_rows import Chunk
from feeds.adapters.producer import Producer
from feeds.bus.fields import channels, displayable
from feeds.bus.prepared import Prepared, Writable, prepare_finals
from feeds.bus.schema import Envelope, limits
from feeds.metrics.contacts import Told
from feeds.metrics.formulas import HANDLE_PARTS, handle_times

FLAT_BATCH = 2000  # contacts aggregated, and written, at a time


def _within(values: np.ndarray, spec: dict) -> np.ndarray:
    """Whether each value is a number the schema's ``spec`` allows (NaN and inf are not)."""
    with np.errstate(invalid="ignore"):
        return (values >= spec["minimum"]) & (values <= spec["maximum"])


class _Text:
    """One string field's rule from the schema: length and pattern."""

    def __init__(self, spec: dict) -> None:
        self.min, self.max = spec.get("minLength", 0), spec.get("maxLength", float("inf"))
        self.pattern = re.compile(spec["pattern"]).fullmatch if "pattern" in spec else None

        # a pattern that is one run of allowed characters (an id's): a column of values joined
        # by a character outside it passes as one text, in one match
        run = re.fullmatch(r"\^(\[[^\]\x00]*\]\+)\$", spec.get("pattern", ""))
        self.joined = re.compile(f"{run[1]}(?:\x00{run[1]})*").fullmatch if run else None

    def __call__(self, value: str) -> bool:
        return self.min <= len(value) <= self.max and (
            self.pattern is None or self.pattern(value) is not None
        )

    def every(self, values: list[str]) -> bool:
        """Whether every value passes: looked at whole when the pattern allows it."""
        if self.joined is None or not values:
            return all(map(self, values))
        lengths = list(map(len, values))
        text = "\x00".join(values)  # a value holding the joiner itself must not look like two
        return (self.min <= min(lengths) and max(lengths) <= self.max
                and text.count("\x00") == len(values) - 1
                and self.joined(text) is not None)  # fmt: skip


def finished_contacts(
    chunk: Chunk, offset: float, source: str, ids: bool
) -> tuple[list[Prepared | None], Told, list[float]]:
    """Each row's final event, prepared for the bus (:mod:`feeds.bus.prepared`), or None where
    the checks cannot vouch for the row; the legs of the rows it vouches for, as columns (what
    the statistics take); and each row's enqueue time, moved by ``offset``. ``ids``: the events
    carry event ids (a backfill), for rows with a contact id."""
    enqueued = chunk.enqueued_at + offset
    waited = enqueued + chunk.wait
    answered = np.asarray(chunk.outcome, dtype=object) == "answered"
    parts = {p: getattr(chunk, p) for p in HANDLE_PARTS}
    talk, hold, wrap = (np.nan_to_num(parts[p]) for p in ("talk", "hold", "wrap"))
    with np.errstate(over="ignore", invalid="ignore"):
        ended = np.where(answered, waited + talk + hold, waited)
        final_ts = np.where(answered, ended + wrap, waited)
    epoch = limits("contact", "enqueued_at")
    ok = _within(enqueued, epoch) & _within(waited, epoch) & _within(ended, epoch)
    ok &= _within(final_ts, limits(None, "ts")) & (waited >= enqueued) & (ended >= enqueued)
    for part, values in parts.items():  # an abandoned contact's talk, hold and wrap go unsaid
        ok &= ~answered | np.isnan(values) | _within(values, limits("contact", part))
    ident, tag = _Text(limits("contact", "queue")), _Text(limits("contact", "tags")["items"])
    event_id, in_force = _Text(limits(None, "event_id")), set(channels())
    source_ok = _Text(limits(None, "source"))(source) and displayable(source) == source
    # Each check a column at a time; one that every row of most files passes (a file's few
    # queues, channels and agents, each checked once; ids looked at whole) is not made per row.
    seen = set(chunk.queue)
    queues = {q for q in seen if ident(q)}
    staff = {a for a in set(chunk.agent_id) if a is not None and ident(a)}
    made = [
        contact_id or f"{source}-{line}"
        for contact_id, line in zip(chunk.contact_id, chunk.line, strict=True)
    ]
    was_answered = answered.tolist()
    eids = ([f"{source}:{cid}:{'completed' if done else 'abandoned'}" if contact_id else None
             for cid, contact_id, done in zip(made, chunk.contact_id, was_answered, strict=True)]
            if ids else [None] * len(chunk))  # fmt: skip

    def each(passes: Iterable[bool]) -> np.ndarray:
        return np.fromiter(passes, dtype=bool, count=len(chunk))

    ok &= source_ok
    if not (ident.every(made) and ident.every(chunk.customer_id)):
        ok &= each(ident(c) and ident(u) for c, u in zip(made, chunk.customer_id, strict=True))
    if len(queues) < len(seen):
        ok &= each(q in queues for q in chunk.queue)
    if not set(chunk.channel) <= in_force:
        ok &= each(c in in_force for c in chunk.channel)
    if len(staff) < len(set(chunk.agent_id) - {None}):
        ok &= each(a is None or not done or a in staff
                   for a, done in zip(chunk.agent_id, was_answered, strict=True))  # fmt: skip
    if ids:
        ok &= each(e is None or event_id(e) for e in eids)
    refused = [i for i, t in enumerate(chunk.tags)  # the few rows with tags
               if t and not all(tag(x) and displayable(x) == x for x in t)]  # fmt: skip
    ok[refused] = False
    vouched = np.flatnonzero(ok).tolist()
    every = len(vouched) == len(chunk)

    def pick(column: list[Any]) -> list[Any]:
        return list(column) if every else [column[i] for i in vouched]

    cids, eids = pick(made), pick(eids)
    rows = np.array(vouched, dtype=np.int64)
    nothing = np.full(len(chunk), np.nan)
    took = answered[rows]
    agents = [a if done else None for a, done in zip(pick(chunk.agent_id), took.tolist(),
                                                     strict=True)]  # fmt: skip
    at, until = waited[rows], ended[rows]  # answered at (or the end of a wait), ended at
    data = {"event": np.where(took, "completed", "abandoned").tolist(),
            "queue": pick(chunk.queue), "channel": pick(chunk.channel),
            "customer_id": pick(chunk.customer_id),
            "enqueued_at": enqueued[rows].tolist(),
            "answered_at": _if_answered(at, took),
            "ended_at": until.tolist(), "agent_id": agents,
            **{p: _if_answered(parts[p][rows], took) for p in HANDLE_PARTS},
            "tags": [list(t) for t in pick(chunk.tags)]}  # fmt: skip
    handle = handle_times(pd.DataFrame({p: parts[p][rows] for p in HANDLE_PARTS}))
    handle = _if_answered(handle.to_numpy(), took)
    prepared = prepare_finals(source, cids, final_ts[rows].tolist(), eids, data, handle)
    finals: list[Prepared | None] = list(prepared) if every else [None] * len(chunk)
    if not every:
        for i, final in zip(vouched, prepared, strict=True):
            finals[i] = final
    told = Told(cids, np.ones(len(rows), dtype=np.int64), data["queue"], enqueued[rows],
                np.where(answered, waited, nothing)[rows], until, final_ts[rows],
                np.where(answered, talk + hold + wrap, 0.0)[rows], took, agents)  # fmt: skip
    return finals, told, enqueued.tolist()


def _if_answered(values: np.ndarray, answered: np.ndarray) -> list[float | None]:
    """What only an answered contact says (when, its handle parts): None where it was
    abandoned, or the file gave none (NaN)."""
    out = values.astype(object)
    out[~answered | np.isnan(values)] = None
    return out.tolist()


class Ending:
    """Flat out: each contact published once, when it ends, as its final event (its whole
    story), in the order contacts end; a contact still going when the rows read so far
    started waits for the next chunk (contacts overlap as they did on the day)."""

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self.rows = self.events = 0  # taken, and the events their stories tell
        self.last: float | None = None  # the end of the last contact published
        self.told = Told.of([])  # read, not yet ended: ordered by when they end
        self.finals: list[Writable] = []
        self.until = -math.inf

    def take(self, finals: list[Prepared | None], told: Told, others: dict[int, Envelope],
             enqueued: list[float]) -> None:  # fmt: skip
        """A chunk's contacts: ``finals`` (None: a row the column checks left to the models;
        the chunk's first rows only, when a fatal bad row ends the replay), ``told`` the legs
        of the rows they vouched for, ``others`` the final events of those the models took,
        by row; ``enqueued``: each row's start (a refused row's does not move the replay on)."""
        if others or None in finals:  # in the order read: the models' rows among the others
            rows = [i for i, final in enumerate(finals) if final is not None]
            told = told.take(slice(0, len(rows)))
            row_order = np.argsort(np.array([*rows, *others], dtype=np.int64), kind="stable")
            told = Told.join([told, Told.of([(e.id, e.ts, e.data) for e in others.values()])])
            mine: list[Writable] = [finals[i] for i in rows] + list(others.values())
            told, mine = told.take(row_order), [mine[i] for i in row_order.tolist()]
            self.until = max([self.until, *(enqueued[i] for i in [*rows, *others])])
        else:  # every row taken vouched for, as most chunks are
            told, mine = told.take(slice(0, len(finals))), list(finals)
            self.until = max(self.until, max(enqueued[: len(finals)], default=self.until))
        self.rows += len(mine)
        told = Told.join([self.told, told])
        mine = self.finals + mine
        by_end = np.argsort(told.at, kind="stable")  # ties: in the order read
        self.told, self.finals = told.take(by_end), [mine[i] for i in by_end.tolist()]

    def emit(self, until: float = -math.inf) -> None:
        """Publish the contacts that ended by the latest start taken (or ``until``, replayed
        time), a batch at a time."""
        due = int(np.searchsorted(self.told.at, max(self.until, until), side="right"))
        for i in range(0, due, FLAT_BATCH):
            end = min(i + FLAT_BATCH, due)
            told, finals = self.told.take(slice(i, end)), self.finals[i:end]
            self.producer.add_told(told, finals)
            self.events += told.events()
            self.last = float(told.at[-1])
            if len(self.producer.pending) >= FLAT_BATCH:  # answers read by the next flush
                self.producer.flush(self.last, wait=False)
        self.told, self.finals = self.told.take(slice(due, None)), self.finals[due:]
