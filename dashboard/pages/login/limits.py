"""Sign-in rate limits: Flask-Limiter, counting in the app's own Redis (every worker and host
shares the counts), under the key prefix.

The limits, all moving windows (no burst allowed at a window's edge):

* :data:`PER_ADDRESS`: every sign-in attempt from one address. It bounds the password hashing
  one address can ask for, and is loose enough for a floor of agents behind one NAT address
  signing in together at the start of a shift.
* :data:`PER_NAME_AT_ADDRESS`: failed sign-ins for one username from one address: what a person
  who mistypes meets. Only failures count (``deduct_when``), so signing in never uses it up.
* :data:`PER_NAME`: failed sign-ins for one username from anywhere: bounds guessing spread
  over many addresses. One address can fail at most ``PER_NAME_AT_ADDRESS`` times a window,
  and with parallel attempts at most ``PER_ADDRESS`` a minute, far below it per hour: so no one
  address can lock a supervisor out, however long it tries.

The address is the peer's, or, from a trusted proxy (``[access] trusted_proxies``), the client
the proxy names (:attr:`flask.g.client_address`, set by :mod:`dashboard.auth.credentials`).
If Redis cannot be asked, sign-in is not limited: it cannot succeed without Redis anyway.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import flask
import redis
from flask import g, request
from flask_limiter import Limiter, RequestLimit

from feeds.bus.bus import CLUSTER_SCHEME

PER_ADDRESS = "30 per minute"
PER_NAME_AT_ADDRESS = "10 per 15 minutes"
PER_NAME = "200 per hour"
FAILED = 401  # the sign-in page's status for a wrong username or password

Page = Callable[[str, int], flask.Response]  # (error text, seconds to wait) → the 429 page


def storage(client: redis.Redis, prefix: str, url: str | None = None) -> dict[str, Any]:
    """Limiter settings for the app's Redis: the bus client's own connection pool (a direct,
    TLS or Sentinel connection, with its password), or for a cluster its URL."""
    options: dict[str, Any] = {"key_prefix": f"{prefix}limits"}
    if url is not None and url.startswith(CLUSTER_SCHEME):
        return {"storage_uri": url, "storage_options": options}
    options["connection_pool"] = client.connection_pool
    return {"storage_uri": "redis://", "storage_options": options}


def address() -> str:
    return g.get("client_address") or request.remote_addr or "-"


def username() -> str:
    return request.form.get("username", "")[:64] or "-"


def login_limits(server: flask.Flask, settings: dict[str, Any], page: Page) -> Callable:
    """The limiter for ``server``; returns the decorator for the sign-in view. ``page``
    renders the 429 answer, with ``Retry-After``."""
    limiter = Limiter(
        address, app=server, strategy="moving-window", swallow_errors=True, **settings
    )

    def breach(reason: str) -> Callable[[RequestLimit], flask.Response]:
        def respond(limit: RequestLimit) -> flask.Response:
            # (reset_at is rounded up to a whole second past the window: never say more.)
            left = math.ceil(limit.reset_at - time.time())
            wait = max(1, min(left, limit.limit.get_expiry()))
            response = page(f"{reason}: try again in {wait} s.", wait)
            response.headers["Retry-After"] = str(wait)
            return response

        return respond

    def failed(response: flask.Response) -> bool:
        return response.status_code == FAILED

    per_user = "Too many failed sign-ins for this user"
    limits = [
        limiter.limit(PER_ADDRESS, methods=["POST"], key_func=address,
                      on_breach=breach("Too many sign-in attempts from this address")),
        limiter.limit(PER_NAME_AT_ADDRESS, methods=["POST"], deduct_when=failed,
                      key_func=lambda: f"{username()}@{address()}", on_breach=breach(per_user)),
        limiter.limit(PER_NAME, methods=["POST"], deduct_when=failed, key_func=username,
                      on_breach=breach(per_user)),
    ]  # fmt: skip

    def decorate(view: Callable) -> Callable:
        for limit in limits:
            view = limit(view)
        return view

    return decorate
