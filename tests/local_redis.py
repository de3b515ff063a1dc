"""A client for a Redis the tests started on this host, by its port.

Made from a URL, as the app makes its clients (feeds.bus.bus.connect): a client made with
``redis.Redis(port=…)`` retries a refused connection with backoff (redis-py's default), so every
look at a server that is stopped or still starting costs seconds.
"""

from __future__ import annotations

from typing import Any

import redis


def local_client(port: int, user: str = "", password: str = "", **options: Any) -> redis.Redis:
    """A client of the Redis on 127.0.0.1:``port``, as ``user`` with ``password`` if given."""
    auth = f"{user}:{password}@" if user or password else ""
    return redis.Redis.from_url(f"redis://{auth}127.0.0.1:{port}/0", **options)
