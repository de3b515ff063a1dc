"""``/login`` and ``/logout``: signing in with a password, and out everywhere (the page is
:mod:`dashboard.pages.login.page`; who may do what is :mod:`dashboard.auth`).

Failed logins are slowed (a fixed delay each) and rate-limited per address and per username in
Redis, shared by all workers (:mod:`.limits`). ``?next=`` only ever leads to a path on this site
(no open redirect).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import flask
import redis
from flask import request, session

from dashboard.auth.access import landing
from dashboard.auth.credentials import user_principal
from dashboard.auth.csrf import CSRF_FIELD, Csrf, same
from dashboard.auth.principal import current_principal
from dashboard.auth.sessions import USER_IDLE_SECONDS, csrf_token, start_session
from dashboard.limits import RateLimits
from dashboard.pages.login.limits import FAILED, login_limits
from dashboard.pages.login.page import login_page
from feeds.accounts.store import Accounts

log = logging.getLogger(__name__)

FAILED_LOGIN_DELAY = 0.2  # seconds; cooperative under gevent, so it only slows the guesser


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site, else None: no open redirect via ``?next=``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None  # browsers read "/\\evil.example" as "//evil.example"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc else value


class Login:
    """The sign-in and sign-out views of one account store."""

    def __init__(self, accounts: Accounts, csrf: Csrf) -> None:
        self.accounts = accounts
        self.csrf = csrf

    def _page(
        self, *, error: str = "", status: int = 200, username: str = "", target: str | None = None
    ) -> flask.Response:
        return login_page(
            error=error,
            status=status,
            principal=current_principal(),
            username=username,
            csrf=csrf_token(),  # the pre-login token that the form carries back
            target=target or "/",
            action=flask.url_for("fb_auth.login", **({"next": target} if target else {})),
            logout=flask.url_for("fb_auth.logout"),
        )

    def login(self) -> flask.Response:
        target = safe_next(request.values.get("next"))
        if request.method == "GET":
            return self._page(target=target)
        if not same(request.form.get(CSRF_FIELD), session.get("csrf")):
            return self._page(error="The form had expired: please sign in again.", status=403)
        name = request.form.get("username", "")
        try:
            user = self.accounts.verify_password(name, request.form.get("password", ""))
            if user is None:
                time.sleep(FAILED_LOGIN_DELAY)
                error = "Wrong username or password."
                return self._page(error=error, status=FAILED, username=name, target=target)
            record = {"kind": "user", "name": user.name, "since": user.password_set}
            start_session(self.accounts, record, USER_IDLE_SECONDS)
        except redis.RedisError as exc:
            log.warning("cannot check a login: %s", exc)
            return self._page(error="Sign-in is unavailable right now.", status=503)
        return flask.redirect(target or landing(user_principal(user, "session")), 303)

    def limited(self, error: str, wait: int) -> flask.Response:
        """The 429 answer of a sign-in over a rate limit (:mod:`.limits` adds Retry-After)."""
        target = safe_next(request.values.get("next"))
        name = request.form.get("username", "")
        return self._page(error=error, status=429, username=name, target=target)

    def logout(self) -> flask.Response:
        """End the session everywhere (its Redis record goes), not only in this browser."""
        sid = session.get("sid")
        if sid:
            try:
                self.accounts.close_session(sid)
            except redis.RedisError as exc:
                log.warning("cannot end a session in Redis (it expires by itself): %s", exc)
        session.clear()
        response = flask.redirect(flask.url_for("fb_auth.login"), 303)
        self.csrf.forget_cookie(response)
        return response


def register(
    server: flask.Flask,
    accounts: Accounts,
    csrf: Csrf,
    redis_url: str | None = None,
    limits: RateLimits | None = None,
) -> None:
    """Add ``/login`` (GET shows the form, POST signs in, rate-limited by the app's ``limits``,
    else by a limiter of its own in the accounts' Redis; ``redis_url``: that Redis's URL,
    needed for a cluster) and ``/logout`` (POST)."""
    views = Login(accounts, csrf)
    if limits is None:
        limits = RateLimits(server, accounts.client, accounts.prefix, redis_url)
    limited = login_limits(limits, views.limited)
    bp = flask.Blueprint("fb_auth", __name__)
    bp.add_url_rule("/login", view_func=limited(views.login), methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
    server.register_blueprint(bp)
