"""A wall page's memory over a time-compressed day, measured in Chromium.

Starts a demo of its own with the simulator at ``--speed`` (60: a centre's day in 24 minutes)
and opens two wall pages in headless Chromium: one board that stays, and one rotating through
every board (``/wall?rotate=…&every=``), each page's one stream applying the simulator's
updates as they come. Every ``--every`` seconds it forces a garbage collection in each page
(Chrome DevTools Protocol) and records the live JS heap, the DOM nodes and the event listeners,
then prints the table and the heap's trend (MB per hour, by least squares over the second half
of the run, after the page's caches have filled)::

    python scripts/wall_memory.py --minutes 24 --speed 60
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import CDPSession, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot import CHROMIUM, CHROMIUM_ARGS, demo

MB = 1024 * 1024


def sample(cdp: CDPSession) -> tuple[float, int, int]:
    """Live JS heap (MB) after a full collection, DOM nodes, event listeners."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / MB
    return heap, int(metrics["Nodes"]), int(metrics["JSEventListeners"])


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minutes, MB) points, in MB per hour."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=24.0)
    ap.add_argument("--speed", type=float, default=60.0, help="simulated seconds per second")
    ap.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    ap.add_argument("--rotate-every", type=float, default=20.0)
    ap.add_argument("--port", type=int, default=8061)
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", CHROMIUM))
    args = ap.parse_args(argv)
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from feeds.config import load_config

    boards = ",".join(b.id for b in load_config(Path(__file__).parent.parent / "floorboard.toml")
                      .boards)  # fmt: skip
    with demo(args.port, ["--speed", str(args.speed)]) as d, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        pages: dict[str, tuple[Page, CDPSession]] = {}
        for name, path in (
            ("main", "/wall/main"),
            ("rotating", f"/wall?rotate={boards}&every={args.rotate_every}"),
        ):
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(d.base + path)
            page.wait_for_selector(".conn-indicator.conn-live", timeout=60_000)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            pages[name] = (page, cdp)
        began = time.monotonic()
        rows: dict[str, list[tuple[float, float, int, int]]] = {name: [] for name in pages}
        print(f"{'min':>5} {'sim h':>6}  " + "  ".join(
            f"{n + ' heap MB':>17} {'nodes':>6} {'listeners':>9}" for n in pages))  # fmt: skip
        while True:
            minutes = (time.monotonic() - began) / 60
            line = f"{minutes:5.1f} {minutes * args.speed / 60:6.1f}  "
            for name, (_, cdp) in pages.items():
                heap, nodes, listeners = sample(cdp)
                rows[name].append((minutes, heap, nodes, listeners))
                line += f"{heap:17.2f} {nodes:6d} {listeners:9d}  "
            print(line, flush=True)
            if minutes >= args.minutes:
                break
            time.sleep(args.every)
        for name, got in rows.items():
            half = [(m, h) for m, h, _, _ in got if m >= args.minutes / 2]
            heaps = [h for _, h, _, _ in got]
            print(f"{name}: heap {heaps[0]:.2f} MB at start, {min(heaps):.2f}–{max(heaps):.2f} "
                  f"MB over the run, {heaps[-1]:.2f} MB at the end; trend over the second half "
                  f"{slope(half):+.2f} MB/h; DOM nodes {got[0][2]}→{got[-1][2]}, listeners "
                  f"{got[0][3]}→{got[-1][3]}")  # fmt: skip
        browser.close()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
