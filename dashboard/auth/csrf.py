"""CSRF: a state-changing request that the browser authenticated by itself must prove it came
from our own pages.

A cookie (or a proxy's single sign-on) is sent by the browser whatever page made the request,
so such a request must also send the session's CSRF token in ``X-CSRFToken`` (or a form's
``csrf_token`` field). The token is also in the readable ``_csrf_token`` cookie, which Dash's
renderer copies into exactly that header on every callback POST, so Dash callbacks are covered
without any code in the pages. Token requests need no check: a browser never adds an
``Authorization`` header by itself.
"""

from __future__ import annotations

import hmac

import flask
from flask import request, session

from dashboard.auth.principal import current_principal
from dashboard.auth.sessions import WALL_IDLE_SECONDS
from dashboard.errors import error_response

CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads
CSRF_HEADER = "X-CSRFToken"  # the header Dash's renderer sends
CSRF_FIELD = "csrf_token"  # for plain HTML forms
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BROWSER_VIAS = frozenset({"session", "proxy"})  # credentials a browser sends by itself
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def same(sent: str | None, expected: str | None) -> bool:
    """Whether a sent token is the expected one, in constant time."""
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())


class Csrf:
    """The check before each request and the cookie after it."""

    def __init__(self, cookie_secure: bool) -> None:
        self.cookie_secure = cookie_secure

    def check(self) -> flask.Response | None:
        principal = current_principal()
        if request.method not in UNSAFE_METHODS or principal is None:
            return None
        if principal.via not in BROWSER_VIAS:
            return None
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.mimetype in FORM_TYPES:
            sent = request.form.get(CSRF_FIELD)
        if not same(sent, session.get("csrf")):
            return error_response(403, CSRF_HEADER, "missing or wrong CSRF token")
        return None

    def sync_cookie(self, response: flask.Response) -> flask.Response:
        """Keep the readable CSRF cookie equal to the session's token while signed on."""
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

    def forget_cookie(self, response: flask.Response) -> None:
        response.delete_cookie(CSRF_COOKIE, secure=self.cookie_secure, samesite="Strict")
