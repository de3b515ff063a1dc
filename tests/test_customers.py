"""Customer profiles on a real Redis: written through the bus, read by id for a card, looked up
in a CRM (a real local HTTP server that is slow, down or talks junk), imported from CSV."""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from crm_server import PROFILE, crm_server

from feeds.bus.bus import Bus
from feeds.bus.embedded import free_port
from feeds.config_feeds import Crm
from feeds.customers.crm import CrmLookup, crm_key
from feeds.customers.csv_import import read_profiles
from feeds.customers.profiles import CustomerCache, Profiles, ledger_key
from feeds.errors import SchemaError

TZ = ZoneInfo("Europe/London")


def test_profiles_are_published_and_read_back_by_id(bus: Bus) -> None:
    profiles = Profiles(bus)
    profiles.put([("AC1", PROFILE), ("AC2", {"name": "Bo Chen"})], "test")
    env = profiles.get("AC1")
    assert env is not None and env.data["preferred_name"] == "Mrs Patel" and env.source == "test"
    assert bus.snapshot()[1]["customer"].keys() == {"AC1", "AC2"}  # the bus's latest values
    assert profiles.delete("AC2", "test") and profiles.get("AC2") is None
    assert not profiles.delete("AC2", "test")


@pytest.mark.parametrize(
    ("batch", "field", "reason"),
    [([("AC1", PROFILE), ("AC2", {"name": ""})], "1.name", "at least 1 character"),
     ([("AC1", {**PROFILE, "cases": [{"id": "C1", "reason": "x", "priority": "p1"}]})],
      "cases.0.priority", "must be one of"),
     ([("AC 1", PROFILE)], "id", "pattern"),
     ([("AC1", {**PROFILE, "colour": "red"})], "colour", "unknown field")],
)  # fmt: skip
def test_a_bad_profile_is_refused_naming_the_field_and_nothing_is_stored(
    bus: Bus, batch: list, field: str, reason: str
) -> None:
    with pytest.raises(SchemaError) as err:
        Profiles(bus).put(batch, "test")
    assert err.value.field == field and reason in err.value.reason
    assert bus.client.hlen(bus.state_key("customer")) == 0


def test_the_card_reads_a_customer_once_per_contact_until_told_of_a_change(bus: Bus) -> None:
    Profiles(bus).put([("AC1", PROFILE)], "test")
    bus.client.hset(ledger_key(bus.prefix, "AC1"), "k1", '{"id": "k1", "at": 1, "type": "gave"}')
    cache = CustomerCache(bus.client, bus.prefix)
    first = cache("AC1", "c1")
    assert first is not None and first.profile["name"] == "Asha Patel" and first.crm == ""
    assert [e["id"] for e in first.ledger] == ["k1"]
    Profiles(bus).put([("AC1", {**PROFILE, "segment": "Business"})], "test")
    assert cache("AC1", "c1") is first  # the same contact: from memory
    cache.forget("AC1")  # the view heard of the change
    assert cache("AC1", "c1").profile["segment"] == "Business"
    assert cache("AC1", "c2").profile["segment"] == "Business"  # the next contact reads anew


def crm_settings(port: int, **over: Any) -> Crm:
    return Crm(url=f"http://127.0.0.1:{port}/customers/{{id}}", timeout=0.5, **over)


def wait_for(check, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_customer_the_bus_does_not_know_is_looked_up_in_the_crm_and_published(
    bus: Bus, monkeypatch
) -> None:
    monkeypatch.setenv("TEST_CRM_TOKEN", "s3cret")
    with crm_server() as server:
        crm = CrmLookup(bus, crm_settings(server.server_port, token_env="TEST_CRM_TOKEN"))
        cache = CustomerCache(bus.client, bus.prefix, crm)
        pending = cache("AC77", "c1")
        assert pending is not None and pending.crm == "pending" and pending.profile is None
        env = wait_for(lambda: Profiles(bus).get("AC77"))
        assert env.source == "crm" and env.data["name"] == "Customer AC77"
        assert server.asked == [("/customers/AC77", "Bearer s3cret")]
        system = bus.snapshot(["system"])[1]["system"]["crm"].data
        assert system["status"] == "up"
        cache.forget("AC77")
        found = cache("AC77", "c1")
        assert found.profile["name"] == "Customer AC77" and found.crm == ""
        cache("AC77", "c2")  # fresh for cache_seconds: not asked again
        assert len(server.asked) == 1


@pytest.mark.parametrize(
    ("customer", "says"),
    [("SLOW1", "no answer within 0.5 s"), ("JUNK1", "not a profile"),
     ("WRONG1", "not a profile (data.name: is required)"), ("FAIL1", "answered HTTP 500")],
)  # fmt: skip
def test_a_crm_that_is_slow_or_talks_junk_fails_fast_and_the_card_says_so(
    bus: Bus, customer: str, says: str
) -> None:
    with crm_server() as server:
        crm = CrmLookup(bus, crm_settings(server.server_port, retry_seconds=60))
        began = time.monotonic()
        assert crm.lookup(customer) == "failed"
        assert time.monotonic() - began < 1.5  # the timeout, not the CRM's five seconds
        cache = CustomerCache(bus.client, bus.prefix, crm)
        caller = cache(customer, "c1")
        assert caller.crm == "failed" and says in caller.crm_detail
        system = bus.snapshot(["system"])[1]["system"]["crm"].data
        assert system["status"] == "down" and says in system["detail"]
        assert Profiles(bus).get(customer) is None
        asked = len(server.asked)
        cache(customer, "c2")  # within retry_seconds: the CRM is not asked again
        time.sleep(0.1)
        assert len(server.asked) == asked
        assert 55 < bus.client.ttl(crm_key(bus.prefix, customer)) <= 60


def test_a_crm_that_is_down_fails_and_one_that_does_not_know_them_says_so(bus: Bus) -> None:
    crm = CrmLookup(bus, crm_settings(free_port()))  # nothing listens there
    assert crm.lookup("AC1") == "failed"
    caller = CustomerCache(bus.client, bus.prefix, crm)("AC1", "c1")
    assert caller.crm == "failed" and "cannot be reached" in caller.crm_detail
    with crm_server() as server:
        crm = CrmLookup(bus, crm_settings(server.server_port))
        assert crm.lookup("NONE1") == "missing"
        caller = CustomerCache(bus.client, bus.prefix, crm)("NONE1", "c1")
        assert caller.crm == "missing" and caller.profile is None


def test_a_stale_crm_profile_is_shown_while_it_is_asked_again(bus: Bus) -> None:
    with crm_server() as server:
        crm = CrmLookup(bus, crm_settings(server.server_port, cache_seconds=1))
        assert crm.lookup("AC5") == "found"
        later = CustomerCache(bus.client, bus.prefix, crm, clock=lambda: time.time() + 5)
        caller = later("AC5", "c9")
        assert caller.profile["name"] == "Customer AC5" and caller.crm == ""  # shown meanwhile
        wait_for(lambda: len(server.asked) == 2)


CSV = """id,name,preferred_name,segment,region,postcode_area,products,consent_marketing,case_id,case_reason,case_priority,case_eta,callback_due
AC1,Asha Patel,Mrs Patel,Standard tariff,North East,NE,Electricity|Gas,no,C-1042,billing dispute,high,2030-01-01 10:00,2029-06-01 12:00
AC1,,,,,,,,C-1043,meter reading,,,
AC2,"Chen, Bo",,Business,,,,yes,,,,,
"""  # noqa: E501


def test_a_csv_file_becomes_profiles_with_cases_and_callbacks(bus: Bus) -> None:
    profiles = read_profiles(CSV, TZ, time.time())
    assert [cid for cid, _ in profiles] == ["AC1", "AC2"]
    asha = dict(profiles)["AC1"]
    assert asha["products"] == ["Electricity", "Gas"] and asha["consent"] == {"marketing": False}
    assert [(c["id"], c["priority"]) for c in asha["cases"]] == [("C-1042", "high"),
                                                                 ("C-1043", "normal")]  # fmt: skip
    assert asha["cases"][0]["eta"] == 1_893_492_000.0  # 2030-01-01 10:00 London
    assert len(asha["callbacks"]) == 1 and dict(profiles)["AC2"]["name"] == "Chen, Bo"
    Profiles(bus).put(profiles, "csv:test")
    assert Profiles(bus).get("AC2").data["segment"] == "Business"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [(("high,", "p1,"), "line 2, column case_priority", "must be one of"),
     (("2030-01-01 10:00", "soon"), "line 2, column case_eta", "expected ISO 8601"),
     (("AC1,,,,", "AC1,Someone Else,,,"), "line 3, column name", "differs from an earlier row"),
     ((",yes,", ",perhaps,"), "line 4, column consent_marketing", "must be yes or no"),
     (("AC2,", "A C2,"), "line 4, column id", "pattern"),
     (("preferred_name", "nickname"), "line 1, column nickname", "unknown column"),
     (('"Chen, Bo"', '""'), "line 4, column name", "at least 1 character"),
     (("AC2,", ","), "line 4, column id", "is required")],
)  # fmt: skip
def test_a_bad_csv_line_is_refused_with_its_line_and_column_and_nothing_is_stored(
    bus: Bus, change: tuple[str, str], field: str, reason: str
) -> None:
    bad = CSV.replace(*change)
    with pytest.raises(SchemaError) as err:
        Profiles(bus).put(read_profiles(bad, TZ, time.time()), "csv:test")
    assert err.value.field == field and reason in err.value.reason
    assert bus.client.hlen(bus.state_key("customer")) == 0


def test_a_quoted_line_break_keeps_the_line_numbers_true() -> None:
    text = 'id,name,segment\nAC1,"Asha\nPatel",Standard\nAC2,Bo,Business\nAC3,,x\n'
    with pytest.raises(SchemaError) as err:
        read_profiles(text, TZ, time.time())
    assert err.value.field == "line 5, column name"


def test_customers_are_never_snapshotted_nor_mirrored_but_their_changes_are_heard(
    bus: Bus,
) -> None:
    """A centre's customers may be millions: the live path must not hold them all, yet a card
    showing one must hear of its change."""
    from test_bus import Recorder

    from dashboard.live.hub import Hub
    from feeds.bus.subscriber import Subscriber

    Profiles(bus).put([("AC1", PROFILE)], "test")
    recorder = Recorder()
    Subscriber(bus, recorder)._resync()
    assert "customer" not in recorder.mirror and "agent" in recorder.mirror
    hub = Hub(bus)
    hub.on_snapshot(*bus.snapshot(["agent"]))
    (env,) = Profiles(bus).envelopes([("AC2", PROFILE)], "test")
    hub.on_update(env.model_copy(update={"seq": hub.seq + 1}))
    assert "customer" not in hub.mirror  # heard by the views (AgentView.affected), not kept
