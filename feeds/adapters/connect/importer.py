"""Amazon Connect records from files onto the bus: JSON lines, concatenated objects (as
Kinesis Data Firehose writes them to S3) or one JSON array.

Every record is mapped before anything is published, so a file with a bad record is either
published without it (``on_bad_record="skip"``, the default: each bad record is reported with
its number, line, field and reason) or not at all (``"fatal"``). The day's statistics are
rebuilt from the bus first, so importing the afternoon's file after the morning's adds to
the day's totals instead of starting them again; records delivered twice are counted once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from feeds.adapters.connect.mapping import map_connect_record
from feeds.adapters.producer import Producer
from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.errors import SchemaError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BadRecord:
    file: str
    number: int  # the record's place in its file, from 1
    line: int  # the line it starts on
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: record {self.number} (line {self.line})"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class ConnectImportError(ValueError):
    """A bad record with ``on_bad_record="fatal"``: nothing of the import was published."""

    def __init__(self, bad: BadRecord) -> None:
        super().__init__(str(bad))
        self.bad = bad


@dataclass
class ImportReport:
    records: int = 0
    envelopes: int = 0
    not_the_boards: int = 0  # records that map to nothing: never queued, or unmapped queues
    published: int = 0
    duplicates: int = 0  # events the bus had already (a record delivered again)
    bad: list[BadRecord] = field(default_factory=list)


def read_records(path: str | Path) -> Iterator[tuple[int, int, Any]]:
    """(number, line, parsed record or SchemaError) for each record of a file."""
    text = Path(path).read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            yield 1, getattr(exc, "lineno", 1), SchemaError("", f"not valid JSON: {exc}")
            return
        for number, item in enumerate(items, 1):
            yield number, 1, item
        return
    decoder, pos, number = json.JSONDecoder(), 0, 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        number += 1
        line = text.count("\n", 0, pos) + 1
        try:
            item, pos = decoder.raw_decode(text, pos)
        except ValueError as exc:
            yield number, line, SchemaError("", f"not valid JSON: {exc.args[0].split(':')[0]}")
            nl = text.find("\n", pos)
            pos = len(text) if nl < 0 else nl + 1  # go on at the next line
            continue
        yield number, line, item


def import_connect_records(
    paths: Iterable[str | Path],
    config: Config,
    bus: Bus,
    *,
    on_bad_record: Literal["skip", "fatal"] = "skip",
    source: str | None = None,
    clock: Callable[[], float] = time.time,
) -> ImportReport:
    """Map and publish the records of ``paths`` with queue statistics and a heartbeat.

    The statistics are today's as of ``clock`` (the centre's day, as every producer's): the
    aggregator takes it as the receiver's clock, so a record stamped too far ahead of it is
    refused (``feeds.bus.ordering``) and an old file's contacts are history, not today's.
    Raises :class:`ConnectImportError` for the first bad record when ``on_bad_record`` is
    ``"fatal"`` (then nothing is published).
    """
    source = source or config.adapters.connect.source
    report, envs = ImportReport(), []
    for path in paths:
        for number, line, record in read_records(path):
            report.records += 1
            try:
                if isinstance(record, SchemaError):
                    raise record
                mapped = map_connect_record(record, config, source)
            except SchemaError as exc:
                bad = BadRecord(str(path), number, line, exc.field, exc.reason)
                if on_bad_record == "fatal":
                    raise ConnectImportError(bad) from None
                log.warning("skipped %s", bad)
                report.bad.append(bad)
                continue
            report.not_the_boards += not mapped
            envs += mapped
    producer = Producer(bus, config, source, clock=clock)
    producer.warm_start()
    envs.sort(key=_order)
    now = clock()
    producer.add(envs, now=now)
    if not producer.flush(now, final=True):
        raise ConnectionError("Redis refused the import; nothing was lost: run it again")
    report.envelopes, report.published = len(envs), producer.published
    report.duplicates = producer.duplicates
    return report


def _order(env: Envelope) -> tuple[float, int]:
    """Time order, and a contact's events in their own order when they share a time."""
    rank = {"offered": 0, "answered": 1, "abandoned": 2, "completed": 3}
    return env.ts, rank.get(env.data.get("event"), 0)
