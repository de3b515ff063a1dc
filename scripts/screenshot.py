"""Take a real screenshot of a Floorboard page with headless Chromium.

Drives the system Chromium (Debian's ``chromium`` package) through Playwright, so nothing is
downloaded: Playwright's own browser builds are never used. Used for the README picture and to
look at the wall as the floor sees it::

    python scripts/screenshot.py --url http://127.0.0.1:8050/wall/main --out docs/wall.png \\
        --width 1920 --height 1080 --wait 6
    python scripts/screenshot.py --demo --out docs/wall.png   # starts its own demo first
    python scripts/screenshot.py --demo --agent --out docs/agent.png --width 1366 --height 768

``--agent`` signs in to the demo as its supervisor and shoots the tab of an agent whose
moment-of-truth card shows a caller hit by the demo's outage (waiting for one, up to --wait).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def demo(port: int) -> Iterator[tuple[str, Path]]:
    """``floorboard demo`` (embedded Redis + simulator + app) on ``port``, in a scratch state;
    yields its base URL and the file its banner (with the demo logins) is written to."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    with tempfile.TemporaryDirectory() as state:
        env["FLOORBOARD_STATE_DIR"] = state
        banner = Path(state) / "demo.out"
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "demo", "--port", str(port)],
            cwd=ROOT, env=env, stdout=banner.open("wb"), stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz") as r:
                    if r.status == 200:
                        break
                time.sleep(0.3)
            yield base, banner
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(20)


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


def agent_screenshot(
    base: str, banner: Path, out: Path, width: int, height: int, wait: float, chromium: str
) -> None:
    """Sign in as the demo's supervisor and shoot the first agent tab whose card shows a
    repeat caller hit by the outage (it starts a minute into the demo); after ``wait`` seconds,
    any caller hit by it; after twice that, any card at all."""
    password = re.search(r"super / (\S+)", banner.read_text()).group(1)  # type: ignore[union-attr]
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{base}/login?next=/supervisor")
            page.fill("#username", "super")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url("**/supervisor")
            deadline = time.monotonic() + wait
            while True:
                for n in range(1, 25):
                    page.goto(f"{base}/agent/a{n:02d}")
                    page.wait_for_selector("#conn-indicator:has-text('Live')", timeout=15_000)
                    page.wait_for_timeout(1200)
                    card, late = page.locator("#agent-contact"), time.monotonic() - deadline
                    hit = card.locator(".flag-outage").count() > 0
                    known = card.locator(".fb-agent-history li").count() > 0
                    if card.is_visible() and ((hit and (known or late > 0)) or late > wait):
                        page.screenshot(path=str(out))
                        return
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8050/wall/main")
    ap.add_argument("--out", type=Path, default=Path("docs/wall.png"))
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--wait", type=float, default=6.0, help="seconds to let live data arrive")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", CHROMIUM))
    ap.add_argument("--demo", action="store_true", help="start a demo and shoot its /wall/main")
    ap.add_argument("--agent", action="store_true", help="with --demo: an agent's tab with a card")
    ap.add_argument("--demo-port", type=int, default=8059)
    args = ap.parse_args(argv)
    if not Path(args.chromium).exists():
        sys.exit(f"screenshot: no Chromium at {args.chromium} (apt-get install chromium)")
    # Never let Playwright fetch its own browsers, whatever the environment says.
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    try:
        if args.demo and args.agent:
            with demo(args.demo_port) as (base, banner):
                shot = (args.out, args.width, args.height, max(args.wait, 120), args.chromium)
                agent_screenshot(base, banner, *shot)
        elif args.demo:
            with demo(args.demo_port) as (base, _):
                url = base + "/wall/main"
                screenshot(url, args.out, args.width, args.height, args.wait, args.chromium)
        else:
            screenshot(args.url, args.out, args.width, args.height, args.wait, args.chromium)
    except PlaywrightError as exc:
        sys.exit(f"screenshot: {exc}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
