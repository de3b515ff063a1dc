"""Shared pieces of the benchmark: process meters, the servers under test, pacing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from feeds.bus.bus import Bus
from feeds.bus.embedded import free_port
from feeds.bus.schema import make_envelope

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/conftest.py: Debian's Chromium, never a downloaded one
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip
CONNECT_BATCH = 250  # more at once overflows the listen backlog and costs SYN retries (1 s+)
STREAM_PATH = "/stream?view=wall&board=main"
# --- measuring processes --------------------------------------------------------------------


def proc_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        with contextlib.suppress(OSError):  # the process may have exited meanwhile
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for p in pids:
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


class Server:
    """A gunicorn-served app in its own process group, restartable on the same port."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        health: str,
        stop_signal: int,
        log: Path | None = None,
        label: str = "",
        workers: int = 1,
    ) -> None:
        self.name, self.argv, self.env, self.health = name, argv, env, health
        self.label, self.workers = label or name, workers
        self.stop_signal = stop_signal
        self.log = log  # stderr there instead of the terminal (the baseline's tracebacks)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> float:
        """Start and wait until healthy; returns the monotonic time it became healthy."""
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.process = subprocess.Popen(
            [a.replace("{port}", str(self.port)) for a in self.argv],
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL,  # "Floorboard on http://..." between the tables
            stderr=self.log.open("ab") if self.log else None,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                url = f"http://127.0.0.1:{self.port}{self.health}"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic()
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} not healthy in {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, self.stop_signal)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def bench_env(redis_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of the servers under test: the bench's own Redis and state folder."""
    return {
        **os.environ, "REDIS_URL": redis_url, "FLOORBOARD_LOG_LEVEL": "warning",
        "FLOORBOARD_STATE_DIR": str(tmp / "state"), **extra,
    }  # fmt: skip


def product(env: dict[str, str], workers: int = 1) -> Server:
    """``floorboard serve`` with ``workers`` workers, as it is run."""
    argv = [sys.executable, "-m", "dashboard.cli", "serve", "--port", "{port}"]
    label = "product" if workers == 1 else f"product×{workers}"
    return Server("floorboard serve", [*argv, "--workers", str(workers)], env, "/readyz",
                  signal.SIGINT, label=label, workers=workers)  # fmt: skip


class Meter:
    """CPU of the app server's process tree, Redis and this load client over a window."""

    def __init__(self, server: Server, redis_pid: int) -> None:
        self.server, self.redis_pid = server, redis_pid

    def __enter__(self) -> Meter:
        self.t0 = time.monotonic()
        self.cpu0 = cpu_seconds(proc_tree(self.server.pid))
        self.redis0 = cpu_seconds([self.redis_pid])
        self.load0 = self._self_cpu()
        return self

    @staticmethod
    def _self_cpu() -> float:
        """This load client's own CPU (all its threads): it shares the cores with the server."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self.t0
        self.cpu = cpu_seconds(proc_tree(self.server.pid)) - self.cpu0
        self.redis = cpu_seconds([self.redis_pid]) - self.redis0
        self.load = self._self_cpu() - self.load0


# --- the push side: SSE clients ---------------------------------------------------------------


async def in_batches(starts: list[Callable[[], Awaitable[Any]]], timeout: float = 120) -> None:
    """Run ``starts`` a batch at a time, so thousands of connections do not overflow the
    server's listen backlog at once (a dropped SYN is retried after a second or more)."""
    for i in range(0, len(starts), CONNECT_BATCH):
        batch = starts[i : i + CONNECT_BATCH]
        await asyncio.wait_for(asyncio.gather(*(s() for s in batch)), timeout)


async def publish_at(
    bus: Bus, rate: float, count: int, value: Callable[[int], dict]
) -> dict[int, float]:
    """Publish ``count`` billing-tile updates at ``rate``/s on schedule; {seq: publish time}."""
    seqs: dict[int, float] = {}
    start = time.monotonic()
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        env = make_envelope("queue", "billing", value(i), ts=time.time())
        seqs[await asyncio.to_thread(bus.publish, env)] = env.ts
    return seqs


def tile(waiting: int) -> Any:
    return make_envelope("queue", "billing", {"waiting": waiting}, ts=time.time())
