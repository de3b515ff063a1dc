"""Browser sessions: how long they last, and how one starts.

A session starts with a new id and a new CSRF token (nothing carries over from before sign-in,
so a planted cookie cannot ride a login). The id is the cookie's only secret; what it stands
for lives in Redis (:class:`feeds.accounts.store.Accounts`), so it ends everywhere at once.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import session

from feeds.accounts.store import Accounts
from feeds.bus.embedded import DEFAULT_STATE_DIR

USER_IDLE_SECONDS = 12 * 3600  # a login lasts a shift without use
WALL_IDLE_SECONDS = 30 * 86400  # a wall screen's stream may stay connected for weeks
MIN_SECRET_KEY = 32
LOGIN_PATH = "/login"  # where a browser without a session is sent


def login_url(next_path: str) -> str:
    """The sign-in page, and the page to return to after it."""
    return f"{LOGIN_PATH}?{urlencode({'next': next_path}, safe='/')}"


def start_session(accounts: Accounts, record: Mapping[str, Any], idle: int) -> None:
    """Open a session for ``record`` (a user or a viewer token) in Redis and in the cookie."""
    sid = accounts.open_session(record, idle)
    session.clear()
    session.update(sid=sid, idle=idle, csrf=secrets.token_urlsafe(32))
    session.permanent = True


def csrf_token() -> str:
    """The session's CSRF token, made now if it has none (a sign-in form carries it back)."""
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def load_secret_key(state_dir: str | os.PathLike[str] | None = None) -> str:
    """``FLOORBOARD_SECRET_KEY``, else a key made once and kept in ``<state dir>/secret_key``
    (mode 0600), so every worker and every restart signs sessions with the same key."""
    key = os.environ.get("FLOORBOARD_SECRET_KEY")
    if key is not None:
        if len(key) < MIN_SECRET_KEY:
            raise ValueError(f"FLOORBOARD_SECRET_KEY: must be at least {MIN_SECRET_KEY} characters")
        return key
    directory = Path(state_dir or os.environ.get("FLOORBOARD_STATE_DIR") or DEFAULT_STATE_DIR)
    path = directory / "secret_key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: workers starting together
        # never read half a key, and the first link wins.
        tmp = directory / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
