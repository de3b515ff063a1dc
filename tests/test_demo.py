"""`make run` is `floorboard demo`: on fresh data it comes up ready, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from feeds.bus.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent


def _session_alive(sid: int) -> list[int]:
    """The processes still in session ``sid`` (the demo's Redis, workers, simulator)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    alive.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return alive


def test_the_demo_on_fresh_data_is_ready_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["FLOORBOARD_STATE_DIR"] = str(tmp_path)
    demo = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "demo", "--port", str(port), "--workers", "1",
         "--redis-port", str(free_port())],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        ready = None
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                answer = requests.get(f"{base}/readyz", timeout=2)
            except (requests.ConnectionError, requests.Timeout):  # still starting, or busy
                answer = None
            if answer is not None and answer.status_code == 200:
                ready = answer.json()
                break
            time.sleep(0.2)
        assert ready, f"not ready: {answer.text if answer is not None else 'no answer'}"
        # Fresh data carries this release's version: nothing to migrate, nothing to warn about.
        assert ready["checks"]["schema"]["detail"] == "current", ready
        assert requests.get(f"{base}/wall/main", timeout=5).status_code == 200
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            out, _ = demo.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            raise
    assert "Floorboard demo: http://" in out and "Sign in at" in out
    gone = time.monotonic() + 5
    while _session_alive(demo.pid) and time.monotonic() < gone:
        time.sleep(0.1)
    assert not _session_alive(demo.pid), "processes left behind after Ctrl-C"
