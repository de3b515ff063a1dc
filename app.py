"""The composition root: ``create_app(config)`` wires the data side to the app side.

``gunicorn 'app:create_app()'`` (what ``floorboard serve`` runs) builds one app per worker. The
Redis URL comes from ``REDIS_URL``; ``floorboard serve`` starts an embedded Redis and sets it
when it is unset. Nothing here holds logic, and nothing imports this module: it only connects
the parts, whose map is docs/architecture.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from flask_caching import Cache

from dashboard import api, policy
from dashboard.auth import init_auth
from dashboard.auth.credentials import ended_credentials
from dashboard.auth.sessions import load_secret_key
from dashboard.limits import RateLimits
from dashboard.live.hub import Hub
from dashboard.live.stream import VERSION
from dashboard.live.stream import blueprint as stream_blueprint
from dashboard.ops import health, traffic
from dashboard.pages import index
from dashboard.pages.assets import PagesDash, release
from dashboard.pages.login import views as login
from dashboard.pages.streams import view_factory
from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus
from feeds.bus.fields import use_channels
from feeds.config import Config
from feeds.customers.crm import CrmLookup
from feeds.customers.history import CustomerHistory, HistoryCache
from feeds.customers.profiles import CustomerCache
from feeds.live_config import LiveConfig
from feeds.notices.audience import Roster
from feeds.notices.messages import Messages


@dataclass(frozen=True)
class Services:
    """What a running app holds, kept on ``server.extensions["floorboard"]`` for the server's
    hooks (the hub starts when a worker boots) and for tests."""

    config: Config
    bus: Bus
    hub: Hub


def create_app(config: Config | None = None, redis_url: str | None = None) -> PagesDash:
    """The Dash app (its Flask server is ``.server``) for ``config`` (default: the config file,
    which the walls then follow as it changes)."""
    live = LiveConfig(None, config) if config is not None else LiveConfig.from_file()
    config = live()
    use_channels(config.channels)  # what every input path's schema checks a channel against
    redis_url = redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    bus = Bus.from_config(redis_url, config)
    accounts = Accounts(bus.client, config.redis.prefix)
    hub = Hub(bus, stall_seconds=config.stream.stall_seconds, ended=ended_credentials(accounts))
    app = PagesDash(
        __name__,
        title=config.centre.name,
        use_pages=True,
        pages_folder="",
        assets_folder=str(Path(__file__).with_name("assets")),
        update_title=None,
        # Dash would build one "validation layout" from every page's layout as the first request
        # sees it, and send it to every browser. The console's layout depends on who asks (only a
        # sign-in prompt for anyone but a supervisor), so that layout would miss the console's
        # ids and log errors on every page; and it must not reach other browsers anyway.
        suppress_callback_exceptions=True,
    )
    server = app.server
    server.extensions["floorboard"] = Services(config, bus, hub)
    csrf = init_auth(
        server,
        accounts,
        secret_key=load_secret_key(),
        walls_open=config.access.walls == "open",
        cookie_secure=config.access.session_cookie_secure,
        trusted_user_header=config.access.trusted_user_header,
        trusted_proxies=config.access.trusted_proxies,
    )
    limits = RateLimits(server, bus.client, config.redis.prefix, redis_url)  # after auth
    login.register(server, accounts, csrf, redis_url, limits)
    roster = Roster(lambda: Messages(bus, config).agents(bus.client))
    history = HistoryCache(CustomerHistory(bus.client, config.redis.prefix))
    crm = CrmLookup(bus, config.customers.crm) if config.customers.crm.url else None
    customers = CustomerCache(bus.client, config.redis.prefix, crm)
    # Snapshots shared between processes for a second: the bus's own Redis client (Sentinel-aware).
    snapshot_cache = Cache(
        server,
        config={
            "CACHE_TYPE": "dashboard.live.cache.JsonRedisCache",
            "CACHE_REDIS_HOST": bus.client,
            "CACHE_KEY_PREFIX": f"{config.redis.prefix}cache:",
        },
    )
    pages_release = release(index.ASSETS, VERSION)
    server.register_blueprint(
        stream_blueprint(
            hub,
            view_factory(config, roster, history, customers, live),
            coalesce_ms=config.stream.coalesce_ms,
            cache=snapshot_cache,
            release=pages_release,
        )
    )
    server.register_blueprint(health.blueprint(hub, pages_release, config.health, config.metrics))
    traffic.install(server)
    server.register_blueprint(api.blueprint(bus, config, limits))
    index.register(app, config, bus, live)
    policy.install(app, config.access.frame_ancestors, api.LARGE_BODIES)
    # Finish Dash's lazy server setup now, before any request: requests racing it on a fresh
    # worker got 500s for the JS bundles (plotly/dash#3971).
    app._setup_server()
    return app
