"""Wires Floorboard together: config, bus, hub, stream routes and the Dash pages.

``app`` is the Dash app and ``server`` its Flask server (for gunicorn: ``app:server``). The
Redis URL comes from ``REDIS_URL``; ``floorboard serve`` starts an embedded Redis and sets it
when it is unset. Nothing here holds logic: it only connects the parts.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from flask_caching import Cache

from dashboard import api
from dashboard.auth import init_auth, load_secret_key
from dashboard.live.hub import Hub
from dashboard.live.stream import blueprint
from dashboard.live.views import view_for
from dashboard.pages import index as pages
from dashboard.pages.assets import PagesDash
from dashboard.pages.console.model import Roster
from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.config import load_config
from feeds.customers.history import CustomerHistory, HistoryCache
from feeds.notices.messages import Messages

# Forked workers have hit a half-imported numpy inside plotly when orjson is installed: import
# numpy (when present) up front, before any worker serves a request.
if importlib.util.find_spec("numpy"):
    importlib.import_module("numpy")

config = load_config()
bus = Bus.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    config.redis.prefix,
    config.moments.history_days,
)
hub = Hub(bus, stall_seconds=config.stream.stall_seconds)
accounts = Accounts(bus.client, config.redis.prefix)

app = PagesDash(
    __name__,
    title=config.centre.name,
    use_pages=True,
    pages_folder="",
    assets_folder=str(Path(__file__).with_name("assets")),
    update_title=None,
    # Dash would build one "validation layout" from every page's layout as the first request
    # sees it, and send it to every browser. The console's layout depends on who asks (only a
    # sign-in prompt for anyone but a supervisor), so that layout would miss the console's ids
    # and log errors on every page; and it must not reach other browsers anyway.
    suppress_callback_exceptions=True,
)
server = app.server
init_auth(
    server,
    accounts,
    secret_key=load_secret_key(),
    walls_open=config.access.walls == "open",
    cookie_secure=config.access.session_cookie_secure,
    trusted_user_header=config.access.trusted_user_header,
    trusted_proxies=config.access.trusted_proxies,
)
roster = Roster(lambda: Messages(bus, config).agents(bus.client))
history = HistoryCache(CustomerHistory(bus.client, config.redis.prefix))
# Snapshots shared between processes for a second: the bus's own Redis client (Sentinel-aware).
snapshot_cache = Cache(
    server,
    config={
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_HOST": bus.client,
        "CACHE_KEY_PREFIX": f"{config.redis.prefix}cache:",
    },
)
server.register_blueprint(
    blueprint(
        hub,
        lambda view, params: view_for(config, view, params, roster, history),
        coalesce_ms=config.stream.coalesce_ms,
        cache=snapshot_cache,
    )
)
server.register_blueprint(api.blueprint(bus, config))
pages.register(app, config, bus)
# Finish Dash's lazy server setup now, before any request: requests racing it on a fresh worker
# got 500s for the JS bundles (plotly/dash#3971).
app._setup_server()
