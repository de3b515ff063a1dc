"""Replaying historical contact records as live events, at a speed factor or flat out.

Each row (:mod:`feeds.adapters.csv_rows`) becomes the contact's events at their own times:
``offered`` when it queued, then ``answered`` after its wait and ``completed`` when its talk,
hold and wrap are over, or ``abandoned`` after its wait. Events wait in a heap until the
replay clock reaches them, so contacts overlap as they did on the day, and go through the
same :class:`Producer` as every adapter (queue statistics, heartbeat, Redis outages).

Times are rebased so the first contact queues now (``rebase="now"``, the default), at the
same time of day today (``"today"``), or not at all (``"none"``, a backfill of the day as it
was; only then do events carry event ids, so replaying the same file twice counts once).

``speed`` is replayed seconds per real second; 0 is flat out, and then each contact is
published once, as its final event (which holds its whole story): the bus ends with the same
state, customer histories and day totals at a third of the writes, while the statistics
still see every event. Flat out the file goes a chunk at a time: its rows are checked and
built in columns (:mod:`feeds.adapters.csv_flat`), its contacts ordered by when they end and
published up to the latest start read (the rest wait for the next chunk), and counted a batch
at a time in columns (:meth:`Aggregator.apply_told`: the figures of each contact's events
taken together, :meth:`Aggregator.apply_leg`).

A bad row is skipped and reported (``on_bad_row="skip"``) or ends the replay
(``"fatal"``): then nothing of that row or after it is published, every row before it is
published whole (its later events at once), and :class:`CsvError` names the line.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import heapq
import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from feeds.adapters.csv_flat import Ending, finished_contacts
from feeds.adapters.csv_rows import CHUNK, BadRow, Chunk, CsvError, Row, read_chunks
from feeds.adapters.producer import Producer, day_start
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.metrics.contacts import LATER

log = logging.getLogger(__name__)
LAST_FLUSH_SECONDS = 10.0  # how long the end of a replay waits for Redis to come back
# A schema refusal of an event names its field; the row's column is what the file calls it.
_FIELDS = {"id": "contact_id", "ts": "enqueued_at", "data.enqueued_at": "enqueued_at",
           "data.customer_id": "customer_id", "data.agent_id": "agent_id", "data.tags.0": "tags",
           "data.answered_at": "wait", "data.ended_at": "wait"}  # fmt: skip


@dataclass
class ReplayReport:
    rows: int = 0
    events: int = 0
    published: int = 0
    duplicates: int = 0
    bad: list[BadRow] = field(default_factory=list)
    first: float | None = None  # replayed time of the first and last events
    last: float | None = None


def contact_events(row: Row, offset: float, source: str, ids: bool) -> list[Envelope]:
    """The events of one row, its times moved by ``offset``; SchemaError names the column.

    The final event (completed or abandoned) holds every field of the contact and is
    validated; the earlier ones are it with the later fields still empty, so they are valid
    when it is, and a row costs one validation instead of three.
    """
    cid = row.contact_id or f"{source}-{row.line}"
    enqueued = row.enqueued_at + offset
    waited = enqueued + row.wait
    data = {"queue": row.queue, "channel": row.channel, "customer_id": row.customer_id,
            "enqueued_at": enqueued, "tags": list(row.tags)}  # fmt: skip
    if row.outcome == "abandoned":
        steps = [("offered", enqueued), ("abandoned", waited)]
        data |= {"event": "abandoned", "ended_at": waited}
        final_ts = waited
    else:
        ended = waited + (row.talk or 0) + (row.hold or 0)
        steps = [("offered", enqueued), ("answered", waited), ("completed", ended)]
        data |= {"event": "completed", "answered_at": waited, "ended_at": ended,
                 "agent_id": row.agent_id, "talk": row.talk, "hold": row.hold,
                 "wrap": row.wrap}  # fmt: skip
        final_ts = ended + (row.wrap or 0)
    event_id = (lambda event: f"{source}:{cid}:{event}") if ids and row.contact_id else None
    try:
        final = make_envelope("contact", cid, data, ts=final_ts, source=source,
                              event_id=event_id and event_id(data["event"]))  # fmt: skip
    except SchemaError as exc:
        raise SchemaError(_FIELDS.get(exc.field, exc.field), exc.reason) from None
    out = []
    for event, ts in steps[:-1]:
        earlier = {**final.data, "event": event, **dict.fromkeys(LATER[event])}
        out.append(Envelope.trusted("contact", cid, ts, source, earlier,
                                    event_id and event_id(event)))  # fmt: skip
    return [*out, final]


def replay_csv(
    path: str | Path,
    config: Config,
    bus: Bus,
    *,
    speed: float = 1.0,
    mapping: Mapping[str, str] | None = None,
    on_bad_row: Literal["skip", "fatal"] = "skip",
    rebase: Literal["now", "today", "none"] = "now",
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    chunksize: int = CHUNK,
) -> ReplayReport:
    """Replay the file onto the bus; returns what it did. Raises :class:`CsvError` for an
    unreadable file, a missing column, or (``on_bad_row="fatal"``) the first bad row."""
    if speed < 0:
        raise ValueError("speed: must be 0 (flat out) or more")
    source = config.adapters.csv.source
    stop = stop or threading.Event()
    producer = Producer(bus, config, source, clock=clock)
    report, heap, order = ReplayReport(), [], 0
    flat = not speed
    ending = Ending(producer)
    began, offset, start = clock(), None, 0.0

    def emit(until: float, paced: bool = True) -> None:
        """Paced: publish the events due by ``until`` (replayed time), each at its time."""
        while heap and heap[0][0] <= until and not (paced and stop.is_set()):
            ts, _, env = heapq.heappop(heap)
            if paced:
                _wait(began + (ts - start) / speed, producer, clock, stop, ts)
            producer.add([env])
            report.events += 1
            report.last = ts

    def events(chunk: Chunk, i: int) -> list[Envelope] | None:
        """Row ``i``'s events through the schema's models; None (reported) if it refuses."""
        try:
            return contact_events(chunk.row(i), offset or 0.0, source, rebase == "none")
        except SchemaError as exc:
            line, field = chunk.line[i], _column(exc.field, config, mapping)
            _bad(BadRow(line, field, exc.reason), report, on_bad_row)
            return None

    with _few_collections(flat):
        try:
            for chunk in _chunks(path, config, mapping, chunksize, report, on_bad_row):
                if offset is None and len(chunk):
                    first = float(chunk.enqueued_at[0])
                    offset = _offset(first, began, rebase, config)
                    start = report.first = first + offset
                if flat:  # a chunk at a time: the contacts ended by its last start go out
                    finals, told, enqueued = finished_contacts(chunk, offset or 0.0, source,
                                                               rebase == "none")  # fmt: skip
                    others: dict[int, Envelope] = {}  # the rows the models took, by row
                    upto = len(finals)  # the rows taken: all, or those before a fatal refusal
                    try:
                        for i in (i for i, final in enumerate(finals) if final is None):
                            upto = i
                            if (envs := events(chunk, i)) is not None:
                                others[i] = envs[-1]
                        upto = len(finals)
                    finally:  # the rows before a fatal refusal go out whole, as paced
                        ending.take(finals[:upto], told, others, enqueued)
                    ending.emit()
                else:
                    enqueued = (chunk.enqueued_at + (offset or 0.0)).tolist()
                    for i in range(len(chunk)):
                        if (envs := events(chunk, i)) is None:
                            continue
                        report.rows += 1
                        for env in envs:  # each event at its own time
                            heapq.heappush(heap, (env.ts, order, env))
                            order += 1
                        emit(enqueued[i])
                if stop.is_set():
                    break
        finally:
            # Every row taken is published whole (its later events at once when a stop or a bad
            # row ends the replay), so no contact is left waiting or talking on the board.
            emit(math.inf, paced=not stop.is_set() and sys.exc_info()[0] is None)
            ending.emit(math.inf)
            if flat:
                report.rows, report.events, report.last = ending.rows, ending.events, ending.last
            _last_flush(producer, report.last, clock)
            report.published, report.duplicates = producer.published, producer.duplicates
    return report


@contextlib.contextmanager
def _few_collections(active: bool) -> Iterator[None]:
    """Flat out (``active``), a replay makes objects by the million and frees them in order
    (no cycles, beyond a few in each chunk pandas reads): Python's cyclic collector, run
    every 700 allocations over a heap of a day's contacts, would take a third of the time,
    and even every 200,000 a twentieth. None while it runs, the usual after. What it made
    and kept (the aggregator's day) then joins the oldest generation as it is (freeze, then
    unfreeze): the first collection after would otherwise scan all of it, a tenth of the
    replay's time."""
    if not active or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()


def _last_flush(producer: Producer, now: float | None, clock: Callable[[], float]) -> None:
    """Publish what is left, riding out a short Redis outage; a longer one is an error (a
    replay that ends must not drop its last events unsaid)."""
    deadline = clock() + LAST_FLUSH_SECONDS
    while not producer.flush(now, final=True):
        if clock() > deadline:
            left = len(producer.pending)
            raise ConnectionError(f"Redis refused the replay's last {left} events")
        time.sleep(0.5)


def check_csv(
    path: str | Path, config: Config, mapping: Mapping[str, str] | None = None,
    chunksize: int = CHUNK,
) -> tuple[int, list[BadRow]]:  # fmt: skip
    """Read and check the whole file, publishing nothing: (good rows, bad rows), for a
    ``--check`` before a replay. Raises :class:`CsvError` as :func:`replay_csv` does."""
    good, bad = 0, []
    source = config.adapters.csv.source
    for chunk, chunk_bad in read_chunks(path, config, mapping, chunksize):
        bad += chunk_bad
        for row in chunk.rows():
            try:
                contact_events(row, 0.0, source, False)
                good += 1
            except SchemaError as exc:
                bad.append(BadRow(row.line, _column(exc.field, config, mapping), exc.reason))
    return good, sorted(bad, key=lambda b: b.line)


def _chunks(path: str | Path, config: Config, mapping: Mapping[str, str] | None,
            chunksize: int, report: ReplayReport, on_bad_row: str) -> Iterator[Chunk]:  # fmt: skip
    """The chunks of good rows; bad rows are reported (and end it all when fatal) in their
    place in the file: a fatal bad row stops before the good rows after it."""
    for chunk, bad in read_chunks(path, config, mapping, chunksize):
        if bad and on_bad_row == "fatal":
            yield chunk.head(bisect.bisect_left(chunk.line, bad[0].line))
            _bad(bad[0], report, on_bad_row)
        for b in bad:
            _bad(b, report, on_bad_row)
        yield chunk


def _bad(bad: BadRow, report: ReplayReport, on_bad_row: str) -> None:
    if on_bad_row == "fatal":
        raise CsvError(f"bad row at {bad}", bad)
    log.warning("skipped %s", bad)
    report.bad.append(bad)


def _column(field: str, config: Config, mapping: Mapping[str, str] | None) -> str:
    names = {**config.adapters.csv.columns, **(mapping or {})}
    return names.get(field, field)


def _offset(first: float, now: float, rebase: str, config: Config) -> float:
    if rebase == "now":
        return now - first
    if rebase == "today":
        return day_start(now, config) - day_start(first, config)
    if rebase == "none":
        return 0.0
    raise ValueError(f"rebase: must be now, today or none, not {rebase!r}")


def _wait(due: float, producer: Producer, clock: Callable[[], float], stop: threading.Event,
          replayed: float) -> None:  # fmt: skip
    """Sleep until ``due`` (wall clock), publishing meanwhile so the board keeps up."""
    while (left := due - clock()) > 0 and not stop.is_set():
        producer.flush(replayed)
        stop.wait(min(left, 0.05))
    producer.flush(replayed)
