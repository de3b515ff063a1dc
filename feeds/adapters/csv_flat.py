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
"""

from __future__ import annotations

import re

import numpy as np

from feeds.adapters.csv_rows import Chunk, gaps
from feeds.bus.fields import channels, displayable
from feeds.bus.kinds import ContactEvent
from feeds.bus.schema import Envelope, limits
from feeds.metrics.contacts import Told
from feeds.metrics.formulas import HANDLE_PARTS

# A contact event's data in the schema's field order, its defaults filled: what the models'
# own dump gives, so the bus stores the same bytes whichever path built the event.
_DEFAULTS = {name: None if f.is_required() else f.get_default(call_default_factory=True)
             for name, f in ContactEvent.model_fields.items()}  # fmt: skip


def _within(values: np.ndarray, spec: dict) -> np.ndarray:
    """Whether each value is a number the schema's ``spec`` allows (NaN and inf are not)."""
    with np.errstate(invalid="ignore"):
        return (values >= spec["minimum"]) & (values <= spec["maximum"])


class _Text:
    """One string field's rule from the schema: length and pattern."""

    def __init__(self, spec: dict) -> None:
        self.min, self.max = spec.get("minLength", 0), spec.get("maxLength", float("inf"))
        self.pattern = re.compile(spec["pattern"]).fullmatch if "pattern" in spec else None

    def __call__(self, value: str) -> bool:
        return self.min <= len(value) <= self.max and (
            self.pattern is None or self.pattern(value) is not None
        )


def finished_contacts(
    chunk: Chunk, offset: float, source: str, ids: bool
) -> tuple[list[Envelope | None], Told, list[float]]:
    """Each row's final envelope, or None where the checks cannot vouch for the row; the
    legs of the rows it vouches for, as columns (what the statistics take); and each row's
    enqueue time, moved by ``offset``. ``ids``: the events carry event ids (a backfill), for
    rows with a contact id."""
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
    finals: list[Envelope | None] = []
    vouched: list[int] = []
    cids: list[str] = []
    columns = (chunk.line, chunk.contact_id, enqueued.tolist(), chunk.queue, chunk.channel,
               ok.tolist(), answered.tolist(), waited.tolist(), ended.tolist(), final_ts.tolist(),
               gaps(chunk.talk), gaps(chunk.hold), gaps(chunk.wrap), chunk.agent_id,
               chunk.customer_id, chunk.tags)  # fmt: skip
    for (line, contact_id, enq, queue, channel, good, was_answered, wait_end, end, ts, t, h, w,
         agent, customer, tags) in zip(*columns, strict=True):  # fmt: skip
        cid = contact_id or f"{source}-{line}"
        event = "completed" if was_answered else "abandoned"
        eid = f"{source}:{cid}:{event}" if ids and contact_id else None
        if not (good and source_ok and ident(cid) and ident(queue) and ident(customer)
                and channel in in_force and (agent is None or not was_answered or ident(agent))
                and (eid is None or event_id(eid))
                and all(tag(x) and displayable(x) == x for x in tags)):  # fmt: skip
            finals.append(None)
            continue
        data = {**_DEFAULTS, "event": event, "queue": queue, "channel": channel,
                "customer_id": customer, "enqueued_at": enq, "tags": list(tags)}  # fmt: skip
        if was_answered:
            data |= {"answered_at": wait_end, "ended_at": end, "agent_id": agent, "talk": t,
                     "hold": h, "wrap": w}  # fmt: skip
        else:
            data["ended_at"] = wait_end
        finals.append(Envelope.trusted("contact", cid, ts, source, data, eid))
        vouched.append(len(finals) - 1)
        cids.append(cid)
    rows = np.array(vouched, dtype=np.int64)
    nothing = np.full(len(chunk), np.nan)
    told = Told(cids, np.ones(len(rows), dtype=np.int64), [chunk.queue[i] for i in vouched],
                enqueued[rows], np.where(answered, waited, nothing)[rows],
                np.where(answered, ended, waited)[rows], final_ts[rows],
                np.where(answered, talk + hold + wrap, 0.0)[rows], answered[rows],
                [chunk.agent_id[i] if answered[i] else None for i in vouched])  # fmt: skip
    return finals, told, enqueued.tolist()
