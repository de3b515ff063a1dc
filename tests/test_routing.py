"""The blended queue's order and an agent's next items (feeds/routing.py), and the floor's list."""

from __future__ import annotations

from dashboard.pages.floor.model import BLENDED_SHOWN
from dashboard.pages.items import blended_list, next_item
from feeds.bus.schema import make_envelope
from feeds.routing import (
    Router,
    blended_order,
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


class Q:
    """A configured queue as the rules read it."""

    def __init__(self, id: str, channel: str, sl_threshold: float) -> None:
        self.id, self.channel, self.sl_threshold = id, channel, sl_threshold


QUEUES = [Q("email", "email", 3600), Q("fax", "fax", 7200), Q("billing", "voice", 20)]


def router(rule: str) -> Router:
    return Router.of(rule, QUEUES)


def test_an_agents_next_items_are_those_they_have_the_skill_for() -> None:
    blended = router("blended")
    ids = lambda found: [c.id for c in found[0]]  # noqa: E731
    assert ids(blended.next_for(["email"], ARRIVALS, NOW, 5)) == ["mail-1"]
    assert ids(blended.next_for(["billing", "email"], ARRIVALS, NOW, 3)) == [
        "call-1", "call-2", "mail-1"]  # fmt: skip
    assert blended.next_for(["billing", "email"], ARRIVALS, NOW, 3)[1] == 5
    assert blended.next_for([], ARRIVALS, NOW, 3) == ([], 0)


def test_each_rule_orders_the_same_waiting_contacts_its_own_way() -> None:
    # Queue by queue: voice first whatever the config's order, then the rest as configured.
    assert router("queue_priority").ranks == {"billing": 0, "email": 1, "fax": 2}
    by_queue = [c.id for c in router("queue_priority").order(ARRIVALS, NOW)]
    assert by_queue == ["call-1", "call-2", "call-3", "fax-1", "mail-1"]
    # Overdue: 50 s on a 20 s target is further past it than 30 s on an hour's.
    overdue = [c.id for c in router("overdue").order(ARRIVALS, NOW)]
    assert overdue == ["call-1", "call-2", "call-3", "fax-1", "mail-1"]
    old_mail = offered("mail-0", "email", "email", 3 * 3600)  # three hours past an hour's target
    assert router("overdue").order([*ARRIVALS, old_mail], NOW)[0].id == "mail-0"
    assert router("blended").order([*ARRIVALS, old_mail], NOW)[0].id == "mail-0"
    vip = offered("vip", "fax", "fax", 1, priority=9)
    for rule in ("overdue", "blended"):  # priority first
        assert router(rule).order([*ARRIVALS, vip], NOW)[0].id == "vip", rule
    in_fax = [c.id for c in router("queue_priority").order([*ARRIVALS, vip], NOW)]
    assert in_fax[-2:] == ["mail-1", "vip"]  # its queue (fax) ranks after voice and email


def test_the_agent_tabs_next_items_in_the_rule_in_force() -> None:
    skills = {"billing", "fax"}
    ringing = offered("ringing", "billing", "voice", 99, agent_id="a2")  # routed: not waiting
    names = {"billing": "Billing"}
    mine = next_item(skills, [*ARRIVALS, ringing], router("queue_priority"), names, NOW, 3)
    assert [e["id"] for e in mine["list"]] == ["call-1", "call-2", "call-3"]
    assert mine["total"] == 4 and mine["rule"].startswith("queue by queue")
    first = mine["list"][0]
    assert (first["queue_name"], first["icon"], first["since"]) == ("Billing", "☎\ufe0e", NOW - 50)
    five = next_item(skills, ARRIVALS, router("blended"), {}, NOW, 5)["list"]
    assert [e["id"] for e in five] == ["call-1", "call-2", "call-3", "fax-1"]
    nothing = next_item(set(), ARRIVALS, router("overdue"), {}, NOW, 5)
    assert nothing["list"] == [] and nothing["total"] == 0


def test_the_floors_blended_entries_carry_their_turn_under_the_rule() -> None:
    listed = blended_list(ARRIVALS, {}, BLENDED_SHOWN, router("queue_priority"), NOW)
    assert [e["id"] for e in listed["list"]] == ["call-1", "call-2", "mail-1", "call-3", "fax-1"]
    assert [e["turn"] for e in listed["list"]] == [0, 1, 4, 2, 3]


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
