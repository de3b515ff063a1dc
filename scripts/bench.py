"""Benchmark of the push path: publish on the bus → received by N open SSE streams.

Starts its own embedded Redis and ``floorboard serve`` (gunicorn + gevent), opens N concurrent
SSE clients with an asyncio load client on the same machine, publishes queue-tile updates at R
per second for D seconds, and prints per N: publish→received latency p50/p95/p99/max, missed
and duplicate updates, server CPU (cores, and CPU-seconds per 1,000 deliveries) and server
memory per open stream. A benchmark, not a test: it reports, it does not assert.

    python scripts/bench.py [--clients 100 1000] [--rate 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feeds.bus import Bus  # noqa: E402
from feeds.embedded import EmbeddedRedis, free_port  # noqa: E402
from feeds.schema import make_envelope  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


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


class Client:
    """One SSE stream; records (seq, latency) of the updates it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[int, float]] = []
        self.snapshot = asyncio.Event()

    async def run(self, port: int, path: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        event, data = "", ""
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif not line and data:
                    now = time.time()
                    if event == "snapshot":
                        self.snapshot.set()
                    elif event == "update":
                        body = json.loads(data)
                        tile = body["items"].get("tile:billing")
                        if tile:
                            self.received.append((body["seq"], now - tile["ts"]))
                    event, data = "", ""
        finally:
            writer.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def run_round(port: int, server_pid: int, bus: Bus, n: int, rate: float, seconds: float):
    pids = proc_tree(server_pid)
    rss0 = rss_bytes(pids)
    clients = [Client() for _ in range(n)]
    tasks = [asyncio.create_task(c.run(port, "/stream?view=wall&board=main")) for c in clients]
    await asyncio.wait_for(asyncio.gather(*(c.snapshot.wait() for c in clients)), 120)
    await asyncio.sleep(1)
    rss1 = rss_bytes(proc_tree(server_pid))
    cpu0, t0 = cpu_seconds(proc_tree(server_pid)), time.monotonic()
    published: list[int] = []
    interval = 1 / rate
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        env = make_envelope("queue", "billing", {"waiting": i % 9, "offered": i}, ts=time.time())
        published.append(await asyncio.to_thread(bus.publish, env))
    await asyncio.sleep(2)  # let the last updates arrive
    cpu1, t1 = cpu_seconds(proc_tree(server_pid)), time.monotonic()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    want = set(published)
    latencies = [lat * 1000 for c in clients for seq, lat in c.received if seq in want]
    missed = sum(len(want - {s for s, _ in c.received}) for c in clients)
    dups = sum(len(c.received) - len({s for s, _ in c.received}) for c in clients)
    deliveries = max(1, len(latencies))
    cpu = cpu1 - cpu0
    return {
        "clients": n, "rate": rate, "published": len(published),
        "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")), "missed": missed, "dups": dups,
        "cores": cpu / (t1 - t0), "cpu_per_1k": cpu / deliveries * 1000,
        "kb_per_stream": (rss1 - rss0) / n / 1024,
    }  # fmt: skip


COLUMNS = [  # title, result key, width, format
    ("N", "clients", 6, ""), ("p50 ms", "p50", 8, ".1f"), ("p95 ms", "p95", 8, ".1f"),
    ("p99 ms", "p99", 8, ".1f"), ("max ms", "max", 8, ".1f"), ("missed", "missed", 7, ""),
    ("dups", "dups", 5, ""), ("cores", "cores", 6, ".2f"), ("cpu s/1k", "cpu_per_1k", 9, ".3f"),
    ("KB/stream", "kb_per_stream", 10, ".1f"),
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        port = free_port()
        env = {**os.environ, "REDIS_URL": redis.url, "FLOORBOARD_LOG_LEVEL": "warning"}
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port)],
            cwd=ROOT, env=env, start_new_session=True, preexec_fn=lambda: resource.setrlimit(
                resource.RLIMIT_NOFILE, (hard, hard)),
        )  # fmt: skip
        try:
            bus = Bus.from_url(redis.url)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            size = len(make_envelope("queue", "billing", {}, ts=time.time()).model_dump_json())
            print(f"push path: 1 gevent worker, R={args.rate:g}/s for {args.seconds:g}s, "
                  f"tile update ~{size} B on the bus")  # fmt: skip
            print(" ".join(f"{title:>{width}}" for title, _, width, _ in COLUMNS))
            for n in args.clients:
                r = asyncio.run(run_round(port, server.pid, bus, n, args.rate, args.seconds))
                row = (f"{r[key]:>{width}{fmt}}" for _, key, width, fmt in COLUMNS)
                print(" ".join(row), flush=True)
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(15)


if __name__ == "__main__":
    main()
