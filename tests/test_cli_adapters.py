"""``floorboard ami``, ``replay`` and ``connect-import``: the real command in a subprocess
against a real Redis (and the scripted AMI server); every refusal is one line."""

from __future__ import annotations

import json
from pathlib import Path

import test_cli
from ami_peer import AmiPeer, load
from test_cli import floorboard, until_sigterm

from feeds.bus.bus import Bus

cli_env = test_cli.cli_env  # the fixture: REDIS_URL and a config of this test's own prefix
SAMPLE = "docs/samples/contacts-day.csv"
CONNECT = ["tests/data/connect/agent-events.jsonl", "tests/data/connect/contact-records.json"]


def tiles(bus: Bus) -> dict[str, dict]:
    return {q: e.data for q, e in bus.snapshot(["queue"])[1]["queue"].items()}


def test_replay_flat_out_then_again_as_a_backfill(cli_env, bus) -> None:
    r = floorboard("replay", SAMPLE, "--flat-out", "--rebase", "none", env=cli_env)
    assert r.returncode == 0, r.stderr
    assert "3200 rows replayed, 9405 events, 3200 written (0 already on the bus)" in r.stdout
    assert tiles(bus)["billing"]["offered"] == 1183
    r = floorboard("replay", SAMPLE, "--speed", "0", "--rebase", "none", env=cli_env)
    assert "3200 written (3200 already on the bus)" in r.stdout  # the same events: once


def test_replay_check_and_bad_rows(cli_env, tmp_path: Path, bus) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Start,queue,wait,outcome\n2025-03-11 10:00,billing,-1,answered\n"
                   "2025-03-11 10:01,billing,5,answered\n")  # fmt: skip
    args = ["replay", str(bad), "--column", "enqueued_at=Start"]
    r = floorboard(*args, "--check", env={**cli_env, "REDIS_URL": ""})  # needs no Redis
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"{bad}: line 2: wait: must not be negative",
                                     f"{bad}: 1 good rows, 1 bad"]  # fmt: skip
    r = floorboard(*args, "--flat-out", env=cli_env)
    assert r.returncode == 0 and f"{bad}: skipped line 2: wait: must not be negative" in r.stdout
    r = floorboard(*args, "--flat-out", "--fatal", env=cli_env)
    assert r.returncode == 1
    assert r.stderr.strip() == f"floorboard: {bad}: bad row at line 2: wait: must not be negative"


def test_replay_refusals_are_one_line(cli_env, tmp_path: Path) -> None:
    cases = [
        (["--speed", "-1"], "floorboard: --speed: must be 0 (flat out) or more"),
        (["--column", "Start"], "floorboard: --column: 'Start' is not FIELD=NAME"),
        (["--column", "colour=x"], "unknown field 'colour' in the column mapping"),
        (["--rebase", "yesterday"], "floorboard: --rebase:"),
    ]
    for extra, message in cases:
        r = floorboard("replay", SAMPLE, *extra, env=cli_env)
        assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr, extra
    r = floorboard("replay", str(tmp_path / "missing.csv"), env=cli_env)
    assert r.returncode == 1 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_connect_import_and_a_fatal_bad_record(cli_env, tmp_path: Path, bus) -> None:
    r = floorboard("connect-import", *CONNECT, env=cli_env)
    assert r.returncode == 0, r.stderr
    assert "20 records: 23 events, 5 not the board's, 23 written (3 already on the bus)" in (
        r.stdout
    )
    # The records are of 11 March 2025: their contacts are on the bus (customers' histories),
    # while today's tiles count today's contacts only (tests/test_connect.py: that day's).
    contacts = {json.loads(e[1][b"e"])["id"] for e in bus.client.xrange(bus.contacts_key)}
    assert len(contacts) == 4 and tiles(bus)["billing"]["offered"] == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"EventType": "LOGIN"}\nnot json\n')
    r = floorboard("connect-import", str(bad), "--fatal", env=cli_env)
    assert r.returncode == 1
    assert r.stderr.startswith(f"floorboard: {bad}: record 1 (line 1): EventTimestamp: is required")
    r = floorboard("connect-import", str(tmp_path / "none.json"), env=cli_env)
    assert r.returncode == 1 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_ami_follows_the_transcript_until_sigterm(cli_env, bus, tmp_path: Path) -> None:
    secret = tmp_path / "ami.secret"
    secret.write_text("s3cret\n")
    with AmiPeer(load("floor.ami")) as peer:
        args = ["ami", "--port", str(peer.port), "--secret-file", str(secret)]
        code, out, err = until_sigterm(
            args, cli_env,
            lambda: peer.finished.is_set() and tiles(bus).get("billing", {}).get("abandoned") == 4,
            timeout=40,
        )  # fmt: skip
    assert code == 0, err
    assert "2 connections, 34 events, 1 malformed blocks, 1 unknown events" in out


def test_ami_refusals_are_one_line(cli_env, tmp_path: Path) -> None:
    r = floorboard("ami", env={**cli_env, "FLOORBOARD_AMI_SECRET": ""})
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "floorboard: no AMI secret: give --secret-file or set FLOORBOARD_AMI_SECRET"
    )
    r = floorboard("ami", "--port", "0", env=cli_env)
    assert r.returncode == 2 and r.stderr.startswith("floorboard: --port: ")
    with AmiPeer(load("login_refused.ami")) as peer:
        r = floorboard("ami", "--port", str(peer.port), "--user", "nobody",
                       env={**cli_env, "FLOORBOARD_AMI_SECRET": "wrong"})  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.strip().endswith(
        "floorboard: Asterisk refused the login: Authentication failed"
    )
    assert peer.actions[0]["Username"] == "nobody"
