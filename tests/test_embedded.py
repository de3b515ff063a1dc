"""The embedded Redis: persistence, restart, and safety under forking servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from local_redis import local_client

from feeds.bus.embedded import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parent.parent


def alive(port: int) -> bool:
    """Whether a Redis answers on ``port`` (asking for a password is an answer)."""
    try:
        return local_client(port, socket_connect_timeout=0.5).ping()
    except redis.AuthenticationError:
        return True
    except redis.ConnectionError:
        return False


def run_py(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip


def test_data_survives_a_restart_with_persistence(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, persist=True).start()
    redis.Redis.from_url(server.url).set("k", "v")
    server.stop()
    assert not server.running and not alive(server.port)
    server.start()
    assert redis.Redis.from_url(server.url).get("k") == b"v"
    server.stop()


def test_a_restart_waits_for_a_large_dataset_to_load(tmp_path: Path) -> None:
    # a persisted day that takes longer to load than the start's timeout: the server answers
    # LOADING meanwhile, and is not taken for one that did not start (nor stopped)
    server = EmbeddedRedis(tmp_path, persist=True).start()
    client = redis.Redis.from_url(server.url)
    client.execute_command("DEBUG", "POPULATE", 2_000_000)
    client.bgrewriteaof()  # the append-only file is what a restart loads
    while (
        client.info("persistence")["aof_rewrite_in_progress"]
        or client.info("persistence")["aof_rewrite_scheduled"]
    ):
        time.sleep(0.05)
    server.stop()
    started = time.monotonic()
    server.start(timeout=0.2)
    assert time.monotonic() - started > 0.2  # it did load for longer than the timeout
    assert redis.Redis.from_url(server.url).dbsize() == 2_000_000
    server.stop()


def test_nobody_else_may_use_it_or_read_its_files(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "r", persist=True).start()
    try:
        with pytest.raises(redis.AuthenticationError):
            local_client(server.port).get("k")  # no password, no data
        redis.Redis.from_url(server.url).set("k", "v")
        assert server.url.startswith("redis://:") and "@127.0.0.1:" in server.url
        info = redis.Redis.from_url(server.url).config_get("bind")
        assert info["bind"] == "127.0.0.1"
    finally:
        server.stop()
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o700
    files = [f for f in (tmp_path / "r").rglob("*") if f.is_file()]
    assert {f.name for f in files} >= {"password", "redis.conf", "dump.rdb"}
    assert all(f.stat().st_mode & 0o077 == 0 for f in files), [
        (f.name, oct(f.stat().st_mode)) for f in files
    ]


def test_a_forked_child_exiting_does_not_stop_the_server(tmp_path: Path) -> None:
    port = free_port()
    out = run_py(f"""
        import os, sys
        from feeds.bus.embedded import EmbeddedRedis
        server = EmbeddedRedis({str(tmp_path)!r}, port={port}).start()
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # a worker leaving normally runs the inherited atexit handlers
        os.waitpid(pid, 0)
        import redis
        print("alive-after-child", redis.Redis.from_url(server.url).ping())
    """)
    assert "alive-after-child True" in out.stdout
    assert not alive(port)  # ...and the owner's own exit did stop it


def test_the_server_dies_with_an_owner_that_is_killed(tmp_path: Path) -> None:
    port = free_port()
    owner = subprocess.Popen(
        [sys.executable, "-c", f"from feeds.bus.embedded import EmbeddedRedis; import time; "
         f"EmbeddedRedis({str(tmp_path)!r}, port={port}).start(); print('up', flush=True); "
         f"time.sleep(60)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert owner.stdout.readline().strip() == "up"
    assert alive(port)
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 5
    while alive(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(port)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_gunicorn_worker_exit_leaves_the_embedded_redis_running(tmp_path: Path) -> None:
    port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["FLOORBOARD_STATE_DIR"] = str(tmp_path)
    master = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port), "--workers", "2",
         "--redis-port", str(redis_port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kids = _children(master.pid)
            workers = [k for k in kids if "redis-server" not in _cmdline(k)]
            if len(workers) == 2 and _healthy(port):
                break
            time.sleep(0.1)
        assert alive(redis_port)
        os.kill(workers[0], signal.SIGTERM)  # a worker exits; gunicorn starts another
        deadline = time.monotonic() + 20
        while workers[0] in _children(master.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers[0] not in _children(master.pid)
        assert alive(redis_port)
        # A clean stop of the whole server stops Redis too.
        os.killpg(master.pid, signal.SIGINT)
        master.wait(15)
        assert not alive(redis_port)
    finally:
        if master.poll() is None:
            os.killpg(master.pid, signal.SIGKILL)


def test_urls_shown_to_people_hide_the_password() -> None:
    from feeds.bus.urls import redacted

    assert redacted("redis://:s3cret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert redacted("rediss://ops:s3:cret@h/0") == "rediss://ops:***@h/0"
    assert redacted("redis+sentinel://:s3cret@a:1,b:2/m/0") == "redis+sentinel://:***@a:1,b:2/m/0"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"  # nothing to hide
