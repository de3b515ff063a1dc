"""The floorboard command: bad input is refused with the field and the reason, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from feeds.bus.bus import Bus

ROOT = Path(__file__).resolve().parent.parent


def floorboard(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    full_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLOORBOARD_CONFIG")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT, env=full_env, input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def until_sigterm(
    args: list[str], env: dict[str, str], ready: Callable[[], bool], timeout: float = 20
) -> tuple[int, str, str]:
    """``floorboard ARGS`` left running until ``ready()`` (polled; it must not exit first),
    then stopped as a service manager stops it (SIGTERM): (exit code, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLOORBOARD_CONFIG")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, env={**full_env, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, f"floorboard {args[0]}: not ready in {timeout} s"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


@pytest.fixture
def cli_env(redis_server, prefix, make_config) -> dict[str, str]:
    return {"REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(make_config(prefix))}


def test_publish_validates_then_writes(cli_env, bus: Bus) -> None:
    msg = {"kind": "message", "id": "m1", "data": {"text": "Hello floor", "expires_at": 4e9}}
    r = floorboard("publish", json.dumps(msg), env=cli_env)
    assert r.returncode == 0, r.stderr
    assert "published message/m1 as seq 1" in r.stdout
    env = bus.snapshot(["message"])[1]["message"]["m1"]
    assert env.source == "cli" and env.data["text"] == "Hello floor"


def test_publish_reads_lines_from_stdin(cli_env, bus: Bus) -> None:
    lines = "\n".join(
        json.dumps({"kind": "queue", "id": q, "data": {"waiting": n}})
        for n, q in enumerate(["billing", "faults"])
    )
    r = floorboard("publish", env=cli_env, stdin=lines + "\n\n")
    assert r.returncode == 0, r.stderr
    assert set(bus.snapshot(["queue"])[1]["queue"]) == {"billing", "faults"}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("{oops", "event 2: not valid JSON"),
        ('{"kind": "queue", "id": "q", "data": {"waiting": "many"}}', "event 2: data.waiting:"),
        ('{"kind": "rumour", "id": "q", "data": {}}', "event 2: kind: unknown kind 'rumour'"),
        ('{"kind": "queue", "data": {}}', "event 2: id: is required"),
        ('{"kind": "agent", "id": "a1", "data": {"name": "x", "state": "napping", "since": 2e9}}',
         "event 2: data.state: must be one of"),
    ],
)  # fmt: skip
def test_publish_refuses_bad_input_and_publishes_nothing(cli_env, bus, event, message) -> None:
    good = json.dumps({"kind": "queue", "id": "billing", "data": {"waiting": 1}})
    r = floorboard("publish", good, event, env=cli_env)
    assert r.returncode != 0
    assert message in r.stderr
    assert bus.current_seq() == 0  # the good event before it was not half-published either


def test_publish_without_a_redis_url_says_so(make_config, prefix) -> None:
    env = {"FLOORBOARD_CONFIG": str(make_config(prefix))}
    good = json.dumps({"kind": "queue", "id": "billing", "data": {"waiting": 1}})
    r = floorboard("publish", good, env=env)
    assert r.returncode != 0 and "REDIS_URL is not set" in r.stderr


def test_serve_refuses_a_bad_config_with_file_key_and_reason(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    text = (ROOT / "floorboard.toml").read_text()
    bad.write_text(text.replace("sl_target = 0.80", "sl_target = 8", 1))
    r = floorboard("--config", str(bad), "serve", "--port", "1")
    assert r.returncode != 0
    assert f"config error: {bad}: queues.0.sl_target: " in r.stderr


def test_simulate_refuses_a_non_positive_speed(cli_env) -> None:
    r = floorboard("simulate", "--speed", "0", env=cli_env)
    assert r.returncode != 0 and "--speed: must be greater than 0" in r.stderr


def test_the_serving_master_does_not_import_redis(make_config, prefix, tmp_path: Path) -> None:
    """``serve`` and ``demo`` become the gunicorn master: everything they run before the
    workers fork (the command line, the config, the embedded Redis, the server) must leave
    redis-py unimported, or gevent would patch the workers under a loaded redis-py and ssl."""
    code = """
import sys
from dashboard.cli import cli
from dashboard.cli.context import Runtime, redis_for_serving
import dashboard.serving
Runtime(None).load_config()
with redis_for_serving(None):
    cli.main(["serve", "--help"], standalone_mode=False)
print("redis modules:", sorted(m for m in sys.modules if m.split(".")[0] == "redis"))
print("prometheus modules:", sorted(m for m in sys.modules if m.startswith("prometheus")))
"""
    env = {**os.environ, "FLOORBOARD_CONFIG": str(make_config(prefix)),
           "FLOORBOARD_STATE_DIR": str(tmp_path)}  # fmt: skip
    env.pop("REDIS_URL", None)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "redis modules: []" in r.stdout
    # Nor prometheus-client: imported before PROMETHEUS_MULTIPROC_DIR is set, it would count
    # each worker's metrics in memory, and /metrics would show one worker's share.
    assert "prometheus modules: []" in r.stdout


def test_python_dash_m_and_the_console_script_are_the_same_command() -> None:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["floorboard"] == "dashboard.cli:main"
    r = floorboard("--help")
    assert r.returncode == 0 and "Usage: floorboard [OPTIONS] COMMAND" in r.stdout
    for command in ("serve", "demo", "simulate", "publish", "message", "outage", "delay",
                    "user", "token"):  # fmt: skip
        assert f"  {command} " in r.stdout
