"""Rate limits, one home: one Flask-Limiter per app, counting in the app's own Redis (every
worker and host shares the counts), under the key prefix.

Each limited door declares its limits here (:meth:`RateLimits.limit`): sign-in
(:mod:`dashboard.pages.login.limits`, per address and per username) and ingest
(:mod:`dashboard.api.events`, per token). Every breach goes through :meth:`RateLimits.breach`:
the answer is the door's own (the sign-in page, or the API's JSON error) with a 429 status and
``Retry-After``, and each function in :attr:`RateLimits.listeners` hears of it, which is where
operations count refusals (``/metrics``) without touching the doors.

All limits are moving windows (no burst allowed at a window's edge). If Redis cannot be asked,
nothing is limited (``swallow_errors``): sign-in and ingest cannot succeed without Redis anyway.
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

# (error text, seconds to wait) → the door's 429 answer; the limiter adds Retry-After.
Respond = Callable[[str, int], flask.Response]
# (limit's name, the key it counts, e.g. "ingest", "token: acd") → anything: a counter.
Listener = Callable[[str, str], None]


def storage(client: redis.Redis, prefix: str, url: str | None = None) -> dict[str, Any]:
    """Limiter settings for the app's Redis: the bus client's own connection pool (a direct,
    TLS or Sentinel connection, with its password), or for a cluster its URL."""
    options: dict[str, Any] = {"key_prefix": f"{prefix}limits"}
    if url is not None and url.startswith(CLUSTER_SCHEME):
        return {"storage_uri": url, "storage_options": options}
    options["connection_pool"] = client.connection_pool
    return {"storage_uri": "redis://", "storage_options": options}


def address() -> str:
    """The client's address: the peer's, or from a trusted proxy the client it names
    (:attr:`flask.g.client_address`, set by :mod:`dashboard.auth.credentials`)."""
    return g.get("client_address") or request.remote_addr or "-"


def seconds_to_wait(limit: RequestLimit) -> int:
    """Whole seconds until the limit lets the next request through (at least 1; reset_at is
    rounded up to a whole second past the window: never say more than the window)."""
    left = math.ceil(limit.reset_at - time.time())
    return max(1, min(left, limit.limit.get_expiry()))


class RateLimits:
    """The app's one limiter and the limits declared on it."""

    def __init__(self, server: flask.Flask, client: redis.Redis, prefix: str,
                 url: str | None = None) -> None:  # fmt: skip
        self.limiter = Limiter(
            address, app=server, strategy="moving-window", swallow_errors=True,
            **storage(client, prefix, url),
        )  # fmt: skip
        self.listeners: list[Listener] = []

    def limit(self, name: str, value: str | Callable[[], str], key: Callable[[], str],
              reason: str, respond: Respond, *, shared: bool = False,
              **options: Any) -> Callable:  # fmt: skip
        """A decorator limiting a view to ``value`` (Flask-Limiter's notation: "30 per
        minute", several joined by ";") per ``key``; a breach answers ``respond("<reason>:
        try again in N s.", N)`` with ``Retry-After: N``. ``name`` is what listeners hear;
        ``shared``: every view it decorates counts against one limit (scope ``name``)."""
        on_breach = self.breach(name, key, reason, respond)
        if shared:
            return self.limiter.shared_limit(
                value, name, key_func=key, on_breach=on_breach, **options
            )
        return self.limiter.limit(value, key_func=key, on_breach=on_breach, **options)

    def breach(self, name: str, key: Callable[[], str], reason: str,
               respond: Respond) -> Callable[[RequestLimit], flask.Response]:  # fmt: skip
        def answer(limit: RequestLimit) -> flask.Response:
            wait = seconds_to_wait(limit)
            for listener in self.listeners:
                listener(name, key())
            response = respond(f"{reason}: try again in {wait} s.", wait)
            response.headers["Retry-After"] = str(wait)
            return response

        return answer
