"""Customer contact history, written by the bus's publish script, against a real Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest

from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config_feeds import Moments
from feeds.customers.history import (
    DEFAULT_DAYS,
    MAX_CONTACTS,
    CustomerHistory,
    HistoryCache,
    PastContact,
    contacts_key,
    order_key,
)

NOW = time.time() - 3600  # an hour ago: every event here is in the past


def contact(cid: str, event: str, customer: str = "AC1", at: float = NOW, **extra: Any):
    data: dict[str, Any] = {
        "event": event,
        "queue": "billing",
        "channel": "voice",
        "customer_id": customer,
        "enqueued_at": at,
        **extra,
    }
    if event in ("answered", "completed"):
        data.setdefault("answered_at", at + 12)
        data.setdefault("agent_id", "a01")
    if event in ("abandoned", "completed"):
        data.setdefault("ended_at", at + 200)
    return make_envelope("contact", cid, data, ts=data.get("ended_at") or at)


def test_every_contact_event_lands_in_the_customers_history(bus: Bus) -> None:
    bus.publish(contact("c1", "offered"))
    history = CustomerHistory(bus.client, bus.prefix)
    assert history.contacts("AC1") == [
        PastContact(id="c1", event="offered", queue="billing", channel="voice", enqueued_at=NOW)
    ]
    bus.publish(contact("c1", "answered"))
    bus.publish(contact("c1", "completed", talk=150.0, hold=20.0, wrap=30.0))
    (c1,) = history.contacts("AC1")
    assert (c1.event, c1.answered_at, c1.ended_at, c1.agent_id) == (
        "completed", NOW + 12, NOW + 200, "a01"
    )  # fmt: skip
    assert c1.handle == pytest.approx(200.0)
    assert history.contacts("AC2") == []
    bus.publish(contact("c2", "completed", customer="AC2"))  # a feed that sends no times
    assert history.contacts("AC2")[0].handle is None  # unknown, not 0:00


def test_history_expires_after_the_configured_days_and_is_set_on_every_write(bus: Bus) -> None:
    bus.publish(contact("c1", "offered"))
    for key in (contacts_key(bus.prefix, "AC1"), order_key(bus.prefix, "AC1")):
        ttl = bus.client.ttl(key)
        assert DEFAULT_DAYS * 86400 - 5 < ttl <= DEFAULT_DAYS * 86400
    short = Bus(bus.client, bus.prefix, history_days=2)
    short.publish(contact("c2", "offered"))
    assert 2 * 86400 - 5 < bus.client.ttl(contacts_key(bus.prefix, "AC1")) <= 2 * 86400


def test_history_is_bounded_keeping_the_newest(bus: Bus) -> None:
    envs = [contact(f"c{i:03d}", "offered", at=NOW - 1000 + i) for i in range(MAX_CONTACTS + 7)]
    bus.publish_many(envs)
    kept = CustomerHistory(bus.client, bus.prefix).contacts("AC1")
    assert len(kept) == MAX_CONTACTS
    assert [c.id for c in kept] == [f"c{i:03d}" for i in range(7, MAX_CONTACTS + 7)]
    assert bus.client.zcard(order_key(bus.prefix, "AC1")) == MAX_CONTACTS


def test_contacts_older_than_the_window_are_trimmed(bus: Bus) -> None:
    bus.publish(contact("old", "abandoned", at=NOW - 8 * 86400))
    bus.publish(contact("new", "offered"))
    assert [c.id for c in CustomerHistory(bus.client, bus.prefix).contacts("AC1")] == ["new"]


def test_a_first_contact_older_than_the_window_is_not_kept(bus: Bus) -> None:
    """A customer's only contact, told now but enqueued before the window: the history holds
    it alone, and still trims it (the script looks for what to trim only when the history
    holds more than the contact just written, or that one is out of the window)."""
    old = contact("old", "completed", customer="AC9", at=NOW - 8 * 86400, ended_at=NOW)
    assert bus.publish(old) > 0
    assert CustomerHistory(bus.client, bus.prefix).contacts("AC9") == []
    assert bus.client.zcard(order_key(bus.prefix, "AC9")) == 0
    bus.publish(contact("new", "offered", customer="AC8"))
    assert [c.id for c in CustomerHistory(bus.client, bus.prefix).contacts("AC8")] == ["new"]


def test_the_window_is_kept_to_its_edge_exactly(bus: Bus) -> None:
    """The script works the window's edge out from the write's time: a contact enqueued at the
    edge exactly is kept, one a microsecond before it is not."""
    ts = NOW + 0.123456
    edge = ts - bus.keep
    for cid, at in (("edge", edge), ("before", edge - 1e-6)):
        bus.publish(contact(cid, "abandoned", customer="AC7", at=at, ended_at=NOW))
    bus.publish(contact("new", "offered", customer="AC7", at=ts))
    kept = CustomerHistory(bus.client, bus.prefix).contacts("AC7")
    assert [c.id for c in kept] == ["edge", "new"]


def test_a_late_earlier_event_does_not_overwrite_a_later_one(bus: Bus) -> None:
    bus.publish(contact("c1", "completed"))
    bus.publish(contact("c1", "answered"))  # at-least-once feeds repeat and reorder
    bus.publish(contact("c1", "offered"))
    (c1,) = CustomerHistory(bus.client, bus.prefix).contacts("AC1")
    assert c1.event == "completed"


def test_deleting_a_contact_leaves_the_history_alone(bus: Bus) -> None:
    bus.publish(contact("c1", "answered"))
    bus.publish(make_envelope("contact", "c1", {}, ts=NOW, deleted=True))
    assert [c.event for c in CustomerHistory(bus.client, bus.prefix).contacts("AC1")] == [
        "answered"
    ]


def test_customers_under_other_prefixes_are_separate(bus: Bus, redis_server) -> None:
    other = Bus.from_url(redis_server.url, bus.prefix + "x:")
    other.publish(contact("c9", "offered"))
    assert CustomerHistory(bus.client, bus.prefix).contacts("AC1") == []
    other.client.close()


class CountingHistory(CustomerHistory):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads = 0

    def contacts(self, customer_id: str) -> list[PastContact]:
        self.reads += 1
        return super().contacts(customer_id)


def test_the_cache_reads_redis_once_per_answered_contact(bus: Bus) -> None:
    bus.publish(contact("c1", "completed"))
    bus.publish(contact("c2", "answered", at=NOW + 300))
    history = CountingHistory(bus.client, bus.prefix)
    cache = HistoryCache(history)
    assert [c.id for c in cache("AC1", "c2")] == ["c1", "c2"]
    cache("AC1", "c2")
    assert history.reads == 1
    bus.publish(contact("c3", "answered", at=NOW + 900))
    assert [c.id for c in cache("AC1", "c3")] == ["c1", "c2", "c3"]  # the next contact: fresh
    assert history.reads == 2


def test_the_cache_is_bounded_least_recently_used_first(bus: Bus) -> None:
    history = CountingHistory(bus.client, bus.prefix)
    cache = HistoryCache(history, size=3)
    for customer in ("A", "B", "C"):
        cache(customer, "x")
    cache("A", "x")  # A is used again: B is now the oldest
    cache("D", "x")
    assert len(cache) == 3
    reads = history.reads
    cache("A", "x"), cache("C", "x"), cache("D", "x")
    assert history.reads == reads
    cache("B", "x")
    assert history.reads == reads + 1


def test_a_failed_read_is_none_and_not_cached(own_redis, prefix) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    bus.publish(contact("c1", "answered"))
    cache = HistoryCache(CustomerHistory(bus.client, prefix))
    own_redis.stop()
    assert cache("AC1", "c1") is None
    assert len(cache) == 0
    own_redis.start()
    assert [c.id for c in cache("AC1", "c1")] == ["c1"]  # persisted, and read again


def test_the_configs_limits_match_what_the_history_keeps() -> None:
    fields = Moments.model_fields
    assert fields["repeat_days"].default == DEFAULT_DAYS
    assert any(getattr(m, "le", None) == MAX_CONTACTS for m in fields["repeat_contacts"].metadata)


def test_a_stored_summary_without_reason_or_outcome_is_carried_as_none(bus: Bus) -> None:
    # a value this version did not write (no reason, no outcome): the next event is still
    # written, and what it does not say stays unsaid rather than failing the write
    bus.publish(contact("c9", "offered", reason="moving home"))
    key = contacts_key(bus.prefix, "AC1")
    bus.client.hset(key, "c9", '{"id":"c9","event":"offered","queue":"billing"}')
    assert bus.publish(contact("c9", "answered")) > 0
    (c9,) = CustomerHistory(bus.client, bus.prefix).contacts("AC1")
    assert (c9.event, c9.reason, c9.outcome) == ("answered", None, None)


def test_why_they_called_is_kept_when_a_later_event_does_not_say_it(bus: Bus) -> None:
    """The IVR's reason comes on ``offered``, the agent's outcome on ``completed``: the history
    keeps both, exactly as written (quotes, non-ASCII, the keys' own names and all), whatever
    comes in between."""
    reason = 'billing dispute: "estimated" bill — £120 / ,"outcome": x ,"reason": y'
    bus.publish(contact("c1", "offered", reason=reason))
    bus.publish(contact("c1", "answered"))
    history = CustomerHistory(bus.client, bus.prefix)
    assert history.contacts("AC1")[0].reason == reason
    bus.publish(contact("c1", "completed", outcome="callback promised"))
    (c1,) = history.contacts("AC1")
    assert (c1.event, c1.reason, c1.outcome) == ("completed", reason, "callback promised")
    assert c1.enqueued_at == NOW and c1.ended_at == NOW + 200  # numbers stored as written
    bus.publish(contact("c2", "offered", reason="meter reading"))
    bus.publish(contact("c2", "abandoned", reason="moving home"))  # a later event may correct it
    assert history.contacts("AC1")[1].reason == "moving home"
