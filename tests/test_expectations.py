"""Resetting the expectation: promises kept or missed, the open case, the promise to make now
and its approved wording, and the card's headline."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from feeds.customers.expectations import (
    Promise,
    callback_due,
    expectation,
    headline,
    open_case,
    promises,
)
from feeds.customers.history import PastContact

TZ = ZoneInfo("Europe/London")
T0 = 1_763_900_000.0  # Sunday 23 Nov 2025, 12:13:20 London
H, DAY = 3600.0, 86400.0
WINDOW = (4.0, 8.0, 20.0)  # a call back within 4 hours, open 08:00 to 20:00


def case(cid: str = "C-1042", reason: str = "billing dispute", **data: Any) -> dict:
    return {"id": cid, "reason": reason, "status": "open", "priority": "high",
            "opened_at": None, "eta": None, **data}  # fmt: skip


def promised(at: float, due: float, text: str = "call back by 17:00") -> dict:
    return {"id": f"k{at:.0f}", "type": "promised", "text": text, "at": at, "due": due,
            "agent_id": "a02"}  # fmt: skip


def reached(at: float) -> PastContact:
    return PastContact("c1", "completed", "billing", "voice", at - 60, at)


def test_crm_callbacks_and_promises_from_the_card_are_kept_or_missed() -> None:
    profile = {"callbacks": [
        {"due": T0 - DAY, "case_id": "C-1", "status": "pending"},  # passed, never done
        {"due": T0 + H, "case_id": None, "status": "pending"},
        {"due": T0 - 2 * DAY, "case_id": None, "status": "done"},
    ]}  # fmt: skip
    ledger = [promised(T0 - 5 * H, T0 - 2 * H), promised(T0 - 9 * H, T0 - 6 * H)]
    history = [reached(T0 - 7 * H)]  # they were reached before the second promise's deadline
    found = promises(profile, ledger, history, T0)
    assert [(p.due, p.status) for p in found] == [
        (T0 + H, "due"), (T0 - 2 * H, "missed"), (T0 - 6 * H, "kept"), (T0 - DAY, "missed"),
        (T0 - 2 * DAY, "kept"),
    ]  # fmt: skip
    assert found[1].id == f"k{T0 - 5 * H:.0f}" and found[1].agent_id == "a02"


def test_the_case_the_contact_is_about() -> None:
    profile = {"cases": [
        case("C-1", "meter reading", priority="normal"), case("C-2", "Billing Dispute"),
        case("C-3", "refund request", status="closed", priority="urgent"),
    ]}  # fmt: skip
    assert open_case(profile, "billing dispute")["id"] == "C-2"
    assert open_case(profile, "moving home")["id"] == "C-2"  # the most pressing open one
    assert open_case(None, "x") is None


def test_a_callback_is_promised_within_opening_hours() -> None:
    assert callback_due(T0, 4, TZ, 8, 20) == 1_763_914_500.0  # 16:15 today
    late = T0 + 7 * H  # 19:13: four hours on is 23:15, closed
    assert callback_due(late, 4, TZ, 8, 20) == 1_763_856_000.0 + DAY + 12 * H  # 12:00 tomorrow
    early = 1_763_856_000.0 + 2 * H  # 02:00: four hours on is 06:00, not open yet
    assert callback_due(early, 4, TZ, 8, 20) == 1_763_856_000.0 + 12 * H  # 12:00 today


def test_an_outage_sets_the_expectation_with_its_own_wording() -> None:
    outage = {"service": "Power network", "severity": "major", "eta": T0 + 3 * H,
              "customer_wording": "We know about a power cut in the North East.",
              "workaround": "Live map at northwind.example/powercut"}  # fmt: skip
    e = expectation("power cut", None, [outage], None, [], ref=T0, window=WINDOW, tz=TZ)
    assert (e.priority, e.issue) == ("major outage", "Power network")
    assert e.estimate == "" and e.due == T0 + 3 * H  # the promise says it: one time
    assert e.promise == "Expected fixed by today 15:13"
    assert e.wording == "We know about a power cut in the North East."
    assert e.workaround == "Live map at northwind.example/powercut"


def test_a_case_with_a_date_to_come_is_promised_by_that_date() -> None:
    profile = {"cases": [case(eta=T0 + DAY)]}
    e = expectation("billing dispute", profile, [], None, [], ref=T0, window=WINDOW, tz=TZ)
    assert e.issue == "billing dispute (case C-1042)" and e.priority == "high"
    assert e.promise == "Case C-1042 resolved by tomorrow 12:13" and e.estimate == ""
    assert "expect to resolve it by tomorrow 12:13" in e.wording


def test_a_late_case_gets_a_call_back_with_a_new_date_and_a_missed_one_an_apology() -> None:
    profile = {"cases": [case(eta=T0 - DAY)]}
    missed = Promise(T0 - DAY, "call back", "missed")
    delay = {"reason": "Storm damage", "expected_wait": 420}
    e = expectation("billing dispute", profile, [], delay, [missed], ref=T0, window=WINDOW, tz=TZ)
    assert e.estimate == "case was due yesterday 12:13"
    assert e.promise == "Call back by today 16:15 with a new date"
    assert e.wording.startswith("I'm sorry we didn't call back yesterday as we promised. ")
    assert e.wait == "Storm damage · expect 7:00"


def test_with_nothing_known_the_promise_is_a_call_back_in_the_window() -> None:
    e = expectation(None, None, [], None, [], ref=T0, window=WINDOW, tz=TZ)
    assert e.promise == "Call back by today 16:15 if it is not settled now"
    assert e.wording == "If we can't settle this today, we'll call you back by today 16:15."


def test_the_headline_says_it_all_in_one_line() -> None:
    made = [Promise(T0 - DAY, "call back", "missed")]
    assert headline(3, 7, "billing dispute", case(), made, TZ, T0) == (
        "3rd contact in 7 days: billing dispute "
        "(open case C-1042, promised callback yesterday, missed)"
    )
    assert headline(2, 7, "moving home", case(), [], TZ, T0) == (
        "2nd contact in 7 days: moving home (open case C-1042: billing dispute)"
    )
    assert headline(1, 7, None, None, [], TZ, T0) == "First contact in 7 days"
    due = [Promise(T0 + H, "Call back by 13:15", "due", at=T0 - H)]
    assert headline(1, 7, None, case(), due, TZ, T0) == (
        "First contact in 7 days: billing dispute "
        "(open case C-1042, promised “Call back by 13:15” today, due today 13:13)"
    )
