"""An upgrade as deploy/README.md tells it, with a wall left open through it in a real Chromium:
data of the previous schema served by the old release, the app stopped, ``floorboard
migrate``, the new release started. The wall reloads itself onto the new release (the stream's
``version`` event), still shows the message posted before the upgrade, and ``/readyz`` says the
schema is current.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from feeds.bus.bus import Bus
from feeds.data.restore import restore

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
V0 = ROOT / "tests" / "data" / "schema-v0.json"


def reloaded(page: Page, timeout: float = 30) -> None:
    """Wait until the page has reloaded itself. Polled from here: ``wait_for_function`` evaluates
    a string in the page, which the pages' Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate("window.__untouched") is None:
                return
        except PlaywrightError:  # evaluated while the page was navigating: ask again
            pass
        assert time.monotonic() < deadline, "the page did not reload"
        time.sleep(0.2)


def test_an_upgrade_with_a_migration_reloads_the_open_walls_and_keeps_the_data(
    page: Page, bus: Bus, redis_server, prefix, start_app, monkeypatch
) -> None:
    restore(bus.client, bus.prefix, json.loads(V0.read_text()))  # written before versions
    monkeypatch.setenv("FLOORBOARD_RELEASE", "0.1.0+before")
    app = start_app(redis_server.url, prefix)
    status, body = app.get("/readyz")
    assert status == 200 and json.loads(body)["checks"]["schema"]["data"] is None
    page.goto(f"{app.base}/wall/main")
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=20_000)
    shown = page.locator("#bands")  # an urgent message has the band
    expect(shown).to_contain_text("Storm in the North East tonight")
    page.evaluate("window.__untouched = true")  # gone once the page has reloaded

    app.stop()
    env = {**os.environ, "REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(app.config)}
    migrated = subprocess.run([sys.executable, "-m", "dashboard.cli", "migrate"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert migrated.returncode == 0 and "done: version 1" in migrated.stdout, migrated.stderr
    monkeypatch.setenv("FLOORBOARD_RELEASE", "0.2.0+after")
    app.start()

    reloaded(page)
    expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=20_000)
    expect(shown).to_contain_text("Storm in the North East tonight")
    status, body = app.get("/readyz")
    ready = json.loads(body)
    assert status == 200 and ready["version"] == "0.2.0+after"
    assert ready["checks"]["schema"]["detail"] == "current"
