"""Contacts' final events made ready for the bus's write a batch at a time.

A flat-out replay writes each contact once, as its final event (``completed`` or
``abandoned``). The bus's write of an envelope (:func:`feeds.bus.writes.item`) encodes its
data, the stored envelope, the ordering digest and the customer's history summary, a dict and
a JSON call each: for a replay's thousands of contacts a second that was the most of a row's
time. :func:`prepare_finals` builds the same bytes for a batch of contacts as columns
(:mod:`feeds.json_rows`), and :class:`Prepared` carries them to the bus, which writes one as
it writes an envelope. tests/test_csv_flat_rows.py checks that every write, as packed for
Redis, equals what the bus makes of the envelope the schema's models make.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from itertools import starmap
from typing import Any

from pydantic_core import to_json

from feeds import json_rows
from feeds.bus.kinds import FINAL_EVENTS, ContactEvent
from feeds.bus.ordering import key_text, stage
from feeds.bus.schema import Envelope
from feeds.customers.history import SUMMARY_FIELDS, summaries

# A contact event's data as the models dump it: every field, in the model's order; those a
# batch does not give take their defaults.
_FIELDS = tuple(ContactEvent.model_fields)
_DEFAULTS = {name: f.get_default(call_default_factory=True)
             for name, f in ContactEvent.model_fields.items() if not f.is_required()}  # fmt: skip
_STAGES = {event: stage("contact", {"event": event}, False) for event in FINAL_EVENTS}


class Prepared:
    """A contact's final event as the bus writes it, without its envelope: what
    :func:`feeds.bus.writes.item` needs that does not depend on the bus or the clock."""

    __slots__ = ("customer", "digest", "enqueued", "event_id", "id", "key", "kind", "stage",
                 "stamp", "stored", "summary", "ts")  # fmt: skip

    def __init__(self, id: str, ts: float, stamp: bytes, key: str, event_id: str | None,
                 customer: str, enqueued: bytes, stored: bytes, summary: bytes, stage: int,
                 digest: str) -> None:  # fmt: skip
        """``stamp`` and ``enqueued``: its time and when it was enqueued as the JSON writes
        them, which is what ``repr`` writes of any number from 0.0001 to 10**16, as times are;
        ``key``: its order key at its own time (:func:`feeds.bus.ordering.encode`)."""
        self.kind, self.id, self.ts, self.stamp = "contact", id, ts, stamp
        self.key, self.event_id = key, event_id
        self.customer, self.enqueued = customer, enqueued
        self.stored, self.summary, self.stage, self.digest = stored, summary, stage, digest


# What the bus writes: an envelope, or a contact's final event prepared
Writable = Envelope | Prepared


def prepare_finals(
    source: str,
    ids: Sequence[str],
    ts: Sequence[float],
    event_ids: Sequence[str | None],
    data: Mapping[str, Sequence[Any]],
    handle: Sequence[float | None],
) -> list[Prepared]:
    """Contacts' final events, one a row: each its ``id``, stamp ``ts``, event id, and its data
    as columns by the contact event's field names (a field not given: its default in every row;
    ``leg`` must not be given: a first leg), all already valid for the schema (the caller
    vouches for them). ``handle``: each one's handle time, as the history's summary says it
    (:func:`feeds.customers.history.summary`)."""
    rows = len(ids)
    events = data["event"]
    if "leg" in data or any(e not in FINAL_EVENTS for e in events):
        raise ValueError("prepare_finals: first legs' final events only")
    fixed = {name: _DEFAULTS[name] for name in _FIELDS if name not in data}
    said = {name: json_rows.each(values) for name, values in data.items()}  # the summary too
    body = json_rows.objects(_FIELDS, {}, rows, fixed, said)
    idj, tsj = json_rows.each(ids), json_rows.each(ts)
    # Envelope.stored's bytes (deleted: false), and what ordering.digest hashes
    stored = (b'{"kind":"contact","id":%b,"ts":%b,"source":'
              + to_json(source).replace(b"%", b"%%") + b',"deleted":false,"data":%b}')  # fmt: skip
    told = b'["contact",%b,%b,false,%b]'
    kept = summaries({"handle": handle}, rows,
                     {"id": idj, **{k: said[k] for k in SUMMARY_FIELDS if k in said}})  # fmt: skip
    sha1 = hashlib.sha1
    stored_rows = [stored % row for row in zip(idj, tsj, body, strict=True)]
    digests = [sha1(told % row, usedforsecurity=False).hexdigest()[:16]
               for row in zip(idj, tsj, body, strict=True)]  # fmt: skip
    stages = [_STAGES[event] for event in events]
    keys = [
        key_text(stage, t.decode(), 0, digest)  # not deleted
        for stage, t, digest in zip(stages, tsj, digests, strict=True)
    ]
    return list(starmap(Prepared, zip(ids, ts, tsj, keys, event_ids, data["customer_id"],
                                      said["enqueued_at"], stored_rows, kept, stages, digests,
                                      strict=True)))  # fmt: skip
