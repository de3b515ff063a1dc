"""The flat-out replay's column-wise path (feeds.adapters.csv_flat) builds exactly what the
row-by-row path builds through the schema's models, lets through nothing the schema refuses,
and its one-step statistics equal the event-by-event ones, on a large generated day too.
Pure: no Redis (tests/test_csv_flat.py compares whole replays in Redis)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import hiredis
import numpy as np
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.adapters.csv_flat import finished_contacts
from feeds.adapters.csv_replay import contact_events
from feeds.adapters.csv_rows import CsvError, read_chunks
from feeds.bus.bus import Bus
from feeds.bus.lua import BULK, WRITES_LUA
from feeds.bus.prepared import Writable
from feeds.bus.schema import make_envelope
from feeds.bus.writes import Packer, call
from feeds.config import Config, load_config
from feeds.errors import SchemaError
from feeds.intraday.live import Intraday
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.contacts import Told, event

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "docs" / "samples" / "contacts-day.csv"
HEADER = (
    "contact_id,enqueued_at,queue,channel,wait,talk,hold,wrap,outcome,agent_id,customer_id,tags"
)
OFFSET = 3600.0 * 24 * 30  # rows moved a month on, as a replay "from now" moves them
NOW = 4102444800.0  # the receiver's clock: after every row of these files
BUS = Bus(redis.Redis(), "t:")  # builds writes only: never connects
SCRIPT = WRITES_LUA  # what the bus calls (its text: sent as EVAL)


def packed(envs: list[Writable], now: float = NOW, bus: Bus = BUS) -> bytes:
    """A call writing ``envs`` as it goes to Redis, packed by the bus's :class:`Packer`;
    checked equal to what redis-py sends for EVAL with :func:`call`'s keys and arguments (the
    path of a single write and of a cluster)."""
    out = Packer(bus, SCRIPT).call(envs, now)
    keys, args = call(bus, envs, now)
    assert out == hiredis.pack_command(("EVAL", SCRIPT, len(keys), *keys, *args))
    return out


def written(env: Writable, now: float = NOW) -> bytes:
    """One write as it goes to Redis: stored envelope, ordering key and digest, customer's
    keys and history summary, event id (a number as its text)."""
    return packed([env], now)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "floorboard.toml")


def same(config: Config, path: Path, ids: bool) -> tuple[int, int]:
    """Check every row of the file both ways; returns (rows the flat path built, left)."""
    built = left = 0
    for chunk, _ in read_chunks(path, config, chunksize=700):
        finals, told, enqueued = finished_contacts(chunk, OFFSET, "csv", ids)
        vouched = 0
        for i, env in enumerate(finals):
            row = chunk.row(i)
            assert enqueued[i] == row.enqueued_at + OFFSET
            try:
                envs = contact_events(row, OFFSET, "csv", ids)
            except SchemaError:
                assert env is None, f"line {row.line}: the schema refuses what was built"
                left += 1
                continue
            if env is None:
                left += 1
                continue
            final = envs[-1]
            # what the bus writes of it, byte for byte: stored envelope, ordering key and digest,
            # customer's keys and history summary, event id
            assert written(env) == written(final), row.line
            ahead = final.ts - 1  # the receiver's clock a second behind: the stamp taken as now
            assert written(env, ahead) == written(final, ahead), row.line
            assert (env.id, env.ts, env.event_id) == (final.id, final.ts, final.event_id)
            # its leg as columns: the events the models' events tell, and as Told.of reads them
            events = [(e.data["event"], event(e.ts, e.data)) for e in envs]
            assert (told.cid[vouched], told.story(vouched)) == (env.id, events)
            assert Told.of([(final.id, final.ts, final.data)]).story(0) == events
            vouched += 1
        assert len(told) == vouched
        built += vouched
    return built, left


@pytest.mark.parametrize("ids", [False, True])
def test_every_row_of_the_sample_day_is_built_as_the_schema_builds_it(config, ids) -> None:
    assert same(config, SAMPLE, ids) == (3200, 0)


def test_rows_the_checks_cannot_vouch_for_take_the_schema_s_path(config, tmp_path) -> None:
    rows = [
        "ok1,2025-03-11 10:00:00,billing,voice,12,200,10,30,answered,a01,+44 7700 900001,vip;x",
        "long,2025-03-11 10:00:00,billing,voice,1,1,,,answered," + "a" * 129 + ",C1,",
        "huge,2025-03-11 10:00:00,billing,voice,1,700000,,,answered,a01,C2,",  # talk > a week
        "late,2099-12-31 23:59:00,billing,voice,1,100,,,answered,a01,C3,",  # ends after 2100
        "hide,2025-03-11 10:00:00,billing,voice,1,1,,,answered,a01,C4,\u200fvip",
        "ok2,2025-03-11 10:00:00,chat,,3,,,,abandoned,a9,C5,",
        ",2025-03-11 10:00:00,billing,voice,1,1,,,answered,a01,,",  # no id, no customer
    ]
    path = tmp_path / "edge.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    (chunk, _), *_ = read_chunks(path, config)
    finals, _, _ = finished_contacts(chunk, 0.0, "csv", True)
    assert [env is not None for env in finals] == [True, False, False, False, False, True, True]
    assert same(config, path, True) == (3, 4)
    assert finals[6].id == "csv-8" and finals[6].customer == "anon-line-8"


def test_a_call_mixing_prepared_writes_and_envelopes_is_packed_as_redis_py_packs_it(
    config,
) -> None:
    """The bus sends every bulk call through its Packer: prepared writes, with and without
    event ids, stamped ahead of the clock or not, among envelopes of other kinds and shapes."""
    (chunk, _), *_ = read_chunks(SAMPLE, config, chunksize=40)
    with_ids = finished_contacts(chunk, OFFSET, "csv", True)[0]
    plain = finished_contacts(chunk, OFFSET, "csv", False)[0]
    rows = [chunk.row(i) for i in range(len(chunk))]
    live = [env for row in rows[:6] for env in contact_events(row, OFFSET, "csv", True)]
    agent = {"name": "Ann", "state": "available", "since": 1.0e9, "team": "North"}
    others = [
        *live,
        make_envelope("agent", "a01", agent, ts=1.0e9, source="t"),
        make_envelope("agent", "a02", {}, ts=1.0e9, deleted=True),
        make_envelope("queue", "billing", {"waiting": 2}, ts=1.0e9, event_id="q-1"),
    ]
    ends = sorted(env.ts for env in plain if env is not None)
    bus = Bus(redis.Redis(), "t%d:", max_skew=86400.0)  # a % in its prefix; stamps trusted
    for seed in range(20):
        rng = random.Random(seed)
        envs = [env for env in [*with_ids, *plain] if env is not None] + others
        rng.shuffle(envs)
        now = rng.choice([NOW, ends[len(ends) // 2]])  # half of them stamped ahead, or none
        packed(envs[: rng.randint(1, BULK)], now, bus)


CELL = {
    "id": st.sampled_from(["c1", "", "x" * 130, "a b", "c/1"]),
    "at": st.sampled_from(["2025-03-11 10:00:00", "946684801", "4102444700", "1741687200.5"]),
    "number": st.sampled_from(["", "0", "12", "0.00001", "604800", "604801", "1e9", "3.5"]),
    "outcome": st.sampled_from(["answered", "abandoned"]),
    "agent": st.sampled_from(["", "a01", "y" * 129, "PJSIP/1001"]),
    "text": st.text(max_size=45),
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(st.tuples(CELL["id"], CELL["at"], *[CELL["number"]] * 4, CELL["outcome"],
                          CELL["agent"], CELL["text"], CELL["text"]), min_size=1, max_size=8),
       st.booleans())  # fmt: skip
def test_fuzz_the_flat_path_never_builds_what_the_schema_refuses(config, tmp_path, rows, ids):
    lines = [HEADER]
    for cid, at, wait, talk, hold, wrap, outcome, agent, customer, tags in rows:
        cells = [cid, at, "billing", "voice", wait or "1", talk, hold, wrap, outcome, agent,
                 customer, tags]  # fmt: skip
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    path = tmp_path / "fuzz.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    try:
        same(config, path, ids)
    except CsvError as exc:
        assert "cannot read" in str(exc)  # not UTF-8: refused whole (test_csv_replay)


def test_a_large_generated_day_has_the_same_figures_flat_and_event_by_event(
    config, tmp_path
) -> None:
    path = tmp_path / "day.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_day.py"), "--rows",
                    "20000", "--out", str(path)], check=True, capture_output=True)  # fmt: skip
    flat, by_event = Aggregator(config), Aggregator(config)
    days = Intraday(config, flat), Intraday(config, by_event)
    blocks, events = [], []
    for chunk, bad in read_chunks(path, config, chunksize=5000):
        assert bad == []
        finals, told, _ = finished_contacts(chunk, 0.0, "csv", False)
        assert None not in finals
        blocks.append(told)
        rows = [chunk.row(i) for i in range(len(chunk))]
        events += [env for row in rows for env in contact_events(row, 0.0, "csv", False)]
    told = Told.join(blocks)
    told = told.take(np.argsort(told.at, kind="stable"))  # in the order they end, as replayed
    for i in range(0, len(told), 2000):
        flat.apply_told(told.take(slice(i, i + 2000)))
    for env in sorted(events, key=lambda e: e.ts):
        by_event.apply(env)
    now = max(e.ts for e in events)
    assert len(told) == 20000
    for moment in (now - 7200, now):  # mid-afternoon's rolling windows, and the end
        for agg in (flat, by_event):
            agg.advance(moment)
        assert [e.data for e in flat.envelopes(now)] == [e.data for e in by_event.envelopes(now)]
    for q in config.queues:
        assert days[0].day_rows(q.id, now) == days[1].day_rows(q.id, now)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.+-eEinfatyINFATY_x,\u0661", max_size=8).map(str.strip)
                | st.sampled_from(["", "12", "3.5", "1e3", "-0", "inf", "nan", "1_000"]),
                max_size=12))  # fmt: skip
def test_cells_are_read_as_numbers_as_pandas_reads_them(cells) -> None:
    import pandas as pd

    from feeds.adapters.csv_cells import numbers

    text = pd.Series(cells, dtype=str)
    want = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    got = numbers(text)
    assert ((np.isnan(want) & np.isnan(got)) | (want == got)).all(), (cells, want, got)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="a9 :\t\n\r\x0b\x1c\x1f\x00\x85\xa0\u3000", max_size=6),
                max_size=8))  # fmt: skip
def test_a_column_is_stripped_as_each_cell_is(cells) -> None:
    import pandas as pd

    from feeds.adapters.csv_cells import stripped

    assert stripped(pd.Series(cells, dtype=str)).tolist() == [c.strip() for c in cells]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="0123456789-+:TZz ", max_size=9)
                | st.sampled_from(["2025-03-11T10:00:00+01:00", "2025-03-11 10:00:00",
                                   "2025-03-11T10:00:00z", "10:00-0130", "1:00+05:30 "]),
                max_size=8))  # fmt: skip
def test_a_column_of_times_says_an_offset_where_each_does(cells) -> None:
    from feeds.adapters.csv_cells import _OFFSET, _aware

    assert _aware(cells).tolist() == [_OFFSET.search(c) is not None for c in cells]


def test_one_column_of_times_reads_iso_8601_and_epoch_seconds(config) -> None:
    import pandas as pd

    from feeds.adapters.csv_cells import times

    cells = {"2025-03-11 10:00:00": 1741687200.0,  # the centre's zone: London, UTC+0 in March
             "1741687200.5": 1741687200.5, "": None, "2025-03-11T10:00:00+01:00": 1741683600.0,
             "never": None, "2025-03-11": 1741651200.0, "12:00": None, "1e9": 1e9,
             "2025-03-11T10:00:00Z": 1741687200.0, "1_741_687_200": None}  # fmt: skip
    got = times(pd.Series(list(cells), dtype=str), config).tolist()
    assert [None if t != t else t for t in got] == list(cells.values())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab9_.:@-/ \x00\n", max_size=6) | st.just("x" * 129), max_size=8))
def test_a_column_of_ids_passes_whole_exactly_when_each_passes(values) -> None:
    from feeds.adapters.csv_flat import _Text
    from feeds.bus.schema import limits

    ident = _Text(limits("contact", "queue"))
    assert ident.joined is not None  # an id's pattern: a column is looked at whole
    assert ident.every(values) == all(map(ident, values))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="aC9_.:@-+/ \x00\t<>", max_size=8)
                | st.sampled_from(["", "unknown", "Withheld", "<UNKNOWN>", "anonymous ", "C1"]),
                max_size=8))  # fmt: skip
def test_a_column_of_ids_and_numbers_is_made_ids_as_each_cell_is(cells) -> None:
    from feeds.adapters.ids import customer_id, customer_ids, ident, idents

    assert idents(cells) == [ident(c) for c in cells]
    contacts = [f"c{i}" for i in range(len(cells))]
    assert customer_ids(cells, iter(contacts)) == [
        customer_id(n, c) for n, c in zip(cells, contacts, strict=True)
    ]
