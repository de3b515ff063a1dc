"""Every kind of key under the prefix: what it holds, and whether a backup keeps it.

The one list a backup, a restore and the docs read. A backup takes every key under the prefix
by its Redis type, except those listed here as transient (each with the reason), so a kind of
key that a later release adds is kept even before anyone lists it here; the backup says which
keys it did not recognise. docs/architecture.md's Redis layout is this list in prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

SCHEMA = "schema"  # <prefix>schema: the version of the data's layout (feeds.data.migrations)


@dataclass(frozen=True)
class KeyKind:
    pattern: str  # under the prefix, with * for any run of characters
    holds: str
    transient: str = ""  # why a backup leaves it out; "" = kept

    def matches(self, name: str) -> bool:
        return fnmatchcase(name, self.pattern)


KINDS: tuple[KeyKind, ...] = (
    KeyKind(SCHEMA, "the version of the data's layout"),
    KeyKind("seq", "the bus's sequence number"),
    KeyKind("state:*", "the latest value of every item, per kind: queues, agents, contacts in "
            "progress, messages, outages, delay reasons, authority rules, alert rules, customer "
            "profiles, heartbeats"),
    KeyKind("order:*", "each item's ordering key (which event about it is the latest)"),
    KeyKind("gone:*", "items that went, remembered for the ordering rule"),
    KeyKind("contacts", "the stream of raw contact events"),
    KeyKind("agents", "the stream of agents' states as they changed (an agent's day)"),
    KeyKind("customer:*", "a customer's recent contacts"),
    KeyKind("customer-order:*", "a customer's recent contacts by time"),
    KeyKind("ledger:*", "what agents gave and promised a customer"),
    KeyKind("acks:*", "who acknowledged a key message"),
    KeyKind("timeline:*", "an outage's timeline"),
    KeyKind("outages:resolved", "resolved outages"),
    KeyKind("audit", "the audit log"),
    KeyKind("history:*", "intraday intervals, per queue and day (expire after the retention)"),
    KeyKind("forecast:*", "planners' forecasts, per queue and day (docs/history.md)"),
    KeyKind("users", "users (password hashes)"),
    KeyKind("tokens", "API tokens (hashes of their secrets)"),
    KeyKind("session:*", "browser sessions",
            transient="sign-ins: after a restore people sign in again (a copied session is a "
            "way in)"),
    KeyKind("limits*", "sign-in rate-limit windows",
            transient="counts of the last minutes' sign-in attempts"),
    KeyKind("cache:*", "the snapshot cache", transient="a one-second cache"),
    KeyKind("event:*", "event ids already written",
            transient="kept two days only to drop re-deliveries"),
    KeyKind("crm:*", "the CRM's answers", transient="a cache of the CRM's answers"),
    KeyKind("crm-lock:*", "a CRM lookup in flight", transient="held for a second"),
    KeyKind("login-failures:*", "failed sign-ins (before rate limits)",
            transient="no longer used: floorboard migrate removes them"),
)  # fmt: skip


def kind_of(name: str) -> KeyKind | None:
    """The kind of the key ``name`` (without the prefix), or None for one this release does
    not know."""
    return next((k for k in KINDS if k.matches(name)), None)
