"""Moment-of-truth flags: each flag, its suggestion, and the edges of every rule."""

from __future__ import annotations

from typing import Any

import pytest

from feeds.bus.schema import make_envelope
from feeds.config import Queue
from feeds.config_feeds import Moments
from feeds.customers.history import PastContact
from feeds.customers.moments import (
    SUGGEST_AT_RISK,
    SUGGEST_CALLBACK,
    SUGGEST_OUTAGE,
    SUGGEST_REPEAT,
    SUGGEST_VIP,
    SUGGEST_WAITED,
    callback_flag,
    moment_flags,
    outage_flags,
    repeat_flag,
    tag_flags,
    waited_flag,
)
from feeds.notices.outages import outage_touches

T0 = 1_763_900_000.0
DAY = 86400.0
SETTINGS = Moments(repeat_contacts=3, repeat_days=7, abandoned_callback_hours=24)
BILLING = Queue(id="billing", name="Billing", sl_threshold=20)


def past(cid: str, at: float, event: str = "completed", **extra: Any) -> PastContact:
    fields: dict[str, Any] = {"queue": "billing", "channel": "voice", "agent_id": "a07"}
    if event in ("answered", "completed"):
        fields["answered_at"] = at + 30
    if event in ("abandoned", "completed"):
        fields["ended_at"] = at + 95
    if event == "completed":
        fields["handle"] = 250.0
    fields.update(extra)
    return PastContact(id=cid, event=event, enqueued_at=at, **fields)


def outage(oid: str, queues: list[str], status: str = "investigating", **data: Any):
    body = {
        "service": "Broadband North",
        "severity": "major",
        "status": status,
        "customer_wording": "We know about the fault; engineers are on site.",
        "workaround": "Use mobile data meanwhile.",
        "offer": "A £10 credit",
        "eta": T0 + 3600,
        "queues": queues,
        "started_at": T0 - 600,
        **data,
    }
    return make_envelope("outage", oid, body, ts=T0)


def contact(**data: Any) -> dict[str, Any]:
    return {
        "event": "answered",
        "queue": "billing",
        "channel": "voice",
        "customer_id": "AC1",
        "enqueued_at": T0,
        "answered_at": T0 + 10,
        "agent_id": "a01",
        "tags": [],
        **data,
    }


# -- repeat contact ----------------------------------------------------------------------------


def test_exactly_n_contacts_in_the_window_is_a_repeat_contact() -> None:
    # two earlier contacts + this one = 3 = repeat_contacts
    history = [past("c1", T0 - 2 * DAY), past("c2", T0 - 3600), past("c3", T0, "answered")]
    flag = repeat_flag("c3", T0, history, SETTINGS)
    assert flag is not None
    assert flag.kind == "repeat" and flag.suggestion == SUGGEST_REPEAT
    assert flag.title == "Repeat contact: 3rd in 7 days"
    assert flag.facts["count"] == 3
    assert [p["id"] for p in flag.facts["last"]] == ["c2", "c1"]  # newest first


def test_one_fewer_than_n_is_not_a_repeat_contact() -> None:
    history = [past("c2", T0 - 3600), past("c3", T0, "answered")]
    assert repeat_flag("c3", T0, history, SETTINGS) is None


def test_a_contact_just_outside_the_window_does_not_count() -> None:
    outside = T0 - 7 * DAY - 1
    history = [past("c1", outside), past("c2", T0 - 3600)]
    assert repeat_flag("c3", T0, history, SETTINGS) is None
    on_the_edge = [past("c1", T0 - 7 * DAY), past("c2", T0 - 3600)]
    assert repeat_flag("c3", T0, on_the_edge, SETTINGS) is not None


def test_the_current_contact_counts_once_whether_or_not_history_has_it() -> None:
    earlier = [past("c1", T0 - DAY), past("c2", T0 - 3600)]
    with_it = repeat_flag("c3", T0, [*earlier, past("c3", T0, "answered")], SETTINGS)
    without = repeat_flag("c3", T0, earlier, SETTINGS)
    assert with_it is not None and without is not None
    assert with_it.facts["count"] == without.facts["count"] == 3


def test_later_contacts_do_not_count_and_the_summary_is_bounded() -> None:
    settings = Moments(repeat_contacts=2, summary_contacts=2)
    history = [past(f"c{i}", T0 - i * 3600) for i in range(1, 6)] + [past("c9", T0 + 60)]
    flag = repeat_flag("c0", T0, history, settings)
    assert flag is not None and flag.facts["count"] == 6
    assert [p["id"] for p in flag.facts["last"]] == ["c1", "c2"]
    assert flag.title == "Repeat contact: 6th in 7 days"


def test_the_summary_says_what_came_of_each_earlier_contact() -> None:
    history = [past("c1", T0 - 7200, "abandoned", agent_id=None), past("c2", T0 - 3600)]
    flag = repeat_flag("c3", T0, history, SETTINGS)
    assert flag is not None
    gave_up, handled = flag.facts["last"][1], flag.facts["last"][0]
    assert gave_up == {
        "id": "c1", "at": T0 - 7200, "queue": "billing", "channel": "voice",
        "event": "abandoned", "agent_id": None, "waited": 95.0, "handle": None,
        "reason": None, "outcome": None,
    }  # fmt: skip
    assert handled["event"] == "completed" and handled["waited"] == 30.0
    assert handled["handle"] == 250.0 and handled["agent_id"] == "a07"


@pytest.mark.parametrize(("n", "word"), [(3, "3rd"), (4, "4th"), (11, "11th"), (21, "21st")])
def test_ordinals_in_the_title(n: int, word: str) -> None:
    history = [past(f"c{i}", T0 - i * 60) for i in range(1, n)]
    flag = repeat_flag("now", T0, history, Moments(repeat_contacts=3))
    assert flag is not None and flag.title.startswith(f"Repeat contact: {word} ")


# -- called back after abandoning --------------------------------------------------------------


def test_abandoned_earlier_and_called_back() -> None:
    history = [past("c1", T0 - 3 * 3600, "abandoned")]
    flag = callback_flag("c2", T0, history, SETTINGS)
    assert flag is not None
    assert flag.kind == "callback" and flag.suggestion == SUGGEST_CALLBACK
    assert flag.facts == {"abandoned_at": T0 - 3 * 3600 + 95, "waited": 95.0, "queue": "billing"}


def test_an_abandon_outside_the_callback_window_is_not_a_callback() -> None:
    gave_up_at = T0 - 24 * 3600 - 1  # one second too early
    history = [past("c1", gave_up_at - 95, "abandoned")]
    assert callback_flag("c2", T0, history, SETTINGS) is None
    history = [past("c1", T0 - 24 * 3600 - 95, "abandoned")]  # gave up exactly 24 h before
    assert callback_flag("c2", T0, history, SETTINGS) is not None


def test_no_callback_when_they_got_through_after_giving_up() -> None:
    history = [past("c1", T0 - 7200, "abandoned"), past("c2", T0 - 3600)]
    assert callback_flag("c3", T0, history, SETTINGS) is None
    waiting_elsewhere = [past("c1", T0 - 7200, "abandoned"), past("c2", T0 - 60, "offered")]
    assert callback_flag("c3", T0, waiting_elsewhere, SETTINGS) is not None


def test_only_abandons_make_a_callback() -> None:
    history = [past("c1", T0 - 3600), past("c2", T0 - 1800, "answered")]
    assert callback_flag("c3", T0, history, SETTINGS) is None


def test_the_latest_abandon_is_the_one_reported() -> None:
    history = [past("c1", T0 - 7200, "abandoned"), past("c2", T0 - 600, "abandoned")]
    flag = callback_flag("c3", T0, history, SETTINGS)
    assert flag is not None and flag.facts["abandoned_at"] == T0 - 600 + 95


# -- waited over target -------------------------------------------------------------------------


def test_waiting_longer_than_the_queue_threshold_is_flagged_with_an_apology() -> None:
    flag = waited_flag(T0, T0 + 20.5, BILLING)
    assert flag is not None
    assert flag.kind == "waited" and flag.suggestion == SUGGEST_WAITED
    assert flag.facts == {"waited": 20.5, "target": 20}


def test_answered_exactly_at_the_threshold_is_within_target() -> None:
    assert waited_flag(T0, T0 + 20, BILLING) is None
    assert waited_flag(T0, None, BILLING) is None  # no answer time: nothing to measure


# -- outages ------------------------------------------------------------------------------------


def test_an_active_outage_on_the_contacts_queue_is_flagged_with_its_wording_and_offer() -> None:
    flags = outage_flags("billing", [outage("o1", ["billing", "faults"])])
    assert len(flags) == 1
    f = flags[0]
    assert f.kind == "outage" and f.suggestion == SUGGEST_OUTAGE
    assert f.title == "Hit by an outage: Broadband North"
    assert f.facts == {
        "outage_id": "o1",
        "severity": "major",
        "wording": "We know about the fault; engineers are on site.",
        "offer": "A £10 credit",
        "workaround": "Use mobile data meanwhile.",
        "eta": T0 + 3600,
        "matched_by": "queue",
        "why": "calling an affected queue",
    }


def test_outages_elsewhere_do_not_flag_but_centre_wide_ones_do() -> None:
    assert outage_flags("billing", [outage("o1", ["faults"])]) == []
    assert [f.facts["outage_id"] for f in outage_flags("billing", [outage("o2", [])])] == ["o2"]


def test_an_outage_resolved_a_moment_ago_no_longer_flags() -> None:
    resolved = outage("o1", ["billing"], status="resolved")
    assert outage_flags("billing", [resolved]) == []
    assert not outage_touches(resolved.data, {"billing"})
    monitoring = outage("o1", ["billing"], status="monitoring")  # fixed, being watched: still on
    assert len(outage_flags("billing", [monitoring])) == 1


def test_several_outages_most_severe_first() -> None:
    minor = outage("o1", ["billing"], severity="minor")
    critical = outage("o2", [], severity="critical", service="Payments")
    flags = outage_flags("billing", [minor, critical])
    assert [f.facts["outage_id"] for f in flags] == ["o2", "o1"]


# -- tags ---------------------------------------------------------------------------------------


def test_vip_and_at_risk_tags() -> None:
    flags = tag_flags(["VIP", "at_risk", "moving-soon"])
    assert [(f.kind, f.suggestion) for f in flags] == [
        ("at-risk", SUGGEST_AT_RISK),
        ("vip", SUGGEST_VIP),
    ]
    assert tag_flags(["moving-soon"]) == []


# -- all together -------------------------------------------------------------------------------


def test_every_flag_of_a_contact_in_the_order_to_act_on_them() -> None:
    history = [
        past("c1", T0 - 2 * DAY),
        past("c2", T0 - 3600, "abandoned"),
        past("c3", T0, "answered"),
    ]
    flags = moment_flags(
        "c3",
        contact(answered_at=T0 + 45, tags=["vip", "at-risk"]),
        BILLING,
        history,
        [outage("o1", ["billing"])],
        SETTINGS,
    )
    assert [f.kind for f in flags] == ["outage", "callback", "waited", "repeat", "at-risk", "vip"]


def test_a_routine_contact_has_no_flags() -> None:
    flags = moment_flags("c1", contact(), BILLING, [], [outage("o1", ["faults"])], SETTINGS)
    assert flags == []
