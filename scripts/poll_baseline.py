"""The polling baseline for ``scripts/bench.py``: how a Dash app is usually made "live".

A minimal Dash page with ``dcc.Interval(interval=1000)`` whose callback returns the latest
billing tile, read from the same Redis state hash the bus writes (``fb:state:queue`` field
``billing``) and memoised with flask-caching, as the Dash documentation teaches for sharing
expensive data between callbacks. It exists so the push path is compared with the approach a
Dash developer would reach for, measured in the same run on the same machine, not with a straw
man: one cached Redis read per second per worker, however many browsers poll.

Served by gunicorn with gevent workers like the push app::

    REDIS_URL=redis://... gunicorn -k gevent --chdir scripts poll_baseline:server
"""

from __future__ import annotations

import json
import os

import redis
from dash import Dash, Input, Output, dcc, html
from flask_caching import Cache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
STATE_KEY = os.environ.get("FLOORBOARD_PREFIX", "fb:") + "state:queue"

app = Dash(__name__, title="Polling baseline")
server = app.server
# redis-py's pools stop at 100 connections and then raise "Too many connections"; under gevent
# every concurrent poll holds one, so the documented config fails from ~1,000 pollers. The limit
# is raised (Redis allows 10,000 clients) so the baseline is measured working, not erroring.
POOL = {"max_connections": 10_000}
cache = Cache(
    server,
    config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": REDIS_URL, "CACHE_OPTIONS": POOL},
)
store = redis.Redis.from_url(REDIS_URL, **POOL)

app.layout = html.Div(
    [
        html.H1("Billing"),
        html.Div("—", id="billing-waiting"),
        html.Div("—", id="billing-offered"),
        dcc.Interval(id="tick", interval=1000),
    ]
)


@cache.memoize(timeout=1)
def latest_tile() -> dict:
    """The billing tile as the bus last wrote it; memoised so N pollers cost one read a second."""
    raw = store.hget(STATE_KEY, "billing")
    return json.loads(raw)["data"] if raw else {}


@app.callback(
    Output("billing-waiting", "children"),
    Output("billing-offered", "children"),
    Input("tick", "n_intervals"),
)
def refresh(_n: int | None) -> tuple[str, str]:
    tile = latest_tile()
    return str(tile.get("waiting", "—")), str(tile.get("offered", "—"))
