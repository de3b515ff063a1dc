"""JSON a column at a time (feeds.json_rows) is byte for byte what pydantic writes of each row,
whatever the values hold; a customer's history summary built so equals summary() of each
event; and the flat-out replay's prepared finals take only what they can write."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import to_json

from feeds import json_rows
from feeds.bus.prepared import prepare_finals
from feeds.customers.history import SUMMARY_FIELDS, summaries, summary

NUMBERS = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=12))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=12))
def test_each_value_is_written_as_pydantic_writes_it_alone(values) -> None:
    assert json_rows.each(values) == [to_json(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6).flatmap(
    lambda n: st.tuples(st.lists(VALUES, min_size=n, max_size=n),
                        st.lists(VALUES, min_size=n, max_size=n), VALUES, st.just(n))))  # fmt: skip
def test_objects_are_the_dicts_pydantic_writes(case) -> None:
    a, b, fixed, rows = case
    names = ("a", "50% off", "b", 'say "c"')
    got = json_rows.objects(names, {"a": a, "b": b}, rows, {"50% off": fixed, 'say "c"': None})
    want = [
        to_json({"a": x, "50% off": fixed, "b": y, 'say "c"': None})
        for x, y in zip(a, b, strict=True)
    ]
    assert got == want
    assert json_rows.objects(("x",), {}, 2, {"x": "%s"}) == [b'{"x":"%s"}'] * 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["completed", "abandoned", "answered"]),
                          st.one_of(st.none(), st.floats(0, 1e5)), st.text(max_size=8)),
                max_size=6))  # fmt: skip
def test_summaries_are_each_event_s_summary(events) -> None:
    datas = [{"event": e, "queue": "billing", "channel": "voice", "enqueued_at": 1.5,
              "answered_at": None, "ended_at": t, "agent_id": None, "talk": t, "hold": None,
              "wrap": 2.0, "reason": r or None, "outcome": "sold, twice"}
             for e, t, r in events]  # fmt: skip
    ids = [f"c{i}" for i in range(len(datas))]
    columns = (
        {k: [d.get(k) for d in datas] for k in SUMMARY_FIELDS if k in datas[0]} if datas else {}
    )
    columns |= {
        "id": ids,
        "handle": [json.loads(summary(i, d))["handle"] for i, d in zip(ids, datas, strict=True)],
    }
    assert summaries(columns, len(datas)) == [
        summary(i, d) for i, d in zip(ids, datas, strict=True)
    ]


def test_only_first_legs_final_events_are_prepared() -> None:
    data = {"event": ["answered"], "queue": ["q"], "channel": ["voice"], "customer_id": ["c"],
            "enqueued_at": [1.0]}  # fmt: skip
    with pytest.raises(ValueError, match="final events only"):
        prepare_finals("csv", ["c1"], [2.0], [None], data, [None])
    with pytest.raises(ValueError, match="final events only"):
        prepare_finals("csv", ["c1"], [2.0], [None], {**data, "event": ["completed"], "leg": [2]},
                       [None])  # fmt: skip
