"""Customer profiles in Redis: written through the bus, read one customer at a time.

A profile is the ``customer`` item of its id, so every producer writes it the same way (the
API, a CSV import, the CRM lookup, the simulator, ``floorboard publish``): validated, stored as
the latest value in ``<prefix>state:customer`` and published, so a screen showing that customer
hears of the change. Unlike the other kinds it is never snapshotted whole (a centre's customers
may be millions, :data:`feeds.bus.schema.REFERENCE_KINDS`): the agent tab's card reads the one
it needs, with what agents gave them (:mod:`feeds.customers.ledger`) and what the CRM said,
through :class:`CustomerCache`.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import redis

from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, make_envelope, parse_envelope
from feeds.customers.crm import CrmLookup, crm_key
from feeds.errors import SchemaError

log = logging.getLogger(__name__)

CACHE_CUSTOMERS = 2048  # customers an app process keeps in memory for the cards on screen


def ledger_key(prefix: str, customer_id: str) -> str:
    """Hash: commitment id → what an agent gave or promised this customer (JSON)."""
    return f"{prefix}ledger:{customer_id}"


class Profiles:
    """Writes and reads of profiles; a batch is validated whole before any of it is written."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def envelopes(self, profiles: Iterable[tuple[str, Any]], source: str) -> list[Envelope]:
        """``(customer id, profile)`` pairs as validated envelopes; a refusal names the pair's
        position when there are several (``2.name: is required``) and nothing is written."""
        pairs = list(profiles)
        envs, now = [], time.time()
        for i, (customer_id, data) in enumerate(pairs):
            try:
                envs.append(make_envelope("customer", customer_id, data, ts=now, source=source))
            except SchemaError as exc:
                field = exc.field.removeprefix("data.")
                if len(pairs) > 1:
                    field = f"{i}.{field}" if field else str(i)
                raise SchemaError(field, exc.reason) from None
        return envs

    def put(self, profiles: Iterable[tuple[str, Any]], source: str) -> list[int]:
        """Validate every profile, then publish them all; their sequence numbers."""
        return self.bus.publish_many(self.envelopes(profiles, source))

    def get(self, customer_id: str) -> Envelope | None:
        raw = self.bus.client.hget(self.bus.state_key("customer"), customer_id)
        return parse_envelope(raw) if raw is not None else None

    def delete(self, customer_id: str, source: str) -> bool:
        """Remove a profile (a customer who asked to be forgotten); False when there was none."""
        if self.get(customer_id) is None:
            return False
        self.bus.publish(
            make_envelope("customer", customer_id, {}, ts=time.time(), source=source, deleted=True)
        )
        return True


@dataclass(frozen=True)
class Caller:
    """What the card knows of the customer on a contact."""

    profile: dict[str, Any] | None  # ``customer`` data; None: no profile (yet)
    source: str  # who wrote the profile: "crm", "simulator", "api:<name>"…
    ledger: list[dict[str, Any]]  # what agents gave and promised them, oldest first
    crm: str = ""  # "" (not asked), "pending", "missing" (not in the CRM) or "failed"
    crm_detail: str = ""  # why it failed
    crm_since: float | None = None  # when the lookup began or its answer came


class CustomerCache:
    """The cards' reads of customers, one Redis round trip per contact and customer.

    Keyed like :class:`feeds.customers.history.HistoryCache` by the contact that asked, and
    dropped (:meth:`forget`) when the customer's profile, ledger or CRM answer changes: the
    agent view hears of those on the bus. A customer with no profile (or a CRM profile past its
    freshness) is looked up in the CRM in the background when one is configured; the card
    shows the lookup as pending until its answer is published.
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        crm: CrmLookup | None = None,
        size: int = CACHE_CUSTOMERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.crm = crm
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[str, Caller]] = OrderedDict()

    def forget(self, customer_id: str) -> None:
        self._entries.pop(customer_id, None)

    def __call__(self, customer_id: str, contact_id: str) -> Caller | None:
        """The customer on ``contact_id``; None when Redis cannot answer (not cached)."""
        cached = self._entries.get(customer_id)
        if cached is not None and cached[0] == contact_id:
            self._entries.move_to_end(customer_id)
            return cached[1]
        try:
            caller = self._read(customer_id)
        except redis.RedisError as exc:
            log.warning("cannot read customer %s: %s", customer_id, exc)
            return None
        self._entries[customer_id] = (contact_id, caller)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return caller

    def _read(self, customer_id: str) -> Caller:
        pipe = self.client.pipeline(transaction=False)
        pipe.hget(f"{self.prefix}state:customer", customer_id)
        pipe.hvals(ledger_key(self.prefix, customer_id))
        pipe.get(crm_key(self.prefix, customer_id))
        raw, entries, said = pipe.execute()
        ledger = sorted(_entries(entries), key=lambda e: e["at"])
        env = _profile(raw, customer_id)
        profile, source = (env.data, env.source) if env is not None else (None, "")
        if self.crm is None or not self.crm.wanted(env, self.clock()):
            return Caller(profile, source, ledger)
        if said is not None:  # it answered lately, or failed: not asked again until that expires
            if profile is not None:
                return Caller(profile, source, ledger)  # a stale CRM profile beats none
            answer = json.loads(said)
            return Caller(None, "", ledger, answer["status"], answer["detail"], answer["at"])
        self.crm.request(customer_id)
        if profile is not None:
            return Caller(profile, source, ledger)  # a stale CRM profile, while it is refreshed
        return Caller(None, "", ledger, "pending", "", self.clock())


def _profile(raw: bytes | None, customer_id: str) -> Envelope | None:
    if raw is None:
        return None
    try:
        return parse_envelope(raw)
    except SchemaError as exc:
        log.warning("skipping the invalid stored profile of %s: %s", customer_id, exc)
        return None


def _entries(raw: Iterable[bytes]) -> list[dict[str, Any]]:
    out = []
    for item in raw:
        try:
            entry = json.loads(item)
        except ValueError:
            continue
        if isinstance(entry, Mapping) and "at" in entry:
            out.append(dict(entry))
    return out
