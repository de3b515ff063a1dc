"""Never owned: what an attacker tried against a fresh demo, as tests against the real server.

Writing to Redis must never run code in the app; credentials end every stream they opened;
readers see only what is theirs.
"""

from __future__ import annotations

import http.client
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from signin import PASSWORD, cookie, login

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus, connect
from feeds.bus.schema import make_envelope
from feeds.config import load_config


class _Payload:
    """A pickle that, if anyone unpickles it, creates a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_planted_in_the_snapshot_cache_runs_nothing(
    redis_server, prefix, start_app, tmp_path: Path
) -> None:
    bus = Bus.from_url(redis_server.url, prefix)
    bus.publish(make_envelope("queue", "billing", {"waiting": 2}, ts=time.time()))
    app = start_app(redis_server.url, prefix)
    marker = tmp_path / "owned"
    planted = b"!" + pickle.dumps(_Payload(marker))  # what flask-caching's pickles look like
    config = load_config(app.config)
    for board in config.boards:
        key = f"{prefix}cache:snapshot:wall:{board.id}@{config.board_version(board)}"
        bus.client.set(key, planted, ex=60)
    status, body = app.get("/api/v1/snapshot?view=wall&board=main")
    time.sleep(0.5)
    assert not marker.exists(), "a planted pickle ran a command in the app"
    assert status == 200 and b'"tile:billing"' in body
    assert "not JSON" in app.log()


# -- credentials end what they opened -------------------------------------------------------------

CONSOLE = "/stream?view=console"


@pytest.fixture
def accounts(redis_server, prefix) -> Accounts:
    a = Accounts(connect(redis_server.url), prefix)
    a.add_user("sam", "supervisor", PASSWORD)
    a.add_user("a01", "agent", PASSWORD, team="North")
    return a


def closes_within(stream, seconds: float) -> float:
    """Read until the server ends the stream; how long that took (fails past ``seconds``)."""
    started = time.monotonic()
    with pytest.raises(ConnectionError):
        while time.monotonic() - started < seconds + 5:
            stream.next(seconds + 5)
    took = time.monotonic() - started
    assert took <= seconds, f"the stream stayed open {took:.2f} s after its credential ended"
    return took


@pytest.fixture
def app(redis_server, prefix, start_app, accounts):
    return start_app(redis_server.url, prefix)


def test_revoking_a_token_closes_its_open_streams(app, accounts, sse, redis_server, prefix) -> None:
    token = accounts.create_token("ops-script", "supervisor")
    streams = [sse(app.port, CONSOLE, extra_headers={"Authorization": f"Bearer {token}"})
               for _ in range(3)]  # fmt: skip
    other = sse(app.port, CONSOLE, extra_headers={
        "Authorization": f"Bearer {accounts.create_token('other', 'supervisor')}"})  # fmt: skip
    for s in [*streams, other]:
        s.next_of("snapshot")
    accounts.revoke_token(token.split("_")[1])
    for s in streams:
        closes_within(s, 2.0)
    # The others stay open: a new message still reaches them.
    Bus.from_url(redis_server.url, prefix).publish(make_envelope(
        "message", "m-after", {"text": "Still here", "expires_at": time.time() + 600},
        ts=time.time()))  # fmt: skip
    while "Still here" not in json.dumps(other.next_of("update", 5)):
        pass


@pytest.mark.parametrize("change", ["logout", "password", "removed"])
def test_a_session_ending_closes_its_open_streams(app, accounts, sse, change: str) -> None:
    sam = login(app.base, "sam")
    stream = sse(app.port, CONSOLE, extra_headers=cookie(sam))
    stream.next_of("snapshot")
    if change == "logout":
        csrf = sam.cookies["_csrf_token"]
        sam.post(f"{app.base}/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=5)
    elif change == "password":
        accounts.set_password("sam", "a brand new password")
    else:
        accounts.remove_user("sam")
    closes_within(stream, 2.0)
    again = sam.get(f"{app.base}{CONSOLE}", stream=True, timeout=5)  # the browser's reconnect
    assert again.status_code == 401


@pytest.mark.parametrize("how", ["store", "cli"])
def test_a_role_change_closes_the_users_open_streams(app, accounts, sse, how, redis_server) -> None:
    """An agent made viewer, or a supervisor made agent, must not keep what the old role saw."""
    sam = login(app.base, "sam")
    console = sse(app.port, CONSOLE, extra_headers=cookie(sam))
    console.next_of("snapshot")
    if how == "store":
        accounts.set_role("sam", "agent")
    else:
        env = {**os.environ, "REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(app.config)}
        done = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "user", "role", "sam", "agent"],
            env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    closes_within(console, 2.0)
    again = sam.get(f"{app.base}{CONSOLE}", stream=True, timeout=5)
    assert again.status_code == 403  # the same session, now an agent's: no console


# -- bodies over the limit ----------------------------------------------------------------------


def chunked_post(port: int, path: str, size: int, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST ``size`` bytes of JSON-ish text in 8 KB chunks, with no Content-Length."""
    piece = b" " * 8192
    chunks = [b"{"] + [piece] * (size // len(piece)) + [b"}"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_a_chunked_body_over_the_limit_is_refused_not_cut(app, accounts) -> None:
    """Chunked bodies used to be cut at the limit and parsed; now: 413, nothing written."""
    bus = Bus(accounts.client, accounts.prefix)
    token = accounts.create_token("ops", "supervisor")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seq = bus.current_seq()
    status, body = chunked_post(app.port, "/api/v1/messages", 200_000, headers)
    assert status == 413 and json.loads(body)["error"]["field"] == "body", body
    status, _ = chunked_post(app.port, "/api/v1/events", 64 * 1024 + 10, headers)
    assert status == 413
    status, _ = chunked_post(app.port, "/_dash-update-component", 2_000_000, headers)
    assert status == 413  # every route has a bound, Dash's callbacks too
    assert bus.current_seq() == seq
    small = json.dumps({"text": "fits", "expires_at": time.time() + 60}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("POST", "/api/v1/messages", body=iter([small]), headers=headers,
                 encode_chunked=True)  # fmt: skip
    assert conn.getresponse().status == 201  # a chunked body within the limit is fine
    conn.close()
