"""Who is asking, and may they.

- :mod:`.principal`: the principal of a request (who, what role, which agent, how the audit
  log names them);
- :mod:`.access`: the one place that decides what a principal may see and do (roles, whose
  agent tab), used by pages, streams and the API alike;
- :mod:`.credentials`: the principal from an API token, a trusted proxy's header or the
  session cookie, before every request;
- :mod:`.csrf`: the CSRF check of requests a browser authenticates by itself;
- :mod:`.sessions`: browser sessions and the key that signs them;
- :mod:`.walls`: closed wall screens, opened by a viewer login or a viewer token in the URL.

The sign-in page and its views are a page like the others: :mod:`dashboard.pages.login`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import flask

from dashboard.auth.credentials import Credentials
from dashboard.auth.csrf import Csrf
from dashboard.auth.sessions import WALL_IDLE_SECONDS
from dashboard.auth.walls import WallGuard
from feeds.accounts.store import Accounts


def init_auth(
    server: flask.Flask,
    accounts: Accounts,
    *,
    secret_key: str,
    walls_open: bool = True,
    cookie_secure: bool = False,
    trusted_user_header: str = "",
    trusted_proxies: Iterable[str] = (),
) -> Csrf:
    """Install session settings, principal resolution before every request, CSRF checks and
    (when ``walls_open`` is False) the wall-screen guard; returns the CSRF policy, which the
    sign-in views share (:func:`dashboard.pages.login.register`).

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
    csrf = Csrf(cookie_secure)
    server.before_request(Credentials(accounts, trusted_user_header, trusted_proxies).resolve)
    server.before_request(csrf.check)
    if not walls_open:
        server.before_request(WallGuard(accounts).guard)
    server.after_request(csrf.sync_cookie)
    return csrf
