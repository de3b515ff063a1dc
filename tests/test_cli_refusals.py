"""Every ``floorboard`` command refuses bad input with one line, ``floorboard: <field>: <reason>``,
a non-zero exit and no traceback, and writes nothing: the real command against a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import ROOT, floorboard

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.embedded import free_port
from feeds.notices.audit import AuditLog

DEEP = "[" * 100_000  # deeper than any JSON parser recurses (issue 8)


@pytest.fixture
def cli_env(redis_server, prefix, make_config) -> dict[str, str]:
    return {"REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(make_config(prefix))}


def refused(r: subprocess.CompletedProcess[str], expected: str) -> None:
    """One line on stderr naming the field and the reason; a non-zero exit; no traceback."""
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("floorboard: "), r.stderr
    assert expected in lines[0], lines[0]


def wrote_nothing(bus: Bus) -> None:
    accounts = Accounts(bus.client, bus.prefix)
    assert bus.current_seq() == 0 and AuditLog(bus.client, bus.prefix).read() == []
    assert accounts.list_users() == [] and accounts.list_tokens() == []


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        # the whole command line
        (["frob"], None, "No such command 'frob'"),
        (["--config"], None, "Option '--config' requires an argument"),
        # serve, demo
        (["serve", "--port", "http"], None, "--port: 'http' is not a valid integer"),
        (["serve", "--workers", "0"], None, "--workers: must be greater than 0"),
        (["serve", "--bogus"], None, "serve: unrecognized arguments: --bogus"),
        (["demo", "--speed", "-1"], None, "--speed: must be greater than 0"),
        (["demo", "--seed", "x"], None, "--seed: 'x' is not a valid integer"),
        # simulate, publish
        (["simulate", "--agents", "0"], None, "--agents: must be greater than 0"),
        (["simulate", "--speed", "nan"], None, "--speed: must be greater than 0"),
        (["publish", "[]"], None, "event 1: an envelope must be a JSON object"),
        (["publish", "{}"], None, "event 1: kind: is required"),
        (["publish", DEEP], None, "event 1: nested too deeply"),
        (["publish", '{"kind": "queue", "id": "q", "data": {"x": ' + "[" * 20 + "]" * 20 + "}}"],
         None, "event 1: nested more than 8 levels deep"),
        (["publish"], '{"kind": "queue", "id": "q", "data": {"x": ' + DEEP + "]" * 100_000 + "}}",
         "event 1: nested too deeply"),
        (["publish", '{"kind": "message", "id": "m", "data": {"text": "x", "expires_at": 4e9, '
          '"audience": {"kind": "team", "value": "Nowhere"}}}'], None,
         "event 1: data.audience.value: unknown team 'Nowhere'"),
        (["publish", '{"kind": "queue", "id": "q", "data": {}}', '{"kind": "message", "id": "m", '
          '"data": {"text": "x", "expires_at": 4e9, "audience": {"kind": "agent", "value": "a9"}}'
          "}"],
         None, "event 2: data.audience.value: unknown agent 'a9'"),
        (["publish", '{"kind": "message", "id": "m", "data": {"text": "x", "expires_at": 4e9, '
          '"ack_required": "yes"}}'], None, "event 1: data.ack_required: Input should be a valid"),
        # message
        (["message", "post"], None, "message post: the following arguments are required: text"),
        (["message", "post", ""], None, "text: String should have at least 1 character"),
        (["message", "post", "x", "--priority", "loud"], None,
         "--priority: 'loud' is not one of 'info', 'important', 'urgent'"),
        (["message", "post", "x", "--audience", "boss:x"], None,
         "--audience: expected all, team:NAME, queue:ID or agent:ID"),
        (["message", "post", "x", "--audience", "all:x"], None, "--audience: expected all"),
        (["message", "post", "x", "--audience", "team:Nowhere"], None,
         "audience.value: unknown team 'Nowhere'"),
        (["message", "post", "x", "--starts", "25:00"], None,
         "--starts: no such time of day: 25:00"),
        (["message", "post", "x", "--expires", "+soon"], None,
         "--expires: expected seconds or a duration like 90s"),
        (["message", "edit", "m-0000000000"], None, "options: give at least one field to change"),
        (["message", "edit", "m-0000000000", "--no-ack"], None, "id: no message 'm-0000000000'"),
        (["message", "acks", "m-0000000000"], None, "id: no message 'm-0000000000'"),
        (["message", "expire"], None, "message expire: the following arguments are required: id"),
        # outage
        (["outage", "declare", "--service", "x", "--severity", "huge"], None,
         "--severity: 'huge' is not one of 'critical', 'major', 'minor'"),
        (["outage", "declare", "--service", "x", "--severity", "major", "--status", "fixed"],
         None, "--status: 'fixed' is not one of"),
        (["outage", "declare", "--service", "x", "--severity", "major", "--eta", "soon"], None,
         "--eta: expected ISO 8601"),
        (["outage", "update", "o-0000000000"], None, "options: give at least one field"),
        (["outage", "update", "o-0000000000", "--status", "identified"], None,
         "id: no outage 'o-0000000000'"),
        # delay
        (["delay", "set", "faults", "Busy", "--wait", "-5"], None, "--wait: expected seconds"),
        (["delay", "set", "faults", "Busy", "--wait", "1e999"], None, "--wait: expected seconds"),
        (["delay", "set", "faults", "Busy", "--expires", "tomorrow"], None,
         "--expires: expected ISO 8601"),
        (["delay", "set", "faults"], None, "the following arguments are required: reason"),
        (["delay", "clear", "nope"], None, "queue: "),
        # user, token
        (["user", "frob"], None, "user: No such command 'frob'"),
        (["user", "role", "nobody", "agent"], None, "name: no user 'nobody'"),
        (["user", "role", "sam", "boss"], None, "role: must be one of"),
        (["user", "add", "sam", "--role", "agent", "--password-stdin"], "\n",
         "password: must be at least 8 characters"),
        (["user", "seed-demo", "--agents", "0"], None, "--agents: must be greater than 0"),
        (["token", "create", "acd-1"], None,
         "token create: the following arguments are required: --role"),
        (["token", "create", "bad label", "--role", "viewer"], None, "label: must be 1-64"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_field(cli_env, bus, args, stdin, expected) -> None:
    refused(floorboard(*args, env=cli_env, stdin=stdin), expected)
    wrote_nothing(bus)


COMMANDS = [
    ["serve", "--port", "1"], ["demo", "--port", "1"], ["simulate"], ["publish", "{}"],
    ["message", "list"], ["outage", "list"], ["delay", "list"], ["user", "list"], ["token", "list"],
]  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_config_with_a_bad_key_is_refused_naming_file_and_key(
    args, redis_server, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    example = (ROOT / "floorboard.toml").read_text()
    bad.write_text(example.replace("[centre]", "[centre]\ncolour = 1"))
    r = floorboard("--config", str(bad), *args, env={"REDIS_URL": redis_server.url})
    refused(r, f"config error: {bad}: centre.colour: unknown key")


def test_stdin_that_is_not_utf8_is_refused(cli_env, bus) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "publish"],
        cwd=ROOT, env={**os.environ, **cli_env}, input=b"\xff\xfe{}\n", capture_output=True,
        timeout=60,
    )  # fmt: skip
    refused(subprocess.CompletedProcess(r.args, r.returncode, "", r.stderr.decode()),
            "event 1: not valid JSON")  # fmt: skip
    wrote_nothing(bus)


GOOD_EVENT = '{"kind": "queue", "id": "billing", "data": {"waiting": 1}}'


# Not simulate: a producer keeps retrying an unreachable Redis on purpose, to ride out a restart.
@pytest.mark.parametrize(
    "args",
    [["publish", GOOD_EVENT], ["message", "post", "x"], *COMMANDS[4:]],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_unreachable_redis_is_one_line(args, prefix, make_config) -> None:
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "FLOORBOARD_CONFIG": str(
        make_config(prefix))}  # fmt: skip
    r = floorboard(*args, env=env)
    refused(r, "Redis: Error 111 connecting to 127.0.0.1")
    assert r.stdout == ""
