"""CSV replay: files in, the wall's tiles in a real Redis out; paced and flat out; column
mapping; bad rows by line, skipped or fatal; fuzzed files never break the reader."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import with_adapters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.adapters.csv_replay import check_csv, replay_csv
from feeds.adapters.csv_rows import CsvError, read_rows
from feeds.bus.bus import Bus
from feeds.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "docs" / "samples" / "contacts-day.csv"
HEADER = (
    "contact_id,enqueued_at,queue,channel,wait,talk,hold,wrap,outcome,agent_id,customer_id,tags"
)
SMALL = f"""{HEADER}
c1,2025-03-11 10:00:00,billing,voice,12,200,10,30,answered,a01,+44 7700 900001,vip
c2,2025-03-11 10:00:30,billing,,45,,,,abandoned,,C2,
c3,2025-03-11 10:01:00,billing,voice,3,,,,abandoned,,C3,
c4,2025-03-11 10:01:30,billing,voice,30,100,0,20,answered,a02,C4,
c5,2025-03-11T10:02:00+00:00,chat,chat,50,300,,20,answered,a03,C5,
"""


NOON = 1741694400.0  # 2025-03-11 12:00 in London, the files' day


def noon() -> Callable[[], float]:
    """A clock that reads noon on the files' day and runs on with real time: a replay "from
    now" then never crosses the centre's midnight (which starts a new day of figures),
    whenever the tests run."""
    start = time.monotonic()
    return lambda: NOON + time.monotonic() - start


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "floorboard.toml")


def write(tmp_path: Path, text: str, name: str = "day.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def tiles(bus: Bus) -> dict[str, dict]:
    return {q: e.data for q, e in bus.snapshot(["queue"])[1]["queue"].items()}


def stream(bus: Bus) -> list[dict]:
    return [json.loads(e[1][b"e"]) for e in bus.client.xrange(bus.contacts_key)]


def test_a_small_day_flat_out_gives_the_tiles_worked_out_by_hand(config, bus, tmp_path):
    report = replay_csv(write(tmp_path, SMALL), config, bus, speed=0, clock=noon())
    assert (report.rows, report.events, report.bad) == (5, 13, [])
    assert NOON <= report.first < NOON + 60  # rebased to the clock's "now"
    billing = tiles(bus)["billing"]
    assert (billing["offered"], billing["answered"], billing["abandoned"]) == (4, 2, 2)
    assert (billing["answered_in_threshold"], billing["short_abandoned"]) == (1, 1)  # 12 s; 3 s
    assert billing["service_level"] == pytest.approx(1 / 3)  # 1 ÷ (2 + 2 − 1)
    assert (billing["asa"], billing["aht"]) == (21, (240 + 120) / 2)
    assert billing["abandon_rate"] == pytest.approx(1 / 3)  # (2 − 1) ÷ (4 − 1)
    assert tiles(bus)["chat"]["aht"] == 320
    # Flat out, each contact goes to the bus once, as its final event, which tells it all.
    events = stream(bus)
    assert [e["data"]["event"] for e in events].count("offered") == 0 and len(events) == 5
    c1 = next(e for e in events if e["id"] == "c1")["data"]
    assert c1["ended_at"] - c1["answered_at"] == 210 and c1["customer_id"] == "447700900001"
    assert c1["tags"] == ["vip"] and c1["agent_id"] == "a01"


def test_the_times_start_now_unless_asked_otherwise(config, bus, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    before = time.time()
    report = replay_csv(path, config, bus, speed=0)
    assert before <= report.first <= time.time()
    assert report.last - report.first == 2 * 60 + 50 + 300 + 20  # c5 ends last
    kept = replay_csv(path, config, Bus(bus.client, bus.prefix + "b:"), speed=0, rebase="none")
    assert kept.first == 1741687200.0  # 10:00 in London on the day of the file


def test_the_sample_day_replays_to_what_pandas_says_of_the_file(config, bus) -> None:
    report = replay_csv(SAMPLE, config, bus, speed=0, rebase="today", chunksize=1000)
    df = pd.read_csv(SAMPLE)
    assert report.rows == len(df) and report.bad == []
    for queue, rows in df.groupby("queue"):
        q = config.queue(queue)
        answered = rows[rows.outcome == "answered"]
        abandoned = rows[rows.outcome == "abandoned"]
        tile = tiles(bus)[queue]
        assert (tile["offered"], tile["answered"], tile["abandoned"]) == (
            len(rows), len(answered), len(abandoned),
        )  # fmt: skip
        assert tile["answered_in_threshold"] == (answered.wait <= q.sl_threshold).sum()
        assert tile["short_abandoned"] == (abandoned.wait < q.short_abandon).sum()
        assert tile["asa"] == pytest.approx(answered.wait.mean(), abs=0.01)
        handle = answered[["talk", "hold", "wrap"]].sum(axis=1).mean()
        assert tile["aht"] == pytest.approx(handle, abs=0.01)
        assert tile["waiting"] == 0


def test_paced_replay_keeps_the_day_s_rhythm(config, bus, tmp_path) -> None:
    # 50 replayed seconds between the first and the last event, at speed 100: half a second.
    text = f"""{HEADER}
p1,2025-03-11 10:00:00,billing,voice,5,20,,,answered,a01,C1,
p2,2025-03-11 10:00:10,billing,voice,40,,,,abandoned,,C2,
"""
    seen: list[tuple[float, str]] = []
    original = bus.publish_many

    def spy(envs, now=None):
        seen.extend((time.monotonic(), f"{e.id}:{e.data.get('event')}") for e in envs)
        return original(envs, now=now)

    bus.publish_many = spy
    start = time.monotonic()
    report = replay_csv(write(tmp_path, text), config, bus, speed=100)
    took = time.monotonic() - start
    assert 0.45 <= took < 3.0
    order = [what for _, what in seen if what.startswith("p")]
    assert order == ["p1:offered", "p1:answered", "p2:offered", "p1:completed", "p2:abandoned"]
    at = {what: t for t, what in seen}
    assert at["p2:abandoned"] - at["p1:offered"] >= 0.45  # 50 s at speed 100
    assert report.events == 5 and stream(bus)[0]["data"]["event"] == "offered"  # paced: all


def test_a_paced_replay_given_a_finished_contact_again_does_not_reopen_it(config, bus, tmp_path):
    # c1 ends at 10:04:12; the file gives it again after rows that start later. Paced at
    # speed 1000 the replay's clock runs minutes ahead of the wall clock, and the repeat's
    # events are stamped before c1's end: the producer's clock must not go back with them, or
    # the bus takes c1's remembered end as stamped by a clock that ran ahead and reopens it.
    rows = SMALL.splitlines()
    text = "\n".join(
        [
            *rows,
            "c6,2025-03-11 10:06:00,billing,voice,5,10,,,answered,a04,C6,",
            rows[1],
            "c7,2025-03-11 10:07:00,billing,voice,5,10,,,answered,a04,C7,",
        ]
    )
    report = replay_csv(write(tmp_path, text + "\n"), config, bus, speed=1000)
    assert report.rows == 8
    assert "c1" not in bus.snapshot(["contact"])[1]["contact"]  # not waiting again
    assert tiles(bus)["billing"]["offered"] == 6  # c1 counted once
    written = [(e["id"], e["data"]["event"]) for e in stream(bus) if e["seq"]]
    assert written.count(("c1", "completed")) == 1 and written.count(("c1", "offered")) == 1


def test_a_stop_ends_a_paced_replay_and_what_was_taken_is_published_whole(config, bus, tmp_path):
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    report = replay_csv(SAMPLE, config, bus, speed=1, stop=stop)
    assert report.rows >= 1
    events = stream(bus)
    assert {e["id"] for e in events if e["data"]["event"] in ("completed", "abandoned")} == {
        e["id"] for e in events
    }  # no contact left waiting or talking forever


def test_the_file_s_own_column_and_queue_names(tmp_path, bus) -> None:
    data = csv_config(
        '[adapters.csv]\ncolumns = { enqueued_at = "Start Time", queue = "Queue", '
        'wait = "Wait (s)", outcome = "Result" }\nqueue_map = { "Billing Line" = "billing" }\n'
    )
    text = (
        "Start Time,Queue,Wait (s),Result,Handle (s),Agent\n"
        "2025-03-11 10:00:00,Billing Line,10,Handled,300,Alice Smith\n"
    )
    report = replay_csv(write(tmp_path, text), data, bus, speed=0,
                        mapping={"handle": "Handle (s)", "agent_id": "Agent"})  # fmt: skip
    assert report.rows == 1
    (event,) = stream(bus)
    assert (event["data"]["talk"], event["data"]["agent_id"]) == (300, "Alice-Smith")
    with pytest.raises(CsvError, match=r"column 'Start Time' \(enqueued_at\) is missing"):
        replay_csv(write(tmp_path, SMALL), data, bus, speed=0)
    with pytest.raises(CsvError, match="unknown field 'colour'"):
        replay_csv(write(tmp_path, SMALL), data, bus, mapping={"colour": "x"})


def csv_config(extra: str) -> Config:
    return with_adapters(ROOT / "floorboard.toml", extra)


BAD = f"""{HEADER}
c1,2025-03-11 10:00:00,billing,voice,12,200,10,30,answered,a01,C1,
c2,yesterday,billing,,45,,,,abandoned,,C2,

c3,2025-03-11 10:01:00,sales,voice,3,,,,abandoned,,C3,
c4,2025-03-11 10:01:30,billing,voice,30,100,0,20,answered,a02,C4,too,many
c5,2025-03-11 10:02:00,chat,pigeon,50,300,,20,answered,a03,C5,
c6,2025-03-11 10:02:30,chat,chat,-1,300,,20,answered,a03,C6,
c7,2025-03-11 10:03:00,chat,chat,10,300,,20,maybe,a03,C7,
c8,2025-03-11 10:03:30,chat,chat,10,lots,,20,answered,a03,C8,
c9,2025-03-11 10:04:00,billing,voice,10,,,,answered,{"x" * 200},C9,
c10,2025-03-11 10:05:00,billing,voice,10,,,,answered,a04,C10,
"""


def test_bad_rows_are_reported_by_line_and_column_and_skipped(config, bus, tmp_path) -> None:
    report = replay_csv(write(tmp_path, BAD), config, bus, speed=0)
    assert [str(b) for b in report.bad] == [
        "line 3: enqueued_at: not a time (ISO 8601 or epoch seconds)",
        "line 5: queue: not a queue of the board (map it in [adapters.csv] queue_map)",
        "line 6: expected 12 fields, saw 13",
        "line 7: channel: unknown channel 'pigeon'; the configured channels are voice, chat, "
        "email, social, sms, callback, web_form, fax",
        "line 8: wait: must not be negative",
        "line 9: outcome: must be answered or abandoned",
        "line 10: talk: not a number",
        "line 11: agent_id: String should have at most 128 characters",
    ]
    assert report.rows == 2 and {e["id"] for e in stream(bus)} == {"c1", "c10"}


def test_cells_are_read_without_the_spaces_around_them_and_a_short_line_is_reported(
    config, bus, tmp_path
) -> None:
    text = f"""{HEADER}
 c1 , 2025-03-11 10:00:00 ,billing\t, voice,12 ,200,10,30, answered,a01 , C1 ,vip
c2,2025-03-11 10:00:05,billing
"""
    report = replay_csv(write(tmp_path, text), config, bus, speed=0)
    assert [str(b) for b in report.bad] == ["line 3: wait: is required"]
    (final,) = stream(bus)
    assert (final["id"], final["data"]["queue"], final["data"]["agent_id"]) == (
        "c1",
        "billing",
        "a01",
    )
    assert (final["data"]["customer_id"], final["data"]["talk"]) == ("C1", 200.0)


def test_a_check_reads_the_whole_file_and_publishes_nothing(config, bus, tmp_path) -> None:
    good, bad = check_csv(write(tmp_path, BAD), config)
    assert good == 2 and [b.line for b in bad] == [3, 5, 6, 7, 8, 9, 10, 11]
    assert bus.current_seq() == 0
    assert check_csv(SAMPLE, config) == (3200, [])


def test_a_fatal_bad_row_publishes_the_rows_before_it_whole_and_nothing_after(
    config, bus, tmp_path
) -> None:
    with pytest.raises(CsvError, match="bad row at line 3: enqueued_at") as err:
        replay_csv(write(tmp_path, BAD), config, bus, speed=0, on_bad_row="fatal")
    assert err.value.bad.line == 3
    assert [(e["id"], e["data"]["event"]) for e in stream(bus)] == [("c1", "completed")]
    paced = Bus(bus.client, bus.prefix + "paced:")
    fixes = [("yesterday", "2025-03-11 10:00:30"), ("sales", "billing"), (",too,many", ""),
             ("pigeon", "chat"), (",-1,", ",1,"), ("maybe", "answered"), ("lots", "1")]  # fmt: skip
    text = BAD
    for old, new in fixes:  # every bad row mended but the one with a too long agent id
        text = text.replace(old, new)
    flat = Bus(bus.client, bus.prefix + "flat:")
    for target, speed in ((paced, 1000), (flat, 0)):  # the schema refuses it: mid-chunk, flat
        with pytest.raises(CsvError, match="line 11: agent_id"):
            replay_csv(write(tmp_path, text), config, target, speed=speed, on_bad_row="fatal")
        published = {(e["id"], e["data"]["event"]) for e in stream(target)}
        assert ("c8", "completed") in published  # its later events went out at once
        assert {"c1", "c3", "c4", "c5", "c6", "c7"} <= {cid for cid, _ in published}
        assert not any(cid in ("c9", "c10") for cid, _ in published)


def test_small_chunks_and_one_big_chunk_replay_the_same(config, redis_server, tmp_path) -> None:
    path = write(tmp_path, BAD)
    results = []
    for n, size in enumerate((3, 50_000)):
        b = Bus.from_url(redis_server.url, f"chunks{n}{time.time_ns()}:")
        report = replay_csv(path, config, b, speed=0, rebase="none", chunksize=size)
        results.append(([str(x) for x in report.bad], tiles(b), stream(b)[-1]["data"]))
    assert results[0] == results[1]


def test_replaying_a_backfill_twice_counts_once(config, bus, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    replay_csv(path, config, bus, speed=0, rebase="none")
    before = tiles(bus)
    again = replay_csv(path, config, bus, speed=0, rebase="none")
    assert again.duplicates == 5 and tiles(bus) == before
    assert len(stream(bus)) == 5


def test_unreadable_files_are_refused_plainly(config, bus, tmp_path) -> None:
    with pytest.raises(CsvError, match="cannot read"):
        replay_csv(tmp_path / "missing.csv", config, bus)
    with pytest.raises(CsvError, match="column 'enqueued_at' is missing"):
        replay_csv(write(tmp_path, "a,b\n1,2\n"), config, bus)
    with pytest.raises(ValueError, match="speed"):
        replay_csv(write(tmp_path, SMALL), config, bus, speed=-1)


def test_a_file_of_bad_rows_writes_no_contact(config, bus, tmp_path) -> None:
    rows = ["x,never,billing,voice,1,,,,answered,,C,", "y,2025-03-11,nope,,1,,,,abandoned,,C,"]
    text = "\n".join([HEADER, *rows]) + "\n"
    report = replay_csv(write(tmp_path, text), config, bus, speed=0)
    assert (report.rows, len(report.bad)) == (0, 2)
    assert stream(bus) == [] and tiles(bus) == {}


CELLS = st.one_of(
    st.sampled_from(["", "billing", "chat", "voice", "answered", "abandoned", "12", "-3", "1e9",
                     "2025-03-11 10:00:00", "2025-03-11T10:00:00Z", "1741687200", "nan", "inf",
                     '"quoted, comma"', "a01", "x" * 150]),
    st.text(st.characters(exclude_characters="\r\n"), max_size=15),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(st.lists(CELLS, min_size=0, max_size=14), max_size=12), st.integers(1, 5))
def test_fuzz_any_rows_are_read_or_reported_never_crash(config, tmp_path, rows, chunksize):
    text = HEADER + "\n" + "\n".join(",".join(cells) for cells in rows) + "\n"
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))  # not always valid UTF-8
    good = bad = 0
    try:
        for chunk_rows, chunk_bad in read_rows(path, config, chunksize=chunksize):
            good += len(chunk_rows)
            bad += len(chunk_bad)
            assert all(b.line >= 2 and b.reason for b in chunk_bad)
            for row in chunk_rows:
                assert row.wait >= 0 and row.outcome in ("answered", "abandoned")
    except CsvError as exc:
        assert "cannot read" in str(exc)  # a file that is not text is refused whole
        return
    assert good + bad <= len(rows)


def test_a_replay_does_not_end_silently_on_events_redis_refused(
    config, own_redis, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr("feeds.adapters.csv_replay.LAST_FLUSH_SECONDS", 1.0)
    bus = Bus.from_url(own_redis.url, "down:")
    own_redis.stop()
    with pytest.raises(ConnectionError, match="Redis refused the replay's last 5 events"):
        replay_csv(write(tmp_path, SMALL), config, bus, speed=0)
