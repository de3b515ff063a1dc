"""Which callers an outage affects: by region (or postcode area), service and segment, with the
queue as the fallback, and the reason the card gives."""

from __future__ import annotations

from typing import Any

import pytest

from feeds.customers.matching import Match, names, outage_match, same

T0 = 1_763_900_000.0


def outage(queues: list[str] | None = None, status: str = "investigating", **who: Any) -> dict:
    return {"service": "Power network", "severity": "major", "status": status,
            "queues": queues or [], "started_at": T0, "regions": [], "services": [],
            "segments": [], **who}  # fmt: skip


def customer(**data: Any) -> dict:
    return {"name": "Asha Patel", "region": "North East", "postcode_area": "NE",
            "products": ["Electricity", "Gas"], "segment": "Standard tariff", **data}  # fmt: skip


def test_a_customer_in_a_named_region_is_affected_on_any_queue_and_told_why() -> None:
    o = outage(["faults"], regions=["North East"])
    assert outage_match(o, "moving", customer()) == Match("customer", "lives in North East")


def test_a_postcode_area_matches_as_a_region_does() -> None:
    o = outage(regions=["NE", "DH"])
    assert outage_match(o, "billing", customer(region="")) == Match("customer", "postcode area NE")


def test_a_customer_elsewhere_is_not_affected_even_on_the_affected_queue() -> None:
    o = outage(["billing"], regions=["North East"])
    assert outage_match(o, "billing", customer(region="Yorkshire", postcode_area="LS")) is None


def test_services_match_the_customers_products() -> None:
    o = outage(services=["Broadband"])
    assert outage_match(o, "billing", customer()) is None
    assert outage_match(o, "billing", customer(products=["Broadband"])) == Match(
        "customer", "has Broadband"
    )


def test_every_dimension_named_must_match_and_each_is_said() -> None:
    o = outage(regions=["north  east"], services=["electricity"], segments=["Standard tariff"])
    match = outage_match(o, "billing", customer())
    assert match == Match(
        "customer", "lives in North East; has Electricity; Standard tariff customer"
    )
    assert outage_match(o, "billing", customer(segment="Business")) is None


def test_a_segment_outage_hits_only_that_segment() -> None:
    o = outage(segments=["Business"])
    assert outage_match(o, "billing", customer()) is None
    assert outage_match(o, "billing", customer(segment="business")).by == "customer"


def test_an_unknown_field_neither_matches_nor_excludes() -> None:
    o = outage(regions=["North East"], services=["Electricity"])
    match = outage_match(o, "billing", customer(region="", postcode_area=""))
    assert match == Match("customer", "has Electricity")


@pytest.mark.parametrize(
    ("profile", "why"),
    [(None, "calling an affected queue (no profile)"),
     ({"name": "X"}, "calling an affected queue (their regions not known)")],
)  # fmt: skip
def test_callers_we_cannot_place_fall_back_to_the_queue(profile, why) -> None:
    o = outage(["billing"], regions=["North East"])
    assert outage_match(o, "billing", profile) == Match("queue", why)
    assert outage_match(o, "chat", profile) is None


def test_an_outage_naming_nobody_matches_by_queue_as_before() -> None:
    assert outage_match(outage(["billing"]), "billing", customer()) == Match(
        "queue", "calling an affected queue"
    )
    assert outage_match(outage(["billing"]), "chat", customer()) is None
    assert outage_match(outage([]), "chat", customer()) == Match("queue", "centre-wide")


def test_a_resolved_outage_affects_nobody() -> None:
    o = outage(regions=["North East"], status="resolved")
    assert outage_match(o, "billing", customer()) is None


def test_names_as_typed() -> None:
    assert names(" North East, NE ,, ") == ["North East", "NE"]
    assert names(None) == [] and names("") == []
    assert same("North  East", "north east") and not same("North East", "North")
