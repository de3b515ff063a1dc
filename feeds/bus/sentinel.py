"""Redis Sentinel URLs: ``redis+sentinel://[:password@]host:port[,host:port…]/service[/db]``.

A centre that runs Redis with Sentinel for failover gives the sentinels' addresses and the name
of the service they watch; the app asks them for the current master on every (re)connect, so a
failover costs the usual reconnect and resnapshot, nothing more. A URL that cannot be used is
refused with the part that is wrong, at start, rather than as a connection error later.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

SCHEME = "redis+sentinel://"
DEFAULT_PORT = 26379


@dataclass(frozen=True)
class SentinelURL:
    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    password: str | None = None  # the master's; sentinels are asked without one


def is_sentinel_url(url: str) -> bool:
    return url.startswith(SCHEME)


def _bad(part: str, reason: str) -> ValueError:
    form = f"{SCHEME}host:port[,host:port]/service[/db]"
    return ValueError(f"Redis Sentinel URL: {part}: {reason} (expected {form})")


def _address(text: str) -> tuple[str, int]:
    if text.startswith("["):  # an IPv6 literal: [::1]:26379
        host, _, tail = text[1:].partition("]")
        port = tail[1:] if tail.startswith(":") else tail or str(DEFAULT_PORT)
    else:
        host, _, port = text.partition(":")
        port = port or str(DEFAULT_PORT)
    if not host:
        raise _bad(f"sentinel {text!r}", "no host")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise _bad(f"sentinel {text!r}", f"port {port!r} is not a number from 1 to 65535")
    return host, int(port)


def parse_sentinel_url(url: str) -> SentinelURL:
    """Split a Sentinel URL into its parts; ValueError names the part that is wrong."""
    if not is_sentinel_url(url):
        raise _bad("scheme", f"{url.partition('://')[0]!r} is not redis+sentinel")
    rest = url.removeprefix(SCHEME)
    netloc, _, path = rest.partition("/")
    if "?" in path or "#" in path:
        raise _bad("query", "options in the URL are not supported")
    password = None
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        password = unquote(userinfo.partition(":")[2]) or None
    if not netloc:
        raise _bad("sentinels", "no host:port given")
    sentinels = [_address(part) for part in netloc.split(",")]
    service, _, db = path.partition("/")
    if not service:
        raise _bad("service", "no service name (the name the sentinels monitor) given")
    if db and not db.isdigit():
        raise _bad("db", f"{db!r} is not a database number")
    return SentinelURL(sentinels, unquote(service), int(db or 0), password)
