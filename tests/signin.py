"""Signing in from tests, as a person would: the demo password, a requests session through the
sign-in form (with its CSRF token), the session's cookie for a raw stream, and a browser page
that is sent to the form and lands back where it was going."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"


def login(base: str, name: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in as ``name`` through the form (303 or the test fails)."""
    browser = requests.Session()
    form = browser.get(f"{base}/login", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"username": name, "password": password, "csrf_token": token}
    r = browser.post(f"{base}/login", data=data, allow_redirects=False, timeout=5)
    assert r.status_code == 303, r.text
    return browser


def cookie(browser: requests.Session) -> dict[str, str]:
    """The session's cookies as a header, for a raw HTTP stream."""
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies)}


def sign_in(page: Page, base: str, name: str, path: str, live: bool = False) -> None:
    """Open ``path``, get sent to the sign-in form, sign in, land back on ``path`` (and, with
    ``live``, wait until its stream says Live)."""
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=15_000)
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}{path}")
    if live:
        expect(page.locator("#conn-indicator")).to_have_text("Live", timeout=15_000)
