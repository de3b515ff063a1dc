"""The blended queue's order and an agent's next items (feeds/routing.py), and the floor's list."""

from __future__ import annotations

from dashboard.pages.floor.model import BLENDED_SHOWN
from dashboard.pages.items import blended_list
from feeds.bus.fields import CHANNELS
from feeds.bus.schema import make_envelope
from feeds.routing import (
    CHANNEL_KINDS,
    blended_order,
    next_for,
    queue_order,
    waiting_contacts,
)

NOW = 1_763_900_000.0


def offered(cid: str, queue: str, channel: str, ago: float, **data: object):
    base = {"event": "offered", "queue": queue, "channel": channel, "customer_id": "c",
            "enqueued_at": NOW - ago}  # fmt: skip
    return make_envelope("contact", cid, {**base, **data}, ts=NOW)


# iGo's example: two calls, an email, a third call, then a fax, answered in that order.
ARRIVALS = [
    offered("fax-1", "billing", "fax", 10),
    offered("call-3", "billing", "voice", 20),
    offered("mail-1", "email", "email", 30),
    offered("call-2", "billing", "voice", 40),
    offered("call-1", "billing", "voice", 50),
]


def test_the_blended_queue_works_contacts_in_the_order_they_arrived() -> None:
    order = [c.id for c in waiting_contacts(ARRIVALS)]
    assert order == ["call-1", "call-2", "mail-1", "call-3", "fax-1"]
    by_queue = sorted(ARRIVALS, key=lambda c: queue_order(c.data, {"billing": 0}, c.id))
    assert [c.id for c in by_queue] == ["call-1", "call-2", "call-3", "fax-1", "mail-1"]


def test_priority_jumps_the_line_and_routed_contacts_are_not_waiting() -> None:
    vip = offered("vip", "email", "email", 1, priority=50, tags=["VIP"])
    ringing = offered("ringing", "billing", "voice", 99, agent_id="a1")
    order = [c.id for c in waiting_contacts([*ARRIVALS, vip, ringing])]
    assert order[0] == "vip" and "ringing" not in order
    assert blended_order(vip.data, "vip") < blended_order(ARRIVALS[-1].data, "call-1")


def test_an_agents_next_items_are_those_they_have_the_skill_for() -> None:
    ordered = waiting_contacts(ARRIVALS)
    assert [c.id for c in next_for(["email"], ordered, 5)] == ["mail-1"]
    assert [c.id for c in next_for(["billing", "email"], ordered, 3)] == [
        "call-1", "call-2", "mail-1"]  # fmt: skip
    assert next_for([], ordered, 3) == []


def test_every_channel_reads_with_a_word_and_an_icon() -> None:
    assert set(CHANNEL_KINDS) == set(CHANNELS) >= {"social", "sms", "callback", "web_form", "fax"}


def test_the_floors_blended_list_flags_callbacks_and_vips_and_counts_the_rest() -> None:
    contacts = [*ARRIVALS, offered("cb", "billing", "callback", 5),
                offered("vip", "email", "email", 1, priority=50, tags=[" vip "])]  # fmt: skip
    listed = blended_list(contacts, {"billing": "Billing"}, BLENDED_SHOWN)
    first = listed["list"][0]
    assert (first["id"], first["flags"], first["priority"]) == ("vip", ["vip"], 50)
    assert first["since"] == NOW - 1 and first["queue_name"] == "email"  # unknown: its id
    cb = next(e for e in listed["list"] if e["id"] == "cb")
    assert cb["flags"] == ["callback"] and cb["icon"] == "↩" and cb["queue_name"] == "Billing"
    many = [offered(f"c{i}", "billing", "voice", i) for i in range(BLENDED_SHOWN + 5)]
    crowded = blended_list(many, {}, BLENDED_SHOWN)
    assert len(crowded["list"]) == BLENDED_SHOWN and crowded["total"] == BLENDED_SHOWN + 5
