"""Who sees a customer, checked at the raw stream of the real server (gunicorn + gevent): an
agent sees only the customer on their own current contact, from the moment it rings; no other
agent's stream and no wall stream ever carries a customer's profile, history or ledger."""

from __future__ import annotations

import json
import time

import pytest
from test_agent_stream import PASSWORD, contact, cookie, floor, login, stream

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus, connect
from feeds.config import load_config
from feeds.customers.ledger import Ledger
from feeds.customers.profiles import Profiles

NOW = time.time()
BO_CUSTOMER = {"name": "Bertha Privatename", "preferred_name": "Mrs Privatename",
               "segment": "Priority services", "region": "Wales",
               "cases": [{"id": "C-SECRET-9", "reason": "debt advice"}]}  # fmt: skip
ANN_CUSTOMER = {"name": "Asha Patel", "preferred_name": "Mrs Patel", "segment": "Standard tariff",
                "region": "North East", "products": ["Electricity"]}  # fmt: skip
SECRETS = ("Privatename", "C-SECRET-9", "debt advice", "AC-BO-7", "promised Bertha")


@pytest.fixture(autouse=True)
def users(redis_server, prefix) -> None:
    accounts = Accounts(connect(redis_server.url), prefix)
    for agent_id in ("a01", "a02"):
        accounts.add_user(agent_id, "agent", PASSWORD)


@pytest.fixture
def app(bus: Bus, redis_server, prefix, start_app):
    """The floor of the agent tab's stream tests, the app, and the customers: Bo's (AC-BO-7, on
    Bo's contact) with a profile and a promise, and Ann's."""
    floor(bus)
    app = start_app(redis_server.url, prefix)
    Profiles(bus).put([("AC-BO-7", BO_CUSTOMER), ("AC-ANN", ANN_CUSTOMER)], "test")
    Ledger(bus, load_config(app.config)).record(
        "a02", "c-bo", {"type": "promised", "text": "promised Bertha a call", "due": NOW + 3600},
        "a02",
    )  # fmt: skip
    return app


def test_an_agent_sees_only_the_customer_on_their_own_contact_from_when_it_rings(
    bus: Bus, app, sse
) -> None:
    ann = sse(app.port, stream("a01"), extra_headers=cookie(login(app.base, "a01")))
    bo = sse(app.port, stream("a02"), extra_headers=cookie(login(app.base, "a02")))
    snap_ann, snap_bo = ann.next_of("snapshot"), bo.next_of("snapshot")
    assert snap_ann["data"]["items"]["contact"]["card"] is None
    for secret in SECRETS:
        assert secret not in json.dumps(snap_ann)
    bo_card = snap_bo["data"]["items"]["contact"]["card"]  # Bo's own stream does carry it
    assert bo_card["who"]["greet"] == "Mrs Privatename"
    assert "promised Bertha a call" in json.dumps(bo_card["history"])

    # A contact rings at Ann: her card has her customer before she answers.
    bus.publish(contact("c-ann", "offered", "AC-ANN", agent_id="a01", reason="billing dispute"))
    card = ann.next_of("update")["data"]["items"]["contact"]["card"]
    assert card["state"] == "ringing" and card["who"]["greet"] == "Mrs Patel"
    assert card["headline"] == "First contact in 7 days: billing dispute"

    # Bo's customer changes, is given something, calls again: nothing of it reaches Ann.
    Profiles(bus).put([("AC-BO-7", {**BO_CUSTOMER, "segment": "Privatename tariff"})], "test")
    bus.publish(contact("c-bo2", "offered", "AC-BO-7", queue="chat", agent_id="a02"))
    bus.publish(contact("c-ann", "answered", "AC-ANN", agent_id="a01"))  # Ann's sentinel
    seen = []
    while True:
        ev = ann.next_of("update")
        seen.append(ev)
        card = ev["data"]["items"].get("contact", {}).get("card")
        if card and card["state"] == "answered":
            break
    raw = json.dumps(seen)
    for secret in (*SECRETS, "c-bo2"):
        assert secret not in raw


def test_no_wall_stream_or_wall_snapshot_carries_customers(bus: Bus, app, sse) -> None:
    wall = sse(app.port, "/stream?view=wall&board=main")
    first = json.dumps(wall.next_of("snapshot"))
    Profiles(bus).put([("AC-BO-7", {**BO_CUSTOMER, "region": "Privatename shire"})], "test")
    bus.publish(contact("c-x", "offered", "AC-BO-7", agent_id="a02"))
    status, body = app.get("/api/v1/snapshot?view=wall&board=main")
    assert status == 200
    updates = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            updates.append(wall.next(timeout=deadline - time.monotonic()))
        except (TimeoutError, OSError):
            break
    for raw in (first, body.decode(), json.dumps(updates)):
        for secret in (*SECRETS, "Asha", "Mrs Patel"):
            assert secret not in raw
