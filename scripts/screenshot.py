"""Real screenshots of Floorboard with headless Chromium: the README's pictures, and a way to
look at the wall as the floor sees it.

Drives the system Chromium (Debian's ``chromium`` package) through Playwright, so nothing is
downloaded: Playwright's own browser builds are never used. ``--all`` (``make screenshots``)
starts a demo of its own (embedded Redis, simulator, app), waits for its outage and for the
featured agent's card, posts an urgent and an important message and a delay reason as a
supervisor would (the ``floorboard`` command), and writes into ``docs/``: every board of the
config at 1920x1080, the main board in the light theme and at 1366x768, the agent tab at
1366x768 and 420 px wide, the supervisor console, the Today page, the floor and its blended
queue, an agent's "Next for me" and their day::

    python scripts/screenshot.py --all                  # everything, into docs/
    python scripts/screenshot.py --url http://127.0.0.1:8050/wall/main --out wall.png \\
        --width 1920 --height 1080 --wait 6
    python scripts/screenshot.py --demo --out wall.png   # one shot of a demo's main board
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent
FLOORBOARD = [sys.executable, "-m", "dashboard.cli"]


@dataclass
class Demo:
    """A running ``floorboard demo``: its address, its environment (``REDIS_URL``: its Redis)
    and the logins it printed."""

    base: str
    env: dict[str, str]
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (user, password)
    output: list[str] = field(default_factory=list)


def _read(proc: subprocess.Popen[str], demo: Demo) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        demo.output.append(line)
        if m := re.match(r"\s+(supervisor|admin|agents)\s+(\S+)(?: … \S+)? / (\S+)", line):
            demo.logins[m.group(1)] = (m.group(2), m.group(3))


@contextlib.contextmanager
def demo(port: int, options: Sequence[str] = ()) -> Iterator[Demo]:
    """``floorboard demo`` (simulator + app) on ``port`` with an embedded Redis of our own (so
    the script can talk to it: the demo shows no password), in a scratch state, with the demo's
    ``options`` (``--speed 60``)."""
    from feeds.bus.embedded import EmbeddedRedis

    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as state:
        redis_server = EmbeddedRedis(Path(state) / "redis", persist=False).start()
        env.update(FLOORBOARD_STATE_DIR=state, REDIS_URL=redis_server.url)
        proc = subprocess.Popen(
            [*FLOORBOARD, "demo", "--port", str(port), *options], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        running = Demo(f"http://127.0.0.1:{port}", dict(env))
        threading.Thread(target=_read, args=(proc, running), daemon=True).start()
        try:
            _wait(lambda: _get(running.base + "/readyz") is not None, 60, "the demo to start")
            yield running
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(20)
            redis_server.stop()


def _get(url: str) -> bytes | None:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as r:
        return r.read() if r.status == 200 else None
    return None


def _wait(ready: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.5)
    sys.exit(f"screenshot: gave up waiting for {what}")


def _board_lines(base: str, board: str) -> list[dict]:
    body = _get(f"{base}/api/v1/snapshot?view=wall&board={board}")
    return json.loads(body)["items"]["bands"]["list"] if body else []


def screenshot(url: str, out: Path, width: int, height: int, wait: float, chromium: str) -> None:
    """Open ``url`` at ``width`` x ``height``, let the stream fill it for ``wait`` s, save a PNG."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda exc: print(f"page error: {exc}", file=sys.stderr))
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_timeout(wait * 1000)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def _shoot(
    browser: Browser,
    url: str,
    out: Path,
    size: tuple[int, int],
    login: tuple[str, str] | None = None,
    ready: str = "",
) -> Page:
    """One page, signed in as ``login`` (user, password) when it asks, once it is live (and
    shows ``ready``)."""
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.on("pageerror", lambda exc: print(f"page error on {url}: {exc}", file=sys.stderr))
    page.goto(url)
    if login and "/login" in page.url:
        page.fill("#username", login[0])
        page.fill("#password", login[1])
        page.click("button[type=submit]")
        page.wait_for_url(url)
    if not ready.startswith("#day"):  # an agent's day has no stream: built when opened
        page.wait_for_selector(".conn-indicator.conn-live", timeout=30_000)
    if ready:
        page.wait_for_selector(ready, timeout=90_000)
    page.wait_for_timeout(2500)  # the ticker and the bands measure themselves, timers tick
    page.screenshot(path=str(out))
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return page


def everything(port: int, docs: Path, chromium: str) -> None:
    """Every board, the agent tab, the console and the Today page, from a demo of our own,
    into ``docs``."""
    from feeds.config import load_config

    boards = [b.id for b in load_config(ROOT / "floorboard.toml").boards]
    with demo(port) as d:
        print("waiting for the demo's outage (a minute in)…")
        _wait(lambda: any(x["kind"] == "outage" for x in _board_lines(d.base, "main")), 150,
              "the demo's outage")  # fmt: skip
        for args in (
            ["message", "post", "Fire drill at 15:30: leave by the east stairs",
             "--priority", "urgent", "--expires", "+2h"],
            ["message", "post", "Power cut in the North East: use the approved wording on "
             "your tab, offer the goodwill credit to vulnerable customers",
             "--priority", "important", "--expires", "+2h"],
            ["message", "post", "Team huddle at 16:00 in room 2", "--expires", "+2h"],
            ["delay", "set", "faults", "Power cut: high volume", "--wait", "8m"],
        ):  # fmt: skip
            # As someone at a shell does it: audited as "cli: <their login name>".
            env = {"USER": "ops", **d.env}
            subprocess.run([*FLOORBOARD, *args], cwd=ROOT, env=env, check=True,
                           capture_output=True)  # fmt: skip
        agent, supervisor = ("a01", d.logins["agents"][1]), d.logins["supervisor"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                for board in boards:
                    _shoot(browser, f"{d.base}/wall/{board}", docs / f"wall-{board}.png",
                           (1920, 1080))  # fmt: skip
                _shoot(browser, f"{d.base}/wall/main?theme=light", docs / "wall-main-light.png",
                       (1920, 1080))  # fmt: skip
                _shoot(browser, f"{d.base}/wall/main", docs / "wall-main-1366.png", (1366, 768))
                card = "#agent-contact:not(.hidden)"  # the featured agent is on a contact
                _shoot(browser, f"{d.base}/agent/a01", docs / "agent.png", (1366, 768), agent,
                       card)  # fmt: skip
                _shoot(browser, f"{d.base}/agent/a01", docs / "agent-narrow.png", (420, 900),
                       agent, card)  # fmt: skip
                _shoot(browser, f"{d.base}/supervisor", docs / "console.png", (1920, 1080),
                       supervisor)  # fmt: skip
                _shoot(browser, f"{d.base}/supervisor/today", docs / "today.png", (1600, 1000),
                       supervisor, "#table-rows tr")  # fmt: skip
                # A few contacts waiting on other channels, as an ACD would publish them, so
                # the blended queue shows its kinds and flags whatever the demo's queues do.
                now = time.time()
                waiting = [("w-1", "billing", "callback", 340, []), ("w-2", "email", "email", 300,
                           []), ("w-3", "chat", "sms", 200, ["vip"]), ("w-4", "billing", "voice",
                           90, []), ("w-5", "email", "web_form", 60, []), ("w-6", "email", "fax",
                           20, [])]  # fmt: skip
                lines = "\n".join(
                    json.dumps(
                        {
                            "kind": "contact",
                            "id": cid,
                            "data": {
                                "event": "offered",
                                "queue": q,
                                "channel": ch,
                                "customer_id": f"AC-{cid}",
                                "enqueued_at": now - ago,
                                "tags": tags,
                            },
                        }
                    )
                    for cid, q, ch, ago, tags in waiting
                )
                subprocess.run([*FLOORBOARD, "publish"], cwd=ROOT, env={"USER": "ops", **d.env},
                               input=lines, text=True, check=True, capture_output=True)  # fmt: skip
                floor = _shoot(browser, f"{d.base}/supervisor/floor", docs / "floor.png",
                               (1920, 1080), supervisor, ".floor-cell")  # fmt: skip
                floor.locator(".floor-blended-panel").screenshot(
                    path=str(docs / "floor-blended.png")
                )
                print("wrote docs/floor-blended.png")
                # The agent's "Next for me" (the waiting contacts above, in the routing rule's
                # order), and their day as a click on their floor cell opens it.
                tab = _shoot(
                    browser,
                    f"{d.base}/agent/a01",
                    Path(tempfile.gettempdir()) / "agent-next-page.png",
                    (1366, 768),
                    agent,
                    "#agent-next .fb-waiting",
                )
                tab.locator(".fb-agent-next").screenshot(path=str(docs / "agent-next.png"))
                print("wrote docs/agent-next.png")
                _shoot(browser, f"{d.base}/agent/a01/day", docs / "agent-day.png", (1920, 1080),
                       supervisor, "#day-title")  # fmt: skip
            finally:
                browser.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8050/wall/main")
    ap.add_argument("--out", type=Path, default=Path("wall.png"))
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--wait", type=float, default=6.0, help="seconds to let live data arrive")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", CHROMIUM))
    ap.add_argument("--demo", action="store_true", help="start a demo and shoot its /wall/main")
    ap.add_argument("--all", action="store_true", help="every board, agent tab, console → docs/")
    ap.add_argument("--docs", type=Path, default=ROOT / "docs")
    ap.add_argument("--demo-port", type=int, default=8059)
    args = ap.parse_args(argv)
    if not Path(args.chromium).exists():
        sys.exit(f"screenshot: no Chromium at {args.chromium} (apt-get install chromium)")
    # Never let Playwright fetch its own browsers, whatever the environment says.
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    try:
        if args.all:
            everything(args.demo_port, args.docs, args.chromium)
            return
        if args.demo:
            with demo(args.demo_port) as d:
                url = d.base + "/wall/main"
                screenshot(url, args.out, args.width, args.height, args.wait, args.chromium)
        else:
            screenshot(args.url, args.out, args.width, args.height, args.wait, args.chromium)
    except PlaywrightError as exc:
        sys.exit(f"screenshot: {exc}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
