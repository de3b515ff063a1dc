"""Each customer's recent contacts, kept in Redis for the moment-of-truth flags.

"This customer called three times this week" and "they hung up an hour ago and are trying
again" need the contacts that ended long ago, which the live state drops. So the bus writes a
short summary of every contact event into the customer's history in the same Lua script that
publishes it (see :mod:`feeds.bus`): every producer (simulator, HTTP ingest, ``floorboard
publish``, an adapter using the bus) gets it, atomically with the event, and the history can
never be behind the event that an agent's screen is showing.

Layout, per customer: ``<prefix>customer:<id>`` (hash: contact id → summary JSON, the latest
event of each contact) and ``<prefix>customer-order:<id>`` (sorted set: contact id → enqueue
time, to trim the oldest). Both expire ``history_days`` after the customer's last contact and
hold at most :data:`MAX_CONTACTS` contacts, so Redis memory follows the number of customers
seen in the window, not the centre's whole past.

The hub reads a customer's history when one of its agents answers them, through
:class:`HistoryCache`: a small LRU in memory, keyed by the contact being answered.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic_core
import redis

from feeds import json_rows
from feeds.metrics.formulas import handle_time

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7.0  # the config's default repeat window, and so the default retention
MAX_CONTACTS = 50  # per customer: enough for any flag, bounded for the frequent caller
CACHE_CUSTOMERS = 2048  # customers whose history an app process keeps in memory


def contacts_key(prefix: str, customer_id: str) -> str:
    return f"{prefix}customer:{customer_id}"


def order_key(prefix: str, customer_id: str) -> str:
    return f"{prefix}customer-order:{customer_id}"


# A contact event's summary, field by field: ``reason`` and ``outcome`` come last, always in
# that order: :data:`CARRY_LUA` relies on it to keep those of the event a later one replaces
# when the later one does not say them.
SUMMARY_FIELDS = ("id", "event", "queue", "channel", "enqueued_at", "answered_at", "ended_at",
                  "agent_id", "handle", "reason", "outcome")  # fmt: skip


def summary(contact_id: str, data: Mapping[str, Any]) -> bytes:
    """The JSON the bus stores for one contact event (validated ``contact`` data): the fields
    :data:`SUMMARY_FIELDS`, ``handle`` its handle time if it completed."""
    own = {"id": contact_id,
           "handle": handle_time(data) if data["event"] == "completed" else None}  # fmt: skip
    # pydantic's encoder (compact, UTF-8): a third of the time of json's, on every contact event
    return pydantic_core.to_json({k: own[k] if k in own else data.get(k) for k in SUMMARY_FIELDS})


def summaries(
    columns: Mapping[str, Sequence[Any]],
    rows: int,
    encoded: Mapping[str, Sequence[bytes]] | None = None,
) -> list[bytes]:
    """:func:`summary` of many events, the same bytes: ``columns`` by the names of
    :data:`SUMMARY_FIELDS` (``id`` the contact's, ``handle`` as :func:`summary` works it
    out), or ``encoded`` already as JSON (:func:`feeds.json_rows.each`); a field in neither
    is None in every row (a flat-out replay's many contacts)."""
    encoded = encoded or {}
    fixed = {k: None for k in SUMMARY_FIELDS if k not in columns and k not in encoded}
    return json_rows.objects(SUMMARY_FIELDS, columns, rows, fixed, encoded)


# For the bus's publish script: the summary to store when ``new`` replaces ``old`` (nil when the
# contact is new). Why a customer called is often said once (the IVR's choice, on ``offered``)
# and what came of it later (on ``completed``), so a later event that does not say one keeps
# the earlier event's. Spliced as text, never decoded nor re-encoded, so every value is stored
# exactly as Python wrote it: a summary's last two fields are its reason and outcome (see
# :func:`summary`), and neither key can occur earlier nor inside a value (ids are plain, and
# quotes in strings are escaped).
CARRY_LUA = """
local function reason_outcome(s)
  local at = string.find(s, ',"reason":', 1, true)
  local cut = at and string.find(s, ',"outcome":', at, true)
  if not cut then return nil, 'null', 'null' end  -- not a summary as this version writes them
  return string.sub(s, 1, at - 1), string.sub(s, at + 10, cut - 1), string.sub(s, cut + 11, -2)
end
local function carry(new, old)
  if not old then return new end
  local head, reason, outcome = reason_outcome(new)
  if reason ~= 'null' and outcome ~= 'null' then return new end
  local _, old_reason, old_outcome = reason_outcome(old)
  if reason == 'null' then reason = old_reason end
  if outcome == 'null' then outcome = old_outcome end
  return head .. ',"reason":' .. reason .. ',"outcome":' .. outcome .. '}'
end
"""


@dataclass(frozen=True)
class PastContact:
    """One contact of a customer, as of its latest event."""

    id: str
    event: str  # offered, answered, abandoned, completed
    queue: str
    channel: str
    enqueued_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    agent_id: str | None = None
    handle: float | None = None  # talk + hold + wrap, once completed
    reason: str | None = None  # why they called
    outcome: str | None = None  # what came of it

    @classmethod
    def from_json(cls, raw: str | bytes) -> PastContact:
        return cls(**json.loads(raw))

    def summary(self) -> dict[str, Any]:
        """What the card lists about this contact: when, where, what came of it, who, why."""
        waited_until = self.answered_at if self.answered_at is not None else self.ended_at
        return {
            "id": self.id,
            "at": self.enqueued_at,
            "queue": self.queue,
            "channel": self.channel,
            "event": self.event,
            "agent_id": self.agent_id,
            "waited": waited_until - self.enqueued_at if waited_until is not None else None,
            "handle": self.handle,
            "reason": self.reason,
            "outcome": self.outcome,
        }


class CustomerHistory:
    """Reads the contact history the bus writes."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def contacts(self, customer_id: str) -> list[PastContact]:
        """The customer's retained contacts, oldest first."""
        raw = self.client.hvals(contacts_key(self.prefix, customer_id))
        found = []
        for item in raw:
            try:
                found.append(PastContact.from_json(item))
            except (ValueError, TypeError) as exc:
                log.warning("skipping a bad history entry of %s: %s", customer_id, exc)
        return sorted(found, key=lambda c: (c.enqueued_at, c.id))


class HistoryCache:
    """The last :data:`CACHE_CUSTOMERS` customers' histories, as read when a contact was answered.

    An entry is keyed by the contact that asked for it: the earlier contacts do not change while
    the agent talks to the customer, so every recomputation of the agent's card (an outage
    update, a change of state) is served from memory, and the customer's next contact reads
    Redis afresh. A failed read is not cached: the next recomputation tries again.
    """

    def __init__(self, history: CustomerHistory, size: int = CACHE_CUSTOMERS) -> None:
        self.history = history
        self.size = size
        self._entries: OrderedDict[str, tuple[str, list[PastContact]]] = OrderedDict()

    def __call__(self, customer_id: str, contact_id: str) -> list[PastContact] | None:
        """The customer's history for ``contact_id``; None when Redis cannot answer."""
        cached = self._entries.get(customer_id)
        if cached is not None and cached[0] == contact_id:
            self._entries.move_to_end(customer_id)
            return cached[1]
        try:
            contacts = self.history.contacts(customer_id)
        except redis.RedisError as exc:
            log.warning("cannot read the history of %s: %s", customer_id, exc)
            return None
        self._entries[customer_id] = (contact_id, contacts)
        self._entries.move_to_end(customer_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return contacts

    def __len__(self) -> int:
        return len(self._entries)
