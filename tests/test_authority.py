"""What an agent may give: which rules apply, allowances used, outage offers above the standing
limit (the conflict rule), and each grant's refusal with its field and reason."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feeds.bus.schema import parse_data
from feeds.customers.authority import (
    allowed,
    applies,
    check_grant,
    fmt_money,
    outage_offer,
    parse_amount,
    period_start,
    standing,
)
from feeds.errors import SchemaError

TZ = ZoneInfo("Europe/London")
T0 = 1_763_900_000.0  # Sunday 23 Nov 2025, 12:13:20 London
DAY = 86400.0


def rule(**data: Any) -> dict[str, Any]:
    return parse_data("rule", {"title": "Goodwill credit", "action": "credit", **data})


def gave(rule_id: str, amount: float | None, at: float, **data: Any) -> dict[str, Any]:
    return {"type": "gave", "rule_id": rule_id, "amount": amount, "at": at, **data}


def stand(r: dict, entries: list, contact: str = "c9", ref: float = T0):
    return standing("r1", r, entries, contact_id=contact, ref=ref, tz=TZ, currency="£")


def test_money_reads_as_people_write_it() -> None:
    assert fmt_money(20, "£") == "£20" and fmt_money(12.5, "£") == "£12.50"
    assert fmt_money(1200, "€") == "€1,200"
    assert parse_amount("amount", " £1,200.50 ") == 1200.5 and parse_amount("a", "") is None
    with pytest.raises(SchemaError) as err:
        parse_amount("amount", "twenty")
    assert (err.value.field, err.value.reason) == ("amount", "must be an amount, like 20 or 12.50")


def test_a_rule_applies_by_queue_team_and_segment() -> None:
    r = rule(queues=["billing"], teams=["Tier 2"], segments=["Business"])
    assert applies(r, "billing", "tier 2", "business")
    assert not applies(r, "faults", "Tier 2", "Business")
    assert not applies(r, "billing", "Tier 1", "Business")
    assert not applies(r, "billing", "Tier 2", "Standard")
    assert not applies(r, "billing", "Tier 2", None)  # a segment we do not know is not Business
    assert applies(rule(), "chat", None, None)  # no scope: every contact


def test_periods_start_on_the_centres_calendar() -> None:
    assert period_start("day", T0, TZ) == 1_763_856_000.0  # 23 Nov 00:00 London
    assert period_start("week", T0, TZ) == 1_763_856_000.0 - 6 * DAY  # Monday 17 Nov
    assert period_start("month", T0, TZ) == 1_761_955_200.0  # 1 Nov 00:00 (GMT)
    assert period_start("year", T0, TZ) == 1_735_689_600.0  # 1 Jan 2025


def test_what_was_given_today_counts_against_the_allowance() -> None:
    r = rule(limit=20, allowance=30)
    entries = [gave("r1", 10, T0 - 3600), gave("r1", 15, T0 - DAY), gave("r2", 5, T0 - 60)]
    s = stand(r, entries)
    assert (s.used, s.count, s.left, s.blocked) == (10, 1, 20, "")
    assert s.text("£") == {"allows": "up to £20 (more: a supervisor)",
                           "used": "£10 of £30 used today", "blocked": ""}  # fmt: skip
    s = stand(r, [*entries, gave("r1", 15, T0 - 60)])
    assert s.left == 5  # £25 of £30 used: only £5 more today


def test_an_allowance_used_up_blocks_the_rule_until_the_period_turns() -> None:
    r = rule(allowance=30)
    used = [gave("r1", 20, T0 - 3600), gave("r1", 10, T0 - 60)]
    assert stand(r, used).blocked == "the £30 allowed today is used"
    assert stand(r, used, ref=T0 + DAY).blocked == ""  # tomorrow


def test_one_per_year_is_counted_over_the_year() -> None:
    r = rule(title="Waive a late fee", action="waiver", times=1, period="year")
    s = stand(r, [gave("r1", None, T0 - 200 * DAY)])
    assert s.blocked == "used 1 of 1 this year" and s.text("£")["used"] == "1 of 1 used this year"
    assert stand(r, [gave("r1", None, T0 - 400 * DAY)]).blocked == ""


def test_a_per_contact_allowance_counts_this_contact_only() -> None:
    r = rule(allowance=10, period="contact")
    entries = [gave("r1", 10, T0 - 60, contact_id="c1")]
    assert stand(r, entries, contact="c1").blocked
    assert stand(r, entries, contact="c9").blocked == ""


def test_grants_within_the_rule_pass_and_others_are_refused_naming_the_field() -> None:
    s = stand(rule(limit=20, allowance=30), [gave("r1", 15, T0 - 60)])
    check_grant(15, currency="£", stand=s)
    cases = [
        (25, "amount", "£25 is above your limit of £20: ask a supervisor"),
        (16, "amount", "only £15 may still be given today"),
        (None, "amount", "say how much"),
        (0, "amount", "must be more than 0"),
    ]
    for amount, field, reason in cases:
        with pytest.raises(SchemaError) as err:
            check_grant(amount, currency="£", stand=s)
        assert (err.value.field, err.value.reason) == (field, reason)
    never = stand(rule(limit=50, over_limit="refused"), [])
    with pytest.raises(SchemaError, match="more than this rule ever allows"):
        check_grant(60, currency="£", stand=never)
    with pytest.raises(SchemaError) as err:
        check_grant(5, currency="£", stand=None)
    assert err.value.field == "rule"


def test_an_outage_offer_above_the_standing_limit_is_approved_for_that_outage() -> None:
    credit, refund = stand(rule(limit=20), []), stand(rule(action="refund", limit=10), [])
    outage = {"service": "Power network", "offer": "£25 credit", "offer_amount": 25}
    offer = outage_offer("o1", outage, [], [credit, refund])
    assert offer is not None and offer.above == ("Goodwill credit",)  # refunds are another thing
    assert offer.note("£") == (
        "£25 is above your standing limit (Goodwill credit): approved for this outage"
    )
    check_grant(25, currency="£", offer=offer)  # more than the £20 standing limit: allowed
    with pytest.raises(SchemaError, match="the outage offer is £25"):
        check_grant(30, currency="£", offer=offer)


def test_an_outage_offer_is_given_once_and_not_counted_against_the_allowance() -> None:
    entries = [gave(None, 25, T0 - 60, outage_id="o1")]
    outage = {"service": "Power network", "offer": "£25 credit", "offer_amount": 25}
    offer = outage_offer("o1", outage, entries, [])
    assert offer is not None and offer.given and offer.note("£") == "already given for this outage"
    with pytest.raises(SchemaError, match="already given"):
        check_grant(25, currency="£", offer=offer)
    assert stand(rule(limit=20, allowance=30), entries).used == 0  # not the rule's allowance


def test_an_outage_without_an_offer_offers_nothing() -> None:
    assert outage_offer("o1", {"service": "x", "offer": "", "offer_amount": None}, [], []) is None


def test_allowed_lists_the_rules_that_apply_by_title_and_the_outage_offers() -> None:
    rules = [
        ("r2", rule(title="Waive a fee", action="waiver", times=1, period="year")),
        ("r1", rule(limit=20)),
        ("r3", rule(title="Business", segments=["Business"])),
    ]
    outages = [("o1", {"service": "Power", "offer": "£25 credit", "offer_amount": 25.0})]
    stands, offers = allowed(
        rules, [], outages, queue_id="billing", team="North", segment="Standard",
        contact_id="c9", ref=T0, tz=TZ, currency="£",
    )  # fmt: skip
    assert [s.id for s in stands] == ["r1", "r2"]
    assert [(o.outage_id, o.above) for o in offers] == [("o1", ("Goodwill credit",))]
