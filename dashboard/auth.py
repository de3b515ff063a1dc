"""Who is asking, and may they: principals, roles, browser login, CSRF and closed wall screens.

A request is authenticated by an API token (``Authorization: Bearer fb_…``, for scripts and
feeds) or by the session cookie a browser gets from ``/login``. The cookie is Flask's signed
session holding only a random session id (the session itself is in Redis, so logging out,
removing a user or changing a password ends it on every worker) and the session's CSRF token.

CSRF: a cookie is sent by the browser whatever page made the request, so a state-changing
request authenticated by the cookie must also prove it came from our own pages, by sending the
session's CSRF token in ``X-CSRFToken`` (or a form's ``csrf_token`` field). The token is also
in the readable ``_csrf_token`` cookie, which Dash's renderer copies into exactly that header on
every callback POST, so Dash callbacks are covered without any code in the pages. Token
requests need no CSRF check: a browser never adds an ``Authorization`` header by itself.

Failed logins are slowed (a fixed delay each) and counted per username in Redis, shared by all
workers: five in a row lock that username for five minutes.

Single sign-on (optional, ``[access] trusted_user_header``): a reverse proxy that has
authenticated the user names them in a header, and the user must exist in the account store
(which gives the role, agent id and team). The header is believed only on connections from
``trusted_proxies``, since anyone can send it; from anywhere else it is ignored. A browser
sends proxy credentials by itself, like a cookie, so such requests need the CSRF token too
(the CSRF cookie is given to them as to logged-in sessions).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
import redis
from flask import g, request, session

from dashboard.pages.login.page import login_page
from feeds.accounts.store import NAME_RE, ROLES, Accounts, User
from feeds.bus.embedded import DEFAULT_STATE_DIR

log = logging.getLogger(__name__)

# Each role may do what the roles below it may: admin > supervisor > agent > viewer.
RANK = {"viewer": 0, "agent": 1, "supervisor": 2, "admin": 3}

CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads
CSRF_HEADER = "X-CSRFToken"  # the header Dash's renderer sends
CSRF_FIELD = "csrf_token"  # for plain HTML forms
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BROWSER_VIAS = frozenset({"session", "proxy"})  # credentials a browser sends by itself: CSRF
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

USER_IDLE_SECONDS = 12 * 3600  # a login lasts a shift without use
WALL_IDLE_SECONDS = 30 * 86400  # a wall screen's stream may stay connected for weeks
LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 300
FAILED_LOGIN_DELAY = 0.2  # seconds; cooperative under gevent, so it only slows the guesser
UNAVAILABLE = "the account store is unavailable"
MIN_SECRET_KEY = 32


@dataclass(frozen=True)
class Principal:
    """Who is making the request: a logged-in user or an API token."""

    name: str  # username, or token label
    role: str  # one of ROLES
    via: str  # "session" (cookie) or "proxy" (SSO header): CSRF applies; or "token"
    agent_id: str | None = None  # for role agent: the agent they are
    team: str | None = None


def has_role(principal: Principal | None, *roles: str) -> bool:
    """Whether the principal passes a check for any of ``roles`` (higher roles pass lower)."""
    return principal is not None and any(RANK[principal.role] >= RANK[r] for r in roles)


def current_principal() -> Principal | None:
    """The principal of the current request (set before every request), or None."""
    return g.get("principal")


def _error(status: int, field: str, reason: str) -> flask.Response:
    response = flask.jsonify(error={"field": field, "reason": reason})
    response.status_code = status
    return response


def _unauthenticated() -> flask.Response:
    """401 (or 503 when the account store could not be asked) for a request without principal."""
    problem = g.get("auth_problem")
    if problem == UNAVAILABLE:
        return _error(503, "authorization", UNAVAILABLE)
    response = _error(401, "authorization", problem or "log in or send an API token")
    response.headers["WWW-Authenticate"] = 'Bearer realm="floorboard"'
    return response


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for Flask views: 401 without a principal, 403 when no role of ``roles`` passes."""
    if not roles or any(r not in RANK for r in roles):
        raise ValueError(f"require_role: roles must be among {', '.join(ROLES)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                return _unauthenticated()
            if not has_role(principal, *roles):
                needs = " or ".join(roles)
                return _error(
                    403, "authorization", f"role {principal.role} cannot do this: needs {needs}"
                )
            return view(*args, **kwargs)

        return guarded

    return decorate


def _same(sent: str | None, expected: str | None) -> bool:
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site, else None: no open redirect via ``?next=``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None  # browsers read "/\\evil.example" as "//evil.example"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc else value


def _landing(user: User) -> str:
    """Where a user goes after logging in when no page asked for the login."""
    if user.role == "agent":
        return f"/agent/{user.agent_id}"
    return "/supervisor" if RANK[user.role] >= RANK["supervisor"] else "/"


class _Auth:
    """The request hooks and the login views, bound to one account store and its settings."""

    def __init__(
        self,
        accounts: Accounts,
        *,
        cookie_secure: bool,
        trusted_user_header: str = "",
        trusted_proxies: Iterable[str] = (),
    ) -> None:
        self.accounts = accounts
        self.cookie_secure = cookie_secure
        self.trusted_user_header = trusted_user_header
        self.trusted_proxies = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    # -- who is asking ----------------------------------------------------------------------

    def resolve(self) -> None:
        """Set ``g.principal`` from the bearer token, else from a trusted proxy's user header,
        else from the session cookie."""
        g.principal = None
        try:
            proxied = self._proxied_user()
            if "Authorization" in request.headers:
                g.principal = self._from_header(request.headers["Authorization"])
            elif proxied is not None:
                g.principal = self._from_proxy(proxied)
            elif session.get("sid"):
                g.principal = self._from_session(session["sid"], session.get("idle", 0))
        except redis.RedisError as exc:
            log.warning("cannot check credentials: %s", exc)
            g.auth_problem = UNAVAILABLE

    def _from_header(self, header: str) -> Principal | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            g.auth_problem = "Authorization must be 'Bearer <token>'"
            return None
        token = self.accounts.verify_token(value.strip())
        if token is None:
            g.auth_problem = "invalid or revoked token"
            return None
        return Principal(token.label, token.role, "token")

    def _proxied_user(self) -> str | None:
        """The user named by a trusted proxy: None when SSO is off, the header is absent, or the
        request did not come from a trusted proxy (then the header is anyone's claim)."""
        if not self.trusted_user_header:
            return None
        name = request.headers.get(self.trusted_user_header)
        if not name:
            return None
        try:
            peer = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return None
        peer = getattr(peer, "ipv4_mapped", None) or peer
        return name if any(peer in net for net in self.trusted_proxies) else None

    def _from_proxy(self, name: str) -> Principal | None:
        user = self.accounts.get_user(name) if NAME_RE.match(name) else None
        if user is None:
            g.auth_problem = "the signed-on user has no Floorboard account"
            return None
        if not session.get("csrf"):
            session["csrf"] = secrets.token_urlsafe(32)
        return Principal(user.name, user.role, "proxy", user.agent_id, user.team)

    def _from_session(self, sid: str, idle: int) -> Principal | None:
        record = self.accounts.session(sid, idle or USER_IDLE_SECONDS)
        principal = None
        if record and record.get("kind") == "user":
            user = self.accounts.get_user(record["name"])
            if user and user.password_set == record.get("since"):
                principal = Principal(user.name, user.role, "session", user.agent_id, user.team)
        elif record and record.get("kind") == "token":
            token = self.accounts.get_token(record["token"])
            if token:
                principal = Principal(token.label, token.role, "session")
        if principal is None:
            session.pop("sid", None)  # expired, logged out elsewhere, user removed, token revoked
        return principal

    def _start_session(self, record: Mapping[str, Any], idle: int) -> None:
        """A fresh session (new id, new CSRF token: nothing carries over from before login)."""
        sid = self.accounts.open_session(record, idle)
        session.clear()
        session.update(sid=sid, idle=idle, csrf=secrets.token_urlsafe(32))
        session.permanent = True

    # -- CSRF -------------------------------------------------------------------------------

    def check_csrf(self) -> flask.Response | None:
        principal = current_principal()
        if request.method not in UNSAFE_METHODS or principal is None:
            return None
        if principal.via not in BROWSER_VIAS:
            return None
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.mimetype in FORM_TYPES:
            sent = request.form.get(CSRF_FIELD)
        if not _same(sent, session.get("csrf")):
            return _error(403, CSRF_HEADER, "missing or wrong CSRF token")
        return None

    def sync_csrf_cookie(self, response: flask.Response) -> flask.Response:
        """Keep the readable CSRF cookie equal to the session's token while logged in."""
        principal = current_principal()
        signed_on = session.get("sid") or (principal is not None and principal.via == "proxy")
        token = session.get("csrf") if signed_on else None
        if token and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(
                CSRF_COOKIE,
                token,
                max_age=WALL_IDLE_SECONDS,
                secure=self.cookie_secure,
                httponly=False,  # the page's script must read it to send it back
                samesite="Strict",
            )
        return response

    # -- wall screens -----------------------------------------------------------------------

    def guard_walls(self) -> flask.Response | None:
        """With closed walls: wall pages and streams need a principal; a viewer token in the URL
        gives the browser a session, and the page is reloaded without the token in its address
        (so it does not linger in history, screenshots or Referer headers)."""
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
                return _unauthenticated()
            return flask.redirect(
                flask.url_for("fb_auth.login", next=request.full_path.rstrip("?"))
            )
        try:
            token = self.accounts.verify_token(plaintext)
            if token is None:
                return _error(401, "token", "invalid or revoked token")
            if token.role != "viewer":
                return _error(403, "token", "only viewer tokens may be given in a URL")
            g.principal = Principal(token.label, token.role, "token")
            if stream:
                return None
            self._start_session({"kind": "token", "token": token.id}, WALL_IDLE_SECONDS)
        except redis.RedisError as exc:
            log.warning("cannot check a wall token: %s", exc)
            return _error(503, "authorization", UNAVAILABLE)
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        return flask.redirect(path + (f"?{urlencode(rest)}" if rest else ""), 303)

    # -- login and logout -------------------------------------------------------------------

    def _page(
        self, *, error: str = "", status: int = 200, username: str = "", target: str | None = None
    ) -> flask.Response:
        if not session.get("csrf"):  # the pre-login token that the form carries back
            session["csrf"] = secrets.token_urlsafe(32)
        return login_page(
            error=error,
            status=status,
            principal=current_principal(),
            username=username,
            csrf=session["csrf"],
            target=target or "/",
            action=flask.url_for("fb_auth.login", **({"next": target} if target else {})),
            logout=flask.url_for("fb_auth.logout"),
        )

    def login(self) -> flask.Response:
        target = safe_next(request.values.get("next"))
        if request.method == "GET":
            return self._page(target=target)
        if not _same(request.form.get(CSRF_FIELD), session.get("csrf")):
            return self._page(error="The form had expired: please sign in again.", status=403)
        name = request.form.get("username", "")
        countable = bool(NAME_RE.match(name))  # other names can never log in: nothing to count
        try:
            failures, left = self.accounts.login_failures(name) if countable else (0, 0)
            if failures >= LOCKOUT_FAILURES:
                return self._locked(name, left, target)
            user = self.accounts.verify_password(name, request.form.get("password", ""))
            if user is None:
                time.sleep(FAILED_LOGIN_DELAY)
                if countable and (
                    self.accounts.record_login_failure(name, LOCKOUT_SECONDS) >= LOCKOUT_FAILURES
                ):
                    return self._locked(name, LOCKOUT_SECONDS, target)
                error = "Wrong username or password."
                return self._page(error=error, status=401, username=name, target=target)
            self.accounts.clear_login_failures(name)
            record = {"kind": "user", "name": user.name, "since": user.password_set}
            self._start_session(record, USER_IDLE_SECONDS)
        except redis.RedisError as exc:
            log.warning("cannot check a login: %s", exc)
            return self._page(error="Sign-in is unavailable right now.", status=503)
        return flask.redirect(target or _landing(user), 303)

    def _locked(self, name: str, left: int, target: str | None) -> flask.Response:
        error = f"Too many failed sign-ins for this user: try again in {left} s."
        response = self._page(error=error, status=429, username=name, target=target)
        response.headers["Retry-After"] = str(left)
        return response

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
        response.delete_cookie(CSRF_COOKIE, secure=self.cookie_secure, samesite="Strict")
        return response


def init_auth(
    server: flask.Flask,
    accounts: Accounts,
    *,
    secret_key: str,
    walls_open: bool = True,
    cookie_secure: bool = False,
    trusted_user_header: str = "",
    trusted_proxies: Iterable[str] = (),
) -> None:
    """Install session settings, ``/login`` and ``/logout``, principal resolution before every
    request, CSRF checks and (when ``walls_open`` is False) the wall-screen guard.

    ``trusted_user_header``: the single sign-on header, believed only from ``trusted_proxies``
    (addresses or networks); empty: no single sign-on."""
    server.secret_key = secret_key
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # sent on top-level navigation to us, not on embeds
        SESSION_COOKIE_SECURE=cookie_secure,
        # The cookie's outer bound; each session's real (idle) life is kept in Redis.
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=WALL_IDLE_SECONDS),
    )
    auth = _Auth(
        accounts,
        cookie_secure=cookie_secure,
        trusted_user_header=trusted_user_header,
        trusted_proxies=trusted_proxies,
    )
    server.before_request(auth.resolve)
    server.before_request(auth.check_csrf)
    if not walls_open:
        server.before_request(auth.guard_walls)
    server.after_request(auth.sync_csrf_cookie)
    bp = flask.Blueprint("fb_auth", __name__)
    bp.add_url_rule("/login", view_func=auth.login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=auth.logout, methods=["POST"])
    server.register_blueprint(bp)


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
