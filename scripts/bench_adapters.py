"""Benchmark of the adapters: AMI events and CSV rows per second, onto a real (embedded) Redis.

1. AMI: a local AMI server greets, answers the login and the resync, then sends K callers'
   stories as fast as TCP takes them (7 events each: join, called, leave, connect, member in
   use, complete, member free); timed from the first event sent until the adapter has
   published the last caller's completion: events parsed, mapped and published per second.
2. CSV: a generated day of N rows replayed flat out (speed 0): rows per second from opening
   the file to the last write; and the reader alone (parse and check, no bus), for where the
   time goes.

A benchmark, not a test: it reports, it does not assert. Run alone (2 cores: say the load):

    .venv/bin/python scripts/bench_adapters.py [--callers 5000] [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from feeds.adapters.ami.client import AmiOptions, run_ami  # noqa: E402
from feeds.adapters.csv_replay import replay_csv  # noqa: E402
from feeds.adapters.csv_rows import read_rows  # noqa: E402
from feeds.bus.bus import Bus  # noqa: E402
from feeds.bus.embedded import EmbeddedRedis  # noqa: E402
from feeds.config import Config, parse_config  # noqa: E402

T = 1741687200
AMI = {"queue_map": {"support": "billing", "sales": "faults"},
       "member_map": {f"PJSIP/1{n:03d}": f"a{n:02d}" for n in range(1, 25)}}  # fmt: skip


def config() -> Config:
    data = tomllib.loads((ROOT / "floorboard.toml").read_text())
    data["adapters"] = {"ami": AMI}
    return parse_config(data)


def block(event: str, t: float, **fields: object) -> tuple[float, str]:
    lines = [f"Event: {event}", "Privilege: agent,all", f"Timestamp: {t:.6f}"]
    return t, "\r\n".join(lines + [f"{k}: {v}" for k, v in fields.items()]) + "\r\n\r\n"


def member(queue: str, n: int, status: int, t: float) -> tuple[float, str]:
    who = {"MemberName": f"Agent {n}", "Interface": f"PJSIP/1{n:03d}"}
    return block("QueueMemberStatus", t, Queue=queue, **who, Status=status, Paused=0,
                 InCall=int(status == 2))  # fmt: skip


def stories(callers: int) -> bytes:
    """The callers' events in time order, as Asterisk sends them."""
    out: list[tuple[float, str]] = []
    for i in range(callers):
        t = T + i * 0.5
        queue, n = ("support", "sales")[i % 2], 1 + i % 24
        uid = f"{T + i}.{i}"
        who = {"Queue": queue, "Uniqueid": uid, "CallerIDNum": f"0770090{i % 5000:04d}"}
        agent = {"Interface": f"PJSIP/1{n:03d}", "MemberName": f"Agent {n}"}
        out += [
            block("QueueCallerJoin", t, **who, Position=1, Count=1),
            block("AgentCalled", t + 1, **who, **agent),
            block("QueueCallerLeave", t + 3, **who),
            block("AgentConnect", t + 3, **who, **agent, HoldTime=3, RingTime=2),
            member(queue, n, 2, t + 3),
            block("AgentComplete", t + 60, **who, **agent, HoldTime=3, TalkTime=57,
                  Reason="caller"),
            member(queue, n, 1, t + 60),
        ]  # fmt: skip
    out.sort(key=lambda e: e[0])
    return "".join(text for _, text in out).encode()


def serve_ami(server: socket.socket, payload: bytes, sent: dict) -> None:
    """One connection: greet, log in, resync with empty queues, then the whole payload."""
    conn, _ = server.accept()
    conn.sendall(b"Asterisk Call Manager/5.0.1\r\n")
    buf, answered = b"", 0
    while answered < 5:  # Login, Ping, QueueStatus, QueueSummary, Status
        buf += conn.recv(4096)
        while b"\r\n\r\n" in buf:
            raw, buf = buf.split(b"\r\n\r\n", 1)
            fields = dict(line.split(": ", 1) for line in raw.decode().split("\r\n"))
            aid, action = fields["ActionID"], fields["Action"]
            reply = f"Response: Success\r\nActionID: {aid}\r\n"
            if action == "Ping":
                reply += f"Ping: Pong\r\nTimestamp: {T - 1:.6f}\r\n\r\n"
            elif action in ("QueueStatus", "QueueSummary", "Status"):
                reply += (f"EventList: start\r\n\r\nEvent: {action}Complete\r\nActionID: {aid}\r\n"
                          "EventList: Complete\r\nListItems: 0\r\n\r\n")  # fmt: skip
            else:
                reply += "Message: Authentication accepted\r\n\r\n"
            conn.sendall(reply.encode())
            answered += 1
    sent["start"] = time.perf_counter()
    conn.sendall(payload)
    sent["done"] = time.perf_counter()
    sent["conn"] = conn  # kept open until the benchmark ends


def bench_ami(redis: EmbeddedRedis, callers: int) -> None:
    cfg = config()
    bus = Bus.from_url(redis.url, f"ami{time.time_ns()}:")
    payload = stories(callers)
    server = socket.create_server(("127.0.0.1", 0))
    sent: dict = {}
    threading.Thread(target=serve_ami, args=(server, payload, sent), daemon=True).start()
    stop = threading.Event()
    options = AmiOptions.from_config(cfg, "bench", port=server.getsockname()[1])
    runner = threading.Thread(target=run_ami, args=(cfg, bus, options, stop), daemon=True)
    runner.start()
    last = f"{T + callers - 1}.{callers - 1}"
    while True:
        tail = bus.client.xrevrange(bus.contacts_key, count=1)
        if tail and f'"id":"{last}"'.encode() in tail[0][1][b"e"] and b"completed" in tail[0][1][
                b"e"]:  # fmt: skip
            break
        time.sleep(0.01)
    took = time.perf_counter() - sent["start"]
    stop.set()
    runner.join(10)
    events = callers * 7
    written = bus.client.xlen(bus.contacts_key)
    print(f"AMI   {events:>8,} events ({callers:,} callers, {len(payload) / 1e6:.1f} MB) in "
          f"{took:5.2f} s: {events / took:>9,.0f} events/s parsed, mapped and published "
          f"({written:,} contact events on the bus)")  # fmt: skip


def bench_csv(redis: EmbeddedRedis, rows: int) -> None:
    from make_sample_day import main as make  # the sample day's generator, any size

    cfg = config()
    path = Path(tempfile.mkdtemp()) / "day.csv"
    sys.argv = ["make_sample_day", "--rows", str(rows), "--out", str(path)]
    make()
    start = time.perf_counter()
    taken = sum(len(r) for r, _ in read_rows(path, cfg))
    read = time.perf_counter() - start
    print(f"CSV   {taken:>8,} rows read and checked (no bus) in {read:5.2f} s: "
          f"{taken / read:>9,.0f} rows/s")  # fmt: skip
    bus = Bus.from_url(redis.url, f"csv{time.time_ns()}:")
    start = time.perf_counter()
    report = replay_csv(path, cfg, bus, speed=0)
    took = time.perf_counter() - start
    print(f"CSV   {report.rows:>8,} rows replayed flat out in {took:5.2f} s: "
          f"{report.rows / took:>9,.0f} rows/s ({report.events:,} events aggregated, "
          f"{report.published:,} written)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    redis = EmbeddedRedis(Path(tempfile.mkdtemp()), persist=False).start()
    try:
        print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
        bench_ami(redis, args.callers)
        bench_csv(redis, args.rows)
        print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
