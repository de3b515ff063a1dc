"""``make reliability``: a real fault campaign against real processes, and its figures.

It starts an embedded Redis (with persistence) and ``floorboard serve`` with two gunicorn
workers, opens wall screens that follow the stream as browsers do (reconnecting with
Last-Event-ID), and then, one after the other: hangs Redis (SIGSTOP, SIGCONT), kills it (-9)
and restarts it on its data, kills a worker, leaves screens that stop reading, floods the bus
with 20,000 events, and revokes a token under an open stream. A key message is posted through
the API before each fault; at the end every one must be on every screen (messages lost: 0).
Then it fuzzes the real server's API and the live channel, and tries every principal against
every door (access checks made, denied, and answered otherwise than the rules say: 0).

    python scripts/reliability.py [--screens 8] [--json results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_common import ROOT, Server
from reliability_parts import (
    Screen,
    access_matrix,
    fuzz_api,
    fuzz_channel,
    request,
    stalled_reader,
    wait_until,
)  # fmt: skip

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.schema import make_envelope

PREFIX = "rel:"
FLOOD = 20_000


def config_file(directory: Path) -> Path:
    text = (ROOT / "floorboard.toml").read_text().replace('prefix = "fb:"', f'prefix = "{PREFIX}"')
    text = re.sub(r"^stall_seconds = \S+", "stall_seconds = 2", text, flags=re.M)
    path = directory / "floorboard.toml"
    path.write_text(text)
    return path


def queue(qid: str, waiting: int):
    return make_envelope("queue", qid, {"waiting": waiting}, ts=time.time(), source="campaign")


class Campaign:
    def __init__(self, tmp: Path, screens: int) -> None:
        self.redis = EmbeddedRedis(tmp / "redis", persist=True).start()
        self.bus = Bus.from_url(self.redis.url, PREFIX)
        accounts = Accounts(self.bus.client, PREFIX)
        for agent_id, team in (("a01", "North"), ("a02", "South")):
            accounts.add_user(agent_id, "agent", "correct horse battery", team=team)
        self.tokens = {
            "anonymous": None,
            **{
                role: accounts.create_token("a01" if role == "agent" else role, role)
                for role in ("viewer", "agent", "supervisor")
            },
        }
        self.accounts = accounts
        env = {**os.environ, "REDIS_URL": self.redis.url, "FLOORBOARD_CONFIG": str(
            config_file(tmp)), "FLOORBOARD_STATE_DIR": str(tmp / "state"),
            "FLOORBOARD_SECRET_KEY": "reliability-" + "k" * 40}  # fmt: skip
        argv = [
            sys.executable,
            "-m",
            "dashboard.cli",
            "serve",
            "--port",
            "{port}",
            "--workers",
            "2",
        ]
        self.server = Server("floorboard", argv, env, "/readyz", signal.SIGINT, tmp / "app.log")
        self.server.start()
        self.port = self.server.port
        self.values = itertools.count(100)
        self.bus.publish(queue("billing", 1))
        self.screens = [Screen(self.port) for _ in range(screens)]
        for screen in self.screens:
            screen.start()
        wait_until(lambda: self.all_show("1"), 30)
        self.posted: list[str] = []
        self.dropped = 0  # stalled screens the server dropped
        self.results: list[tuple[str, float | None, float, bool]] = []

    def all_show(self, text: str) -> bool:
        return all(s.waiting() == text and s.bus_up for s in self.screens)

    def publish_value(self) -> tuple[str, float]:
        """A new value on the billing tile (retried while Redis is away); when it was sent."""
        n = next(self.values)
        wait_until(lambda: self._try(lambda: self.bus.publish(queue("billing", n))), 60)
        return str(n), time.monotonic()

    def post_message(self) -> None:
        """A key message through the API, retried until the API says it is stored."""
        body = {
            "text": f"Campaign message {len(self.posted) + 1}",
            "expires_at": time.time() + 3600,
        }
        token = self.tokens["supervisor"]

        def post() -> bool:
            status, reply = request(self.port, "POST", "/api/v1/messages", body, token)
            if status == 201:
                self.posted.append(json.loads(reply)["id"])
            return status == 201

        wait_until(lambda: self._try(post), 60)

    @staticmethod
    def _try(step) -> bool:
        try:
            return step() is not False
        except Exception:  # Redis or the server away for now: the caller retries
            return False

    def fault(self, name: str, inject, restore=None) -> None:
        """Inject a fault; time until every screen says so (the band); restore; time until
        every screen shows a value published after it (recovered)."""
        self.post_message()
        time.sleep(1.1)  # Redis syncs its append-only file every second: the message is kept
        for screen in self.screens:
            screen.down_at = None
        started = time.monotonic()
        inject()
        band = None
        if restore is not None:
            wait_until(lambda: all(s.down_at for s in self.screens), 15)
            band = max(s.down_at for s in self.screens) - started
            restore()
        restored = time.monotonic()  # Redis back, or the fault done: recovery runs from here
        text, _ = self.publish_value()
        try:
            wait_until(lambda: self.all_show(text), 60)
            survived = True
        except TimeoutError:
            survived = False
        self.results.append((name, band, time.monotonic() - restored, survived))

    def run(self) -> dict:
        redis = self.redis
        self.fault(
            "Redis hung 3 s (SIGSTOP, SIGCONT)",
            lambda: os.kill(redis.process.pid, signal.SIGSTOP),
            lambda: (time.sleep(3), os.kill(redis.process.pid, signal.SIGCONT)),
        )
        self.fault("Redis killed (-9), restarted on its data", redis.kill,
                   lambda: (time.sleep(1), redis.start()))  # fmt: skip
        pid = self.server.pid
        worker = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
        self.fault("gunicorn worker killed (-9)", lambda: os.kill(worker, signal.SIGKILL))
        self.fault("3 screens stop reading", self._stall)
        started = time.monotonic()
        self.fault(f"producer flood: {FLOOD:,} events", self._flood)
        flood_seconds = time.monotonic() - started
        revoke = self._revoke()
        fuzzed_api, server_errors = fuzz_api(self.port, self.tokens["supervisor"], 2000)
        fuzzed_channel = fuzz_channel(lambda b: self.bus.client.publish(self.bus.channel, b), 5000)
        text, _ = self.publish_value()
        wait_until(lambda: self.all_show(text), 30)  # still live after the fuzzing
        wait_until(lambda: all(set(self.posted) <= s.messages() for s in self.screens), 10)
        lost = len(set(self.posted) - set.intersection(*(s.messages() for s in self.screens)))
        hidden = self._aimed_at("a02")
        made, denied, wrong = access_matrix(self.port, self.tokens, hidden)
        faults = [
            {"fault": n, "band_s": b, "recover_s": r, "survived": ok}
            for n, b, r, ok in self.results
        ]
        return {
            "faults": faults,
            "messages_posted": len(self.posted),
            "messages_lost": lost,
            "flood_events": FLOOD,
            "flood_seconds": flood_seconds,
            "stream_closed_after_revoke_s": revoke,
            "fuzzed": {"api": fuzzed_api, "channel": fuzzed_channel, "errors": server_errors},
            "access": {"made": made, "denied": denied, "wrong": wrong},
            "stalled_dropped": self.dropped,
            "screens": len(self.screens),
            "reconnects": sum(s.reconnects for s in self.screens),
        }

    def _stall(self) -> None:
        """Three screens stop reading while big frames flow for three stall limits: each must
        be dropped (its stream ends after what its buffers held) and the others stay live."""
        stuck = [stalled_reader(self.port) for _ in range(3)]
        long, n = "x" * 480, 0
        until = time.monotonic() + 6
        while time.monotonic() < until:
            self.bus.publish(make_envelope("message", f"stall{n % 60}", {"text": f"{n} {long}",
                             "expires_at": time.time() + 600}, ts=time.time()))  # fmt: skip
            n += 1
            time.sleep(0.01)
        self.bus.publish_many([make_envelope("message", f"stall{i}", {}, ts=time.time(),
                               deleted=True) for i in range(60)])  # fmt: skip
        deadline = time.monotonic() + 10
        for sock in stuck:
            with contextlib.suppress(OSError):
                while time.monotonic() < deadline:
                    sock.settimeout(max(0.1, deadline - time.monotonic()))
                    if not sock.recv(65536):
                        self.dropped += 1
                        break
            sock.close()

    def _flood(self) -> None:
        for start in range(0, FLOOD, 1000):
            self.bus.publish_many([queue("faults", n) for n in range(start, start + 1000)])

    def _revoke(self) -> float:
        token = self.accounts.create_token("ops", "supervisor")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/stream?view=console", headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.readline()
        started = time.monotonic()
        self.accounts.revoke_token(token.split("_")[1])
        while resp.readline():
            pass
        conn.close()
        return time.monotonic() - started

    def _aimed_at(self, agent: str) -> str:
        body = {"text": "for a02 only", "audience": {"kind": "agent", "value": agent}}
        _, reply = request(self.port, "POST", "/api/v1/messages", body, self.tokens["supervisor"])
        return json.loads(reply)["id"]

    def stop(self) -> None:
        for screen in self.screens:
            screen.stop.set()
        self.server.stop()
        self.redis.stop()


def report(r: dict, load: tuple[str, str]) -> str:
    faults = r["faults"]
    bands = [f["band_s"] for f in faults if f["band_s"] is not None]
    lines = [f"load: {load[0]} (before) · {load[1]} (after); {r['screens']} wall screens", ""]
    for f in faults:
        band = "-" if f["band_s"] is None else f"{f['band_s']:.2f} s"
        state = "ok" if f["survived"] else "FAILED"
        lines.append(
            f"  {f['fault']:<45} band {band:>7}  recovered {f['recover_s']:5.2f} s  {state}"
        )
    fz, ac = r["fuzzed"], r["access"]
    lines += [
        "",
        f"faults injected / survived     {len(faults)} / {sum(f['survived'] for f in faults)}",
        f"time to the band (max)         {max(bands):.2f} s",
        f"time to recover (max)          {max(f['recover_s'] for f in faults):.2f} s",
        f"messages lost                  {r['messages_lost']} of {r['messages_posted']}",
        f"producer flood                 {r['flood_events']:,} events, all screens in step "
        f"{r['flood_seconds']:.1f} s after the first",
        f"stalled screens dropped        {r['stalled_dropped']} of 3 (the others stayed live)",
        f"stream closed after revoking   {r['stream_closed_after_revoke_s']:.2f} s",
        f"inputs fuzzed                  {fz['api'] + fz['channel']:,} "
        f"({fz['api']:,} API bodies, {fz['channel']:,} channel payloads; answers >= 500: "
        f"{fz['errors']})",
        f"access checks made / denied    {ac['made']} / {ac['denied']} "
        f"(answered against the rules: {ac['wrong']})",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        campaign = Campaign(Path(tmp), args.screens)
        try:
            results = campaign.run()
        finally:
            campaign.stop()
    after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["load"] = {"before": before, "after": after}
    print(report(results, (before, after)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    ok = all(f["survived"] for f in results["faults"]) and results["messages_lost"] == 0
    ok = ok and results["access"]["wrong"] == 0 and results["fuzzed"]["errors"] == 0
    ok = ok and results["stalled_dropped"] == 3 and results["stream_closed_after_revoke_s"] <= 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
