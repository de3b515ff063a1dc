"""The AMI wire parser: blocks split anywhere, malformed input skipped, never a crash or a hang."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.adapters.ami.protocol import MAX_LINE, Banner, Malformed, Message, Parser, format_action

GREETING = (
    b"Asterisk Call Manager/5.0.1\r\n"
    b"Response: Success\r\nActionID: fb-1\r\nMessage: Authentication accepted\r\n\r\n"
    b"Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nTimestamp: 1741687205.000100\r\n"
    b"Channel: PJSIP/trunk-00000002\r\nCallerIDNum: 07700900002\r\nUniqueid: 1741687102.2\r\n"
    b"Queue: support\r\nPosition: 2\r\nCount: 2\r\n\r\n"
)


def parse_all(data: bytes, cuts: list[int] = ()) -> list:
    parser, out, last = Parser(), [], 0
    for cut in sorted(c for c in cuts if 0 < c < len(data)):
        out += parser.feed(data[last:cut])
        last = cut
    return out + parser.feed(data[last:])


def test_banner_response_and_event() -> None:
    banner, login, join = parse_all(GREETING)
    assert banner == Banner("5.0.1")
    assert login.response == "Success" and login.action_id == "fb-1"
    assert join.event == "QueueCallerJoin"
    assert join.get("uniqueid") == join.get("UniqueID") == "1741687102.2"  # any case
    assert join.get("Timestamp") == "1741687205.000100"
    assert join.get("missing", "-") == "-"


def test_bare_newlines_and_blank_lines_between_blocks_are_fine() -> None:
    items = parse_all(b"\r\n\r\nEvent: A\nX: 1\n\n\n\nResponse: Error\r\nMessage: no\r\n\r\n")
    assert [(i.event, i.response) for i in items] == [("A", None), (None, "Error")]


def test_a_value_may_hold_colons_and_a_repeated_field_keeps_its_first_value() -> None:
    (msg,) = parse_all(b"Event: VarSet\r\nValue: a: b: c\r\nValue: second\r\n\r\n")
    assert msg.get("value") == "a: b: c"


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (b"this line has no field name\r\nEvent: X\r\n\r\n", "line 1 is not 'Name: value'"),
        (b"Event: X\r\n  indented: line\r\n\r\n", "line 2 is not 'Name: value'"),
        (b"Event: X\r\nBad\x00: nul\r\n\r\n", "line 2 is not 'Name: value'"),
        (b": no name\r\n\r\n", "line 1 is not 'Name: value'"),
        (b"Queue: support\r\nPosition: 1\r\n\r\n", "neither Event nor Response"),
        (b"Event: X\r\n" + b"K: v\r\n" * 300 + b"\r\n", "more than 256 lines"),
        (b"Event: X\r\nData: " + b"x" * (MAX_LINE + 10) + b"\r\n\r\n", "longer than"),
    ],
)
def test_a_malformed_block_is_reported_and_the_next_one_read(block: bytes, reason: str) -> None:
    bad, good = parse_all(block + b"Event: QueueCallerLeave\r\nUniqueid: 1.1\r\n\r\n")
    assert isinstance(bad, Malformed) and reason in bad.reason
    assert good.event == "QueueCallerLeave"


def test_an_endless_line_is_dropped_as_it_arrives_not_kept() -> None:
    parser = Parser()
    assert parser.feed(b"Event: X\r\nData: ") == []
    for _ in range(10):
        assert parser.feed(b"y" * MAX_LINE) == []
        assert len(parser._tail) <= MAX_LINE  # bounded memory, however long the line
    bad, good = parser.feed(b"end\r\n\r\nEvent: Y\r\n\r\n")
    assert isinstance(bad, Malformed) and good.event == "Y"


def test_format_action_and_no_line_breaks_smuggled_in() -> None:
    assert format_action("Login", "fb-1", {"Username": "fb", "Secret": "s"}) == (
        b"Action: Login\r\nActionID: fb-1\r\nUsername: fb\r\nSecret: s\r\n\r\n"
    )
    with pytest.raises(ValueError, match="Secret must be one line"):
        format_action("Login", "fb-1", {"Secret": "s\r\nAction: Originate"})


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000), st.lists(st.integers(0, 4000), max_size=8))
def test_fuzz_any_bytes_split_anywhere_never_crash_and_parse_the_same(data, cuts) -> None:
    whole = parse_all(data)
    assert parse_all(data, cuts) == whole
    assert all(isinstance(i, Banner | Message | Malformed) for i in whole)


FIELD = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n:\x00"), min_size=1, max_size=20
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(FIELD.filter(lambda s: s == s.strip() and s), FIELD, max_size=6), max_size=6
    ),
    st.lists(st.integers(0, 2000), max_size=5),
)
def test_fuzz_well_formed_blocks_come_back_as_sent(blocks, cuts) -> None:
    wire = b""
    for fields in blocks:
        fields = {"Event": "Fuzz", **fields}
        wire += "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode() + b"\r\n"
    items = parse_all(wire, cuts)
    assert len(items) == len(blocks)
    for item, fields in zip(items, blocks, strict=True):
        expected = {k.lower(): v.strip() for k, v in reversed(list(fields.items()))}
        assert {k: v for k, v in item.fields.items() if k != "event"} == {
            k: v for k, v in expected.items() if k != "event"
        }
