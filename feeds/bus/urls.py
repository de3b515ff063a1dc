"""Redis URLs as people may see them. No redis-py here: the gunicorn master prints these before
gevent patches its workers."""

from __future__ import annotations


def redacted(url: str) -> str:
    """A Redis URL fit for a log or a terminal: its password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"
