"""The shared cache of expensive reads (flask-caching on Redis), holding JSON and nothing else.

flask-caching's Redis backend pickles what it stores and unpickles what it reads: anyone who can
write to Redis could then run code in every app worker by planting a pickle under a cache key.
This backend stores JSON text and parses JSON text, so a planted value is at worst a wrong
(or refused) cache entry: ``CACHE_TYPE = "dashboard.live.cache.JsonRedisCache"``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cachelib.serializers import BaseRedisSerializer
from flask_caching.backends.rediscache import RedisCache

log = logging.getLogger(__name__)


class JsonSerializer(BaseRedisSerializer):
    def dumps(self, value: Any, protocol: int = 0) -> bytes:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()

    def loads(self, value: bytes | None) -> Any:
        if value is None:
            return None
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            log.warning("ignoring a cache entry that is not JSON")
            return None


class JsonRedisCache(RedisCache):
    serializer = JsonSerializer()
