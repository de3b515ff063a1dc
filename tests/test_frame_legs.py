"""The pandas roll-up's legs (feeds/intraday/frame.py) on the cases a simulated day rarely
meets: a transferred contact, two events of one kind at the same instant, a queue the config
does not know, an entry that is not an envelope, an envelope without its optional fields."""

from __future__ import annotations

import json

import pytest

from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.intraday import frame

T = 1_795_000_000.0


def entry(cid: str, event: str, at: float, **data) -> tuple[float, str]:
    base = {
        "queue": "billing",
        "channel": "voice",
        "customer_id": "k1",
        "enqueued_at": T,
        "event": event,
        **data,
    }
    return at, make_envelope("contact", cid, base, ts=at, source="test").model_dump_json()


@pytest.fixture(scope="module")
def legs():
    config = load_config("floorboard.toml")
    entries = [
        entry("c1", "offered", T),  # moved: its second leg follows on faults
        entry("c1", "offered", T + 30, leg=2, queue="faults", enqueued_at=T + 30),
        entry("c1", "answered", T + 40, leg=2, queue="faults", enqueued_at=T + 30,
              agent_id="a1", answered_at=T + 40),
        entry("c2", "offered", T + 1, enqueued_at=T + 1),
        # Two answers at one instant: the later arrival is the one that counts.
        entry("c2", "answered", T + 9, enqueued_at=T + 1, agent_id="a1", answered_at=T + 9),
        entry("c2", "answered", T + 9, enqueued_at=T + 1, agent_id="a2", answered_at=T + 9),
        entry("c2", "completed", T + 99, enqueued_at=T + 1, agent_id="a2", answered_at=T + 9,
              ended_at=T + 99, talk=60.5, wrap=20),
        entry("c3", "offered", T + 2, queue="nowhere"),  # not a configured queue
        (T + 3, "not json"),
        # Written by an older feed: no leg, channel or times beyond the required ones.
        (T + 4, json.dumps({"id": "c4", "ts": T + 4, "data": {
            "event": "abandoned", "queue": "billing", "enqueued_at": T + 2}})),
    ]  # fmt: skip
    return frame.legs(frame.events(entries), config).set_index(["id", "leg"])


def test_a_transferred_contacts_first_leg_is_moved_and_its_second_counts_on_its_queue(legs):
    assert legs.loc[("c1", 1), "state"] == "moved"
    second = legs.loc[("c1", 2)]
    assert (second["state"], second["queue"], second["wait"]) == ("answered", "faults", 10.0)


def test_of_two_events_at_one_instant_the_later_arrival_counts(legs):
    c2 = legs.loc[("c2", 1)]
    assert (c2["agent_id"], c2["handled"], c2["handle_time"], c2["wait"]) == ("a2", 1, 80.5, 8.0)
    assert c2["answered_in_threshold"] == 1


def test_unknown_queues_and_unreadable_entries_are_left_out(legs):
    assert sorted(legs.index) == [("c1", 1), ("c1", 2), ("c2", 1), ("c4", 1)]


def test_an_envelope_without_its_optional_fields_is_read_with_their_defaults(legs):
    c4 = legs.loc[("c4", 1)]
    assert (c4["state"], c4["abandoned"], c4["wait"]) == ("abandoned", 1, 2.0)
    assert c4["short_abandoned"] == 1  # 2 s: under the queue's 5 s
