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

The limiter, the address and the 429 answer's ``Retry-After`` are the app's one home for rate
limits, :mod:`dashboard.limits`.
"""

from __future__ import annotations

from collections.abc import Callable

import flask
from flask import request

from dashboard.limits import RateLimits, Respond, address

PER_ADDRESS = "30 per minute"
PER_NAME_AT_ADDRESS = "10 per 15 minutes"
PER_NAME = "200 per hour"
FAILED = 401  # the sign-in page's status for a wrong username or password


def username() -> str:
    return request.form.get("username", "")[:64] or "-"


def login_limits(limits: RateLimits, page: Respond) -> Callable:
    """The decorator for the sign-in view; ``page`` renders the 429 answer."""

    def failed(response: flask.Response) -> bool:
        return response.status_code == FAILED

    per_user = "Too many failed sign-ins for this user"
    applied = [
        limits.limit("sign-in address", PER_ADDRESS, address,
                     "Too many sign-in attempts from this address", page, methods=["POST"]),
        limits.limit("sign-in user at address", PER_NAME_AT_ADDRESS,
                     lambda: f"{username()}@{address()}", per_user, page, methods=["POST"],
                     deduct_when=failed),
        limits.limit("sign-in user", PER_NAME, username, per_user, page, methods=["POST"],
                     deduct_when=failed),
    ]  # fmt: skip

    def decorate(view: Callable) -> Callable:
        for limit in applied:
            view = limit(view)
        return view

    return decorate
