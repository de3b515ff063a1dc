"""The polling baseline for ``scripts/bench.py``: how a Dash app is usually made "live".

A minimal Dash page with ``dcc.Interval(interval=1000)`` whose callback returns the latest
billing tile, read from the same Redis state hash the bus writes (``fb:state:queue`` field
``billing``): one small Redis read per poll. It exists so the push path is compared with the
approach a Dash developer would reach for, measured in the same run on the same machine. No
cache sits in front of the read: a 1 s cache would make a value up to a second older than the
poll that shows it, doubling the poll's latency, and the benchmark would flatter push.

Served by gunicorn with gevent workers like the push app::

    REDIS_URL=redis://... gunicorn -k gevent --chdir scripts poll_baseline:server
"""

from __future__ import annotations

import json
import os

import redis
from dash import Dash, Input, Output, dcc, html

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
STATE_KEY = os.environ.get("FLOORBOARD_PREFIX", "fb:") + "state:queue"

app = Dash(__name__, title="Polling baseline")
server = app.server
# redis-py's pools stop at 100 connections and then raise "Too many connections"; under gevent
# every concurrent poll holds one, so the default fails from ~1,000 pollers. The limit is
# raised (Redis allows 10,000 clients) so the baseline is measured working, not erroring.
store = redis.Redis.from_url(REDIS_URL, max_connections=10_000)

app.layout = html.Div(
    [
        html.H1("Billing"),
        html.Div("—", id="billing-waiting"),
        html.Div("—", id="billing-offered"),
        dcc.Interval(id="tick", interval=1000),
    ]
)


def latest_tile() -> dict:
    """The billing tile as the bus last wrote it."""
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
