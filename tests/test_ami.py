"""The Asterisk AMI adapter end to end: a scripted AMI server, the adapter, a real Redis.

The transcript (tests/data/ami/floor.ami) is a morning on two queues written after Asterisk's
documented formats, with an unknown event, a block that is not AMI, and the link lost in the
middle of a block; after the reconnection, the resync must settle what happened meanwhile so
that the wall's tiles show exactly the figures worked out by hand below.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from ami_peer import AmiPeer, load, shifted
from conftest import with_adapters, write_config

from feeds.adapters.ami.client import AmiAuthError, AmiOptions, AmiReport, ami_secret, run_ami
from feeds.bus.bus import Bus
from feeds.config import Config

T = 1741687200.0  # 2025-03-11 10:00:00 in London (GMT)
AMI = """
[adapters.ami]
queue_map = { "support" = "billing", "sales" = "moving" }
member_map = { "PJSIP/1001" = "a01", "PJSIP/1002" = "a02", "Local/1003@agents" = "a03" }
wrap_seconds = 10
exit_grace = 2
"""


@pytest.fixture
def config(tmp_path: Path, prefix: str) -> Config:
    return with_adapters(write_config(tmp_path, prefix), AMI)


def wait_for(cond, timeout: float = 20.0, message=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"condition not met in time: {message()}"
        time.sleep(0.05)


def play(transcript: str, config: Config, bus: Bus, settled) -> tuple[AmiReport, AmiPeer]:
    """Run the adapter against the transcript until ``settled(bus)``, then stop it."""
    with AmiPeer(load(transcript)) as peer:
        stop, out = threading.Event(), {}
        options = AmiOptions.from_config(config, "s3cret", port=peer.port, backoff_min=0.05)
        thread = threading.Thread(target=lambda: out.update(r=run_ami(config, bus, options, stop)))
        thread.start()
        try:
            assert peer.finished.wait(30), "the transcript was not played to its end"
            wait_for(lambda: settled(bus), message=lambda: f"{tiles(bus)} {agents(bus)}")
        finally:
            stop.set()
            thread.join(30)
    return out["r"], peer


def tiles(bus: Bus) -> dict[str, dict]:
    return {qid: env.data for qid, env in bus.snapshot(["queue"])[1]["queue"].items()}


def agents(bus: Bus) -> dict[str, tuple[str, list[str]]]:
    found = bus.snapshot(["agent"])[1]["agent"].items()
    return {aid: (env.data["state"], env.data["skills"]) for aid, env in found}


def settled(bus: Bus) -> bool:
    billing = tiles(bus).get("billing", {})
    return billing.get("abandoned") == 4 and agents(bus).get("a01", ("",))[0] == "available"


def test_a_morning_with_a_lost_connection_gives_the_figures_worked_out_by_hand(config, bus):
    report, peer = play("floor.ami", config, bus, settled)

    t = tiles(bus)
    assert set(t) == {"billing", "moving"}  # only the mapped queues: no other tile is touched
    billing = t["billing"]
    # Offered: 1 waiting at the start, 2, 7, 4 and 5 seen joining, 6 found waiting after the
    # reconnection, and one caller who came and hung up while the link was down.
    assert (billing["offered"], billing["answered"], billing["abandoned"]) == (7, 3, 4)
    # Answered after 109 s (1), 8 s (7) and 74 s (5, found talking to Alice by the resync).
    assert billing["answered_in_threshold"] == 1
    assert billing["asa"] == pytest.approx((109 + 8 + 74) / 3, abs=0.1)
    # Abandoned: 2 after 15 s; 4 and the unseen caller (Asterisk's counter went 3 -> 6, one
    # of them seen); 6 left the queue unanswered (exited). None under 5 s.
    assert billing["short_abandoned"] == 0
    assert billing["service_level"] == pytest.approx(1 / 7)
    assert billing["abandon_rate"] == pytest.approx(4 / 7)
    assert billing["aht"] == pytest.approx(((22 + 10) + (81 + 10) + (60 + 10)) / 3, abs=0.1)
    assert (billing["waiting"], billing["longest_wait_since"]) == (0, None)
    assert billing["agents"]["available"] == 2
    moving = t["moving"]
    # 3, answered after 11 s and finished while away; one call wholly unseen (counter 10 -> 12).
    assert (moving["offered"], moving["answered"], moving["answered_in_threshold"]) == (2, 2, 2)
    assert (moving["abandoned"], moving["service_level"]) == (0, 1.0)
    assert moving["asa"] == pytest.approx((11 + 12) / 2, abs=0.1)
    assert moving["agents"]["available"] == 1

    assert agents(bus) == {
        "a01": ("available", ["billing"]),
        "a02": ("available", ["billing"]),  # removed from sales while the link was down
        "a03": ("available", ["moving"]),
    }  # and the member of the unmapped queue is not one of the board's agents
    a01 = bus.snapshot(["agent"])[1]["agent"]["a01"].data
    assert (a01["name"], a01["stats"]["handled"]) == ("Alice Smith", 2)

    # Every contact has one outcome and every event went to the bus once.
    events = [json.loads(e[1][b"e"]) for e in bus.client.xrange(bus.contacts_key)]
    pairs = Counter((e["id"], e["data"]["event"]) for e in events)
    assert max(pairs.values()) == 1
    outcomes = Counter(cid for cid, ev in pairs if ev in ("answered", "abandoned"))
    assert len(outcomes) == 9 and max(outcomes.values()) == 1
    exited = [e for e in events if "exited" in e["data"]["tags"]]
    assert [(e["id"], e["data"]["ended_at"] - e["data"]["enqueued_at"]) for e in exited] == [
        ("1741687106.6", pytest.approx(35, abs=0.5))
    ]
    assert sum("resync" in e["data"]["tags"] for e in events) == 5

    assert (report.connections, report.disconnects, report.malformed) == (2, 1, 1)
    assert report.unknown == {"VarSet": 1} and report.rejected == 0
    assert report.mismatches == []  # the resync agrees with Asterisk's QueueSummary
    logins = [a for a in peer.actions if a["Action"] == "Login"]
    login = {"Action": "Login", "Username": "floorboard", "Secret": "s3cret", "Events": "agent"}
    assert {k: v for k, v in logins[0].items() if k != "ActionID"} == login
    assert len(logins) == 2
    assert len({a["ActionID"] for a in peer.actions}) == len(peer.actions)
    beat = bus.snapshot(["heartbeat"])[1]["heartbeat"]["asterisk"]
    assert beat.data["interval"] == 5 and beat.source == "asterisk"


def test_a_refused_login_ends_the_run_with_asterisks_reason(config, bus) -> None:
    with AmiPeer(load("login_refused.ami")) as peer:
        options = AmiOptions.from_config(config, "wrong", port=peer.port, backoff_min=0.05)
        with pytest.raises(AmiAuthError, match="Authentication failed"):
            run_ami(config, bus, options, threading.Event())
    assert [a["Action"] for a in peer.actions] == ["Login"]  # not retried
    beat = bus.snapshot(["heartbeat"])[1]["heartbeat"]["asterisk"]
    assert beat.data["connected"] is False


def test_a_port_that_is_not_ami_is_retried_with_backoff(config, bus) -> None:
    # Two connections that never greet like Asterisk, then a real one: in step at the third.
    report, _ = play("no_banner.ami", config, bus, lambda b: "billing" in tiles(b))
    assert report.connections == 3 and report.disconnects == 2
    assert all("banner" in e or "closed" in e for e in report.errors)


def test_the_secret_comes_from_a_file_or_the_environment(tmp_path, monkeypatch) -> None:
    secret = tmp_path / "ami.secret"
    secret.write_text("s3cret\nignored second line\n")
    assert ami_secret(str(secret)) == "s3cret"
    monkeypatch.setenv("FLOORBOARD_AMI_SECRET", "from-env")
    assert ami_secret(None) == "from-env"
    monkeypatch.delenv("FLOORBOARD_AMI_SECRET")
    with pytest.raises(ValueError, match="give --secret-file or set FLOORBOARD_AMI_SECRET"):
        ami_secret(None)
    with pytest.raises(ValueError, match="cannot read"):
        ami_secret(str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValueError, match="the file is empty"):
        ami_secret(str(tmp_path / "empty"))


def test_options_come_from_the_config_and_the_command_line_wins(config) -> None:
    options = AmiOptions.from_config(config, "s", host=None, port=15038, username="wall")
    assert (options.host, options.port, options.username) == ("127.0.0.1", 15038, "wall")
    assert (options.source, options.ping_seconds, options.secret) == ("asterisk", 20, "s")


def test_lists_ended_the_older_way_are_read_too(config, bus) -> None:
    report, _ = play("legacy_lists.ami", config, bus, lambda b: "billing" in tiles(b))
    assert report.errors == [] and tiles(bus)["billing"]["waiting"] == 1  # caller 6
    assert agents(bus)["a02"] == ("available", ["billing"])


def test_the_peer_played_by_hand_can_start_its_transcript_now() -> None:
    """``tests/ami_peer.py --now`` (the README's example): times move, ids do not."""
    scripts = load("floor.ami")
    moved = shifted(scripts, 1_800_000_000.0)
    text = "".join(step.text for script in moved for step in script)
    before = "".join(step.text for script in scripts for step in script)
    assert "Timestamp: 1800000005.000000\r\n" in text and "LoginTime: 1799996400\r\n" in text
    assert "Uniqueid: 1741687101.1\r\n" in text  # an id, however much it looks like a time
    assert text.count("\r\n") == before.count("\r\n")
    assert next(s.arg for script in moved for s in script if s.verb == "clock") == "1800000000.0"
