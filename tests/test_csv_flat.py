"""A flat-out replay ends with the same Redis as a paced one: the fast path (a chunk's
contacts written in bulk) may not drop, double-count or reorder anything.

Both replays of the same file run into their own prefix of one real Redis and everything
under each prefix is read back. What may differ, and why, is removed before comparing:
sequence numbers (a paced replay writes three events per contact, flat out one: its final
event, which holds its story), the raw stream's and the event ids' earlier events (for the
same reason), heartbeats (stamped by the wall clock) and the times items were marked gone
(the receiver's clock). Everything else (live state, ordering keys, queue tiles, customer
histories, the stream's final events and their order) must be equal.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from feeds.adapters.csv_replay import replay_csv
from feeds.bus.bus import Bus
from feeds.bus.kinds import FINAL_EVENTS
from feeds.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "docs" / "samples" / "contacts-day.csv"
ROWS = 500  # of the sample day, with its repeat customers


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "floorboard.toml")


def messy_day(tmp_path: Path) -> Path:
    """The sample day's first rows, plus a contact given twice (a re-export), a row out of
    time order (a later contact given early, and again in its place), a contact given again
    long after it ended (the replay's clock has gone past it), a bad row and a contact with
    no id (named after its line)."""
    lines = SAMPLE.read_text().splitlines()
    rows = lines[1 : ROWS + 1]
    rows.insert(450, rows[20])  # again, long after it ended
    rows.insert(11, rows[10])  # the same contact again
    rows.insert(200, rows[300])  # and again, first given early
    rows.insert(250, "c-bad,2025-03-11 09:00:00,billing,voice,-3,1,0,0,answered,a01,C1,")
    rows.insert(260, ",2025-03-11 09:01:00,billing,voice,5,60,0,10,answered,a02,C2,")
    path = tmp_path / "messy.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n")
    return path


def _envelope(raw: bytes) -> dict:
    env = json.loads(raw)
    env.pop("seq", None)
    return env


def dump(bus: Bus) -> dict[str, object]:
    """Everything under the bus's prefix, read back and normalised as the module says."""
    client, out = bus.client, {}
    for key in sorted(k.decode() for k in client.scan_iter(match=bus.prefix + "*", count=1000)):
        name = key.removeprefix(bus.prefix)
        kind = client.type(key).decode()
        if name == "seq" or name.startswith("event:"):
            continue  # compared apart (counts of writes)
        if name.startswith("gone:"):
            out[name] = sorted(client.zrange(key, 0, -1))  # scored by the receiver's clock
        elif name == "contacts":
            out[name] = [_envelope(f[b"e"]) for _, f in client.xrange(key)]
        elif kind == "hash":
            values = client.hgetall(key)
            out[name] = {
                k.decode(): _envelope(v) if name.startswith("state:") else v.decode()
                for k, v in values.items()
                if not name.endswith(":heartbeat")
            }
        elif kind == "zset":
            out[name] = client.zrange(key, 0, -1, withscores=True)
        else:
            out[name] = (kind, client.dump(key))
    return out


def event_ids(bus: Bus) -> set[str]:
    return {k.decode().removeprefix(bus.prefix) for k in bus.client.keys(bus.prefix + "event:*")}


def _when(env: dict) -> tuple:
    return env["ts"], env["id"]


def final_events(stream: list[dict]) -> list[dict]:
    return [e for e in stream if e["data"].get("event") in FINAL_EVENTS]


@pytest.mark.parametrize("rebase", ["none", "today"])
def test_flat_out_ends_with_the_redis_of_a_paced_replay(
    config, redis_server, tmp_path, rebase
) -> None:
    path = messy_day(tmp_path)
    stamp = time.time_ns()
    flat = Bus.from_url(redis_server.url, f"flat{stamp}:")
    paced = Bus.from_url(redis_server.url, f"paced{stamp}:")
    flat_report = replay_csv(path, config, flat, speed=0, rebase=rebase, chunksize=128)
    paced_report = replay_csv(path, config, paced, speed=1e7, rebase=rebase)

    assert flat_report.rows == paced_report.rows == ROWS + 4
    assert [str(b) for b in flat_report.bad] == [str(b) for b in paced_report.bad]
    assert len(flat_report.bad) == 1
    a, b = dump(flat), dump(paced)
    stream_flat, stream_paced = a.pop("contacts"), b.pop("contacts")
    # The same final events: flat out in the order contacts end, a chunk of the file at a time
    # (paced, when a later row's start passes their end: a row out of time order moves them).
    assert sorted(stream_flat, key=_when) == sorted(final_events(stream_paced), key=_when)
    assert stream_flat != final_events(stream_paced)  # the row given early: another order
    assert len(stream_flat) == ROWS + 1  # repeats written once (event ids or ordering)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert a["state:queue"] and a["order:contact"]
    assert any(k.startswith("customer:") for k in a)
    if rebase == "none":  # every event id written once; flat out, the final events' ids
        ids, paced_ids = event_ids(flat), event_ids(paced)
        assert ids == {i for i in paced_ids if i.endswith(FINAL_EVENTS)}
        assert flat_report.duplicates == 3
