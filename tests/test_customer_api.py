"""``/api/v1`` customers, CSV import, standing rules and outages' "who it hits", on the real app
server: feeds push profiles with a supervisor token, supervisors keep the rules (audited), and
every bad payload is a 4xx naming the field (or the line and column) with nothing stored."""

from __future__ import annotations

import pytest
from test_api import Api, tokens

from feeds.bus.bus import Bus

PATEL = {"name": "Asha Patel", "preferred_name": "Mrs Patel", "segment": "Standard tariff",
         "region": "North East", "products": ["Electricity"]}  # fmt: skip


@pytest.fixture
def api(start_app, redis_server, prefix, bus: Bus) -> Api:
    return Api(start_app(redis_server.url, prefix).port, tokens(bus))


def stored(bus: Bus) -> set[str]:
    return {k.decode() for k in bus.client.hkeys(bus.state_key("customer"))}


def test_a_feed_puts_a_profile_and_a_supervisor_reads_it_back(api: Api, bus: Bus) -> None:
    status, body = api("PUT", "/customers/AC1", PATEL)
    assert status == 200 and body["id"] == "AC1" and body["seq"] > 0
    status, body = api("GET", "/customers/AC1")
    assert status == 200 and body["preferred_name"] == "Mrs Patel" and body["ledger"] == []
    assert body["source"] == "api:supervisor"
    for role in ("agent", "viewer"):  # an agent sees a customer only on their own card
        assert api("GET", "/customers/AC1", role=role)[0] == 403
        assert api("PUT", "/customers/AC2", PATEL, role=role)[0] == 403
    assert api("GET", "/customers/AC1", role=None)[0] == 401
    assert api("DELETE", "/customers/AC1")[0] == 204
    assert api("GET", "/customers/AC1")[0] == 404 and stored(bus) == set()


def test_bad_profiles_are_refused_naming_the_field_and_nothing_is_stored(
    api: Api, bus: Bus
) -> None:
    cases = [
        ("PUT", "/customers/AC1", {**PATEL, "name": ""}, "name", "at least 1 character"),
        ("PUT", "/customers/AC1", {**PATEL, "tier": "gold"}, "tier", "unknown field"),
        ("PUT", "/customers/AC%201", PATEL, "id", "pattern"),
        ("PUT", "/customers/AC1", [PATEL], "body", "must be a JSON object"),
        ("POST", "/customers", [{"id": "AC1", **PATEL}, {"id": "AC2", **PATEL, "cases": [
            {"id": "C1", "reason": "x", "status": "lost"}]}], "1.cases.0.status",
         "must be one of"),
        ("POST", "/customers", [{"id": "AC1", **PATEL}, PATEL], "1.id", "is required"),
        ("POST", "/customers", {"id": "AC1", **PATEL}, "body", "non-empty list"),
    ]  # fmt: skip
    for method, path, body, field, reason in cases:
        status, answer = api(method, path, body)
        assert status == 400, (path, answer)
        assert answer["error"]["field"] == field and reason in answer["error"]["reason"]
    assert stored(bus) == set()


def test_a_csv_import_is_stored_whole_or_refused_at_its_line_and_column(api: Api, bus: Bus) -> None:
    good = "id,name,segment,products\nAC1,Asha Patel,Standard tariff,Electricity|Gas\nAC2,Bo,,\n"
    bad = good.replace("AC2,Bo", "AC2,")
    status, body = api("POST", "/customers/import", raw=bad.encode(), content_type="text/csv")
    assert status == 400 and body["error"]["field"] == "line 3, column name"
    assert "at least 1 character" in body["error"]["reason"]
    assert stored(bus) == set()
    raw = good.encode()
    assert api("POST", "/customers/import", raw=raw, content_type="text/plain")[0] == 415
    assert (
        api("POST", "/customers/import", raw=raw, content_type="text/csv", role="agent")[0] == 403
    )
    status, body = api("POST", "/customers/import", raw=raw, content_type="text/csv")
    assert status == 200 and body == {"stored": 2} and stored(bus) == {"AC1", "AC2"}
    assert api("GET", "/customers/AC1")[1]["products"] == ["Electricity", "Gas"]


def test_supervisors_keep_the_rules_with_audit_and_agents_read_them(api: Api) -> None:
    rule = {"title": "Goodwill credit", "action": "credit", "limit": 20, "allowance": 30}
    assert api("POST", "/rules", rule, role="agent")[0] == 403
    status, created = api("POST", "/rules", rule)
    assert status == 201 and created["id"].startswith("r-")
    status, changed = api("PATCH", f"/rules/{created['id']}", {"queues": ["billing"]})
    assert status == 200 and changed["queues"] == ["billing"] and changed["limit"] == 20
    status, listed = api("GET", "/rules", role="agent")
    assert status == 200 and [r["id"] for r in listed["rules"]] == [created["id"]]
    assert api("DELETE", f"/rules/{created['id']}")[0] == 200
    assert api("GET", f"/rules/{created['id']}", role="agent")[0] == 404
    status, audit = api("GET", "/audit?kind=rule")
    assert [e["action"] for e in audit["entries"]] == ["retire", "update", "create"]
    assert audit["entries"][2]["actor"].endswith("supervisor")


def test_bad_rules_are_refused_naming_the_field(api: Api) -> None:
    cases = [
        ({"title": "Credit", "action": "credit", "limit": "twenty"}, "limit", "valid number"),
        ({"title": "Credit", "action": "gift"}, "action", "must be one of"),
        ({"title": "Credit", "action": "credit", "times": 0}, "times", "greater than or equal"),
        ({"title": "Credit", "action": "credit", "queues": ["mars"]}, "queues.0", "unknown queue"),
        ({"action": "credit"}, "title", "is required"),
    ]
    for body, field, reason in cases:
        status, answer = api("POST", "/rules", body)
        assert status == 400 and answer["error"]["field"] == field, answer
        assert reason in answer["error"]["reason"]
    assert api("GET", "/rules")[1]["rules"] == []


def test_an_outage_names_who_it_hits(api: Api) -> None:
    outage = {"service": "Power network", "severity": "major", "regions": ["North East", "NE"],
              "services": ["Electricity"], "offer": "£25 credit", "offer_amount": 25}  # fmt: skip
    status, body = api("POST", "/outages", outage)
    assert status == 201 and body["regions"] == ["North East", "NE"] and body["offer_amount"] == 25
    status, answer = api("POST", "/outages", {**outage, "regions": [""]})
    assert status == 400 and answer["error"]["field"] == "regions.0"
    status, answer = api("POST", "/outages", {**outage, "offer_amount": -1})
    assert status == 400 and answer["error"]["field"] == "offer_amount"
