"""Amazon Connect records: sample files (after Amazon's documented shapes) in, the wall's tiles
in a real Redis out; bad records named by number, line and field; fuzzed records refused."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest
from conftest import with_adapters, write_config
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.adapters.connect.importer import ConnectImportError, import_connect_records
from feeds.adapters.connect.mapping import map_connect_record
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError

DATA = Path(__file__).parent / "data" / "connect"
AGENTS, CONTACTS = DATA / "agent-events.jsonl", DATA / "contact-records.json"
# The sample records' day (11 March 2025), in the evening: the importer's statistics are the
# centre's day as of its clock, so a fixed one keeps the figures whenever the tests run.
EVENING = 1741716000.0  # 2025-03-11 18:00 UTC
CONNECT = """
[adapters.connect]
queue_map = { "BasicQueue" = "billing", "Omni-channel-queue" = "chat" }
agent_map = { "aestest" = "a05" }
customer_attribute = "customerRef"
tags_attribute = "tags"
"""


@pytest.fixture
def config(tmp_path: Path, prefix: str) -> Config:
    return with_adapters(write_config(tmp_path, prefix), CONNECT)


def records(path: Path) -> list[dict]:
    text = path.read_text()
    return json.loads(text) if text.startswith("[") else [json.loads(x) for x in text.splitlines()]


def evening() -> float:
    return EVENING


def tiles(bus: Bus) -> dict[str, dict]:
    return {q: e.data for q, e in bus.snapshot(["queue"])[1]["queue"].items()}


def test_sample_files_give_the_tiles_worked_out_by_hand(config, bus) -> None:
    report = import_connect_records([AGENTS, CONTACTS], config, bus, clock=evening)
    # 12 agent events (two of an agent of no board queue) and 8 contact records: an
    # outbound call, a call on an unmapped queue and an IVR-only call map to nothing.
    assert (report.records, report.not_the_boards, report.bad) == (20, 5, [])
    assert report.duplicates == 3  # the record delivered twice: its three events, once

    t = tiles(bus)
    assert set(t) == {"billing", "chat"}
    billing = t["billing"]
    # Answered after 12 s; abandoned after 45 s and after 3 s (a short abandon).
    assert (billing["offered"], billing["answered"], billing["abandoned"]) == (3, 1, 2)
    assert (billing["answered_in_threshold"], billing["short_abandoned"]) == (1, 1)
    assert (billing["service_level"], billing["abandon_rate"]) == (0.5, 0.5)
    assert (billing["asa"], billing["aht"]) == (12, 200 + 28 + 30)
    assert billing["agents"] == {"available": 1, "on_contact": 0, "wrap": 0, "away": 1,
                                 "offline": 0}  # fmt: skip
    chat = t["chat"]
    assert (chat["offered"], chat["answered"], chat["service_level"]) == (1, 1, 1.0)
    assert (chat["asa"], chat["aht"]) == (50, 320)

    agents = bus.snapshot(["agent"])[1]["agent"]
    assert set(agents) == {"a05", "jdoe"}  # mlee serves only an unmapped queue
    a05 = agents["a05"].data
    assert (a05["name"], a05["state"], a05["skills"], a05["team"]) == (
        "Ana Estes", "available", ["billing", "chat"], "North Billing",
    )  # fmt: skip
    assert (agents["jdoe"].data["state"], agents["jdoe"].data["reason"]) == ("away", "Lunch")

    # The customer id comes from the configured contact attribute, the tags from another.
    (summary,) = bus.client.hvals(f"{bus.prefix}customer:CUST-1001")
    assert json.loads(summary)["event"] == "completed"
    events = [json.loads(e[1][b"e"]) for e in bus.client.xrange(bus.contacts_key)]
    vip = {e["data"]["event"] for e in events if e["data"]["tags"] == ["vip"]}
    assert vip == {"offered", "answered", "completed"}


def test_importing_the_same_files_again_changes_no_figure(config, bus) -> None:
    import_connect_records([AGENTS, CONTACTS], config, bus, clock=evening)
    before = tiles(bus)
    again = import_connect_records([CONTACTS], config, bus, clock=evening)
    assert again.duplicates == again.envelopes
    after = tiles(bus)
    # Occupancy needs each agent's day of states; a second import starts from the bus's
    # latest states, so only the agent time differs (docs/metrics.md, occupancy).
    agent_time = {"busy_time", "available_time", "occupancy"}
    for q in before:
        assert {k: v for k, v in after[q].items() if k not in agent_time} == {
            k: v for k, v in before[q].items() if k not in agent_time
        }


def test_the_afternoon_file_adds_to_the_morning_s(config, bus, tmp_path) -> None:
    morning, afternoon = tmp_path / "am.json", tmp_path / "pm.jsonl"
    all_records = records(CONTACTS)
    morning.write_text(json.dumps(all_records[:2]))
    afternoon.write_text("".join(json.dumps(r) for r in all_records[2:]))  # Firehose style
    import_connect_records([morning], config, bus, clock=evening)
    import_connect_records([afternoon], config, bus, clock=evening)
    assert (tiles(bus)["billing"]["offered"], tiles(bus)["chat"]["offered"]) == (3, 1)


BAD_LINES = [
    ("not json at all", "", "not valid JSON"),
    ('["an", "array"]', "", "a record must be a JSON object"),
    ('{"Something": 1}', "", "neither an agent event"),
    ('{"EventType": "NAP", "EventTimestamp": "2025-03-11T10:00:00Z"}', "EventType", "must be"),
]


def changed(record: dict, **change) -> dict:
    """A copy of ``record`` with fields changed, named by path: ``Agent__Username="x"``."""
    record = copy.deepcopy(record)
    for path, value in change.items():
        node = record
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return record


def bad_agent(**change) -> dict:
    return changed(records(AGENTS)[1], **change)


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (bad_agent(EventTimestamp="yesterday"), "EventTimestamp", "not an ISO 8601 time"),
        (bad_agent(EventTimestamp=1741687200), "EventTimestamp", "must be a string"),
        (bad_agent(CurrentAgentSnapshot__AgentStatus__Name=None),
         "CurrentAgentSnapshot.AgentStatus.Name", "is required"),
        (bad_agent(EventTimestamp="1999-01-01T00:00:00Z"), "EventTimestamp", "greater than"),
        (bad_agent(CurrentAgentSnapshot__Configuration__RoutingProfile__InboundQueues="all"),
         "CurrentAgentSnapshot.Configuration.RoutingProfile.InboundQueues", "must be a list"),
    ],
)  # fmt: skip
def test_a_bad_agent_event_is_refused_naming_the_record_field(config, record, field, reason):
    with pytest.raises(SchemaError) as err:
        map_connect_record(record, config)
    assert err.value.field == field and reason in err.value.reason


def bad_contact(index: int = 0, **change) -> dict:
    return changed(records(CONTACTS)[index], **change)


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (bad_contact(Queue__EnqueueTimestamp=None), "Queue.EnqueueTimestamp", "is required"),
        (bad_contact(Agent__AgentInteractionDuration=-5), "Agent.AgentInteractionDuration",
         "not negative"),
        (bad_contact(Agent__ConnectedToAgentTimestamp="2025-03-11T09:00:00Z"),
         "Agent.ConnectedToAgentTimestamp", "must not be before enqueued_at"),
        (bad_contact(1, Queue__DequeueTimestamp=None, DisconnectTimestamp=None),
         "DisconnectTimestamp", "is required for a contact not answered"),
        (bad_contact(ContactId="has spaces in it"), "ContactId", "pattern"),
    ],
)  # fmt: skip
def test_a_bad_contact_record_is_refused_naming_the_record_field(config, record, field, reason):
    with pytest.raises(SchemaError) as err:
        map_connect_record(record, config)
    assert err.value.field == field and reason in err.value.reason


def test_bad_records_are_skipped_with_their_place_or_stop_the_whole_import(config, bus, tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps(r) for r in records(CONTACTS)[:3]]
    path.write_text("\n".join([good[0], *(line for line, _, _ in BAD_LINES), good[1], good[2]]))
    report = import_connect_records([path], config, bus, clock=evening)
    assert [(b.number, b.line, b.field) for b in report.bad] == [
        (2, 2, ""), (3, 3, ""), (4, 4, ""), (5, 5, "EventType"),
    ]  # fmt: skip
    assert all(reason in b.reason for b, (_, _, reason) in zip(report.bad, BAD_LINES, strict=True))
    assert "mixed.jsonl: record 5 (line 5): EventType: must be" in str(report.bad[-1])
    assert tiles(bus)["billing"]["offered"] == 3  # the good records went in

    fresh = Bus(bus.client, bus.prefix + "fatal:")
    with pytest.raises(ConnectImportError, match=r"record 2 \(line 2\): not valid JSON"):
        import_connect_records([path], config, fresh, on_bad_record="fatal", clock=evening)
    assert fresh.current_seq() == 0  # nothing at all was published


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=30) | st.sampled_from(["2025-03-11T10:00:00Z", "BasicQueue", "VOICE"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                  max_size=5),
    max_leaves=30,
)  # fmt: skip
SAMPLES = records(AGENTS) + records(CONTACTS)


def paths(node, prefix=()):
    """Every place in a record a value can be put, inside lists too."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()  # fmt: skip
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


FUZZ_CONFIG = with_adapters(Path(__file__).parent.parent / "floorboard.toml", CONNECT)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(range(len(SAMPLES))), st.data())
def test_fuzz_mutated_records_map_or_are_refused_by_name(index, data) -> None:
    record = copy.deepcopy(SAMPLES[index])
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(list(paths(record))))
        node = record
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = data.draw(JSON)
    try:
        envs = map_connect_record(record, FUZZ_CONFIG)
    except SchemaError as exc:
        assert exc.reason
        return
    assert all(e.kind in ("agent", "contact") for e in envs)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(SAMPLES))), st.data())
def test_fuzz_the_parts_that_matter_most(index, data) -> None:
    """As above, aimed at the contacts, queues, agent and attributes of the records."""
    record = copy.deepcopy(SAMPLES[index])
    parts = ("Contacts", "Queue", "Agent", "Attributes", "InboundQueues", "AgentStatus")
    aimed = [p for p in paths(record) if any(part in p for part in parts)]
    path = data.draw(st.sampled_from(aimed))
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(JSON)
    try:
        map_connect_record(record, FUZZ_CONFIG)
    except SchemaError as exc:
        assert exc.field or exc.reason


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_fuzz_any_json_maps_or_is_refused(value) -> None:
    with contextlib.suppress(SchemaError):
        map_connect_record(value, FUZZ_CONFIG)
