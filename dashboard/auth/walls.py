"""Closed wall screens (``[access] walls = "token"``): wall pages and streams need a principal.

A viewer token in the URL (``/wall/main?token=fb_…``, for a wall PC that nobody signs in on)
gives the browser a session, and the page is reloaded without the token in its address, so the
token does not linger in history, screenshots or Referer headers.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import flask
import redis
from flask import g, request

from dashboard.auth.access import UNAVAILABLE, unauthenticated
from dashboard.auth.principal import Principal, current_principal
from dashboard.auth.sessions import WALL_IDLE_SECONDS, login_url, start_session
from dashboard.errors import error_response
from feeds.accounts.sessions import Credential
from feeds.accounts.store import Accounts

log = logging.getLogger(__name__)


class WallGuard:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def guard(self) -> flask.Response | None:
        """Before-request hook for wall pages, their streams and their snapshots."""
        path = request.path
        # The snapshot route serves what the stream's first event does: the same rules.
        stream = path in ("/stream", "/api/v1/snapshot") and request.args.get("view") == "wall"
        if not (stream or path == "/wall" or path.startswith("/wall/")):
            return None
        if current_principal() is not None:
            return None  # every role may watch a wall
        plaintext = request.args.get("token")
        if not plaintext:
            if stream or g.get("auth_problem") == UNAVAILABLE:
                return unauthenticated()
            return flask.redirect(login_url(request.full_path.rstrip("?")))
        try:
            token = self.accounts.verify_token(plaintext)
            if token is None:
                return error_response(401, "token", "invalid or revoked token")
            if token.role != "viewer":
                return error_response(403, "token", "only viewer tokens may be given in a URL")
            g.principal = Principal(token.label, token.role, "token")
            if stream:
                g.credential = Credential("token", token.id)
                return None
            start_session(self.accounts, {"kind": "token", "token": token.id}, WALL_IDLE_SECONDS)
        except redis.RedisError as exc:
            log.warning("cannot check a wall token: %s", exc)
            return error_response(503, "authorization", UNAVAILABLE)
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        return flask.redirect(path + (f"?{urlencode(rest)}" if rest else ""), 303)
