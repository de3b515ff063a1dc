"""Backups as JSON: every key under the prefix, by its Redis type, and back again.

What a centre cannot lose lives in Redis: messages, outages with their timelines and resolved
history, delay reasons, users and tokens (as hashes), customers and their ledgers, authority
rules, the audit log, intraday history. A backup takes every key under the prefix except the
transient ones (:mod:`feeds.data.keys`, each with its reason, listed in the file), so a kind of
key a later release adds is never silently left out. Keys are named without the prefix, so a
backup restores under another prefix too (a site moved to a shared Redis).

The file: ``{"floorboard_backup": 1, "prefix", "schema", "created", "keys": {name: {"type",
"value", "expires_at"?}}, "left_out": [{"pattern", "count", "reason"}], "unrecognised": [...]}``.
Values are text when they are UTF-8 (they are JSON in practice), else ``{"base64": …}``;
``expires_at`` is epoch milliseconds, so a key that expires keeps its end, not its length.

Each key is read whole, but not all keys at one instant: back up a running centre and the
copy is as of a few moments, key by key. For an exact instant, stop the producers first.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from feeds.data.keys import SCHEMA, kind_of
from feeds.errors import SchemaError

if TYPE_CHECKING:
    import redis

FORMAT = 1
TYPES = ("string", "hash", "list", "set", "zset", "stream")
BATCH = 500  # keys per round trip
STREAM_PAGE = 1000  # stream entries per read


def to_text(raw: bytes) -> str | dict[str, str]:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode()}


def to_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        return base64.b64decode(value["base64"])
    raise SchemaError(where, 'must be text or {"base64": …}')


def _glob(prefix: str) -> str:
    """A SCAN pattern for every key under ``prefix`` (its own glob characters escaped)."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in prefix) + "*"


def names(client: redis.Redis, prefix: str) -> list[str]:
    """Every key under ``prefix``, without it, sorted."""
    found = {k.decode()[len(prefix) :] for k in client.scan_iter(match=_glob(prefix), count=1000)}
    return sorted(found)


@dataclass
class Report:
    """What a backup or a restore did: keys by kind, what was left out and why."""

    kept: dict[str, int] = field(default_factory=dict)  # kind pattern (or the key) → keys
    left_out: dict[str, tuple[int, str]] = field(default_factory=dict)  # pattern → (n, why)
    unrecognised: list[str] = field(default_factory=list)
    expired: int = 0  # restore: keys whose end had passed since the backup

    def lines(self) -> Iterator[str]:
        for pattern, n in sorted(self.kept.items()):
            yield f"kept {n:>7}  {pattern}"
        for pattern, (n, why) in sorted(self.left_out.items()):
            yield f"left out {n:>3}  {pattern}: {why}"
        for name in self.unrecognised:
            yield f"kept, not known to this release: {name}"
        if self.expired:
            yield f"not restored: {self.expired} keys whose expiry had passed"


def _read(client: redis.Redis, key: str, kind: str) -> Any:
    if kind == "string":
        return to_text(client.get(key) or b"")
    if kind == "hash":
        return {to_text(k): to_text(v) for k, v in sorted(client.hgetall(key).items())}
    if kind == "list":
        return [to_text(v) for v in client.lrange(key, 0, -1)]
    if kind == "set":
        return sorted((to_text(v) for v in client.smembers(key)), key=str)
    if kind == "zset":
        return [[to_text(m), s] for m, s in client.zrange(key, 0, -1, withscores=True)]
    entries, start = [], "-"
    while page := client.xrange(key, min=start, count=STREAM_PAGE):
        entries += [[i.decode(), {to_text(k): to_text(v) for k, v in e.items()}] for i, e in page]
        start = "(" + page[-1][0].decode()
    return entries


def backup(client: redis.Redis, prefix: str, out: IO[str], release: str = "") -> Report:
    """Write every lasting key under ``prefix`` to ``out`` as the JSON described above."""
    report = Report()
    found = names(client, prefix)
    kept = []
    for name in found:
        kind = kind_of(name)
        if kind is not None and kind.transient:
            n, _ = report.left_out.get(kind.pattern, (0, ""))
            report.left_out[kind.pattern] = (n + 1, kind.transient)
            continue
        if kind is None:
            report.unrecognised.append(name)
        label = kind.pattern if kind else name
        report.kept[label] = report.kept.get(label, 0) + 1
        kept.append(name)
    schema = client.get(prefix + SCHEMA)
    head = {"floorboard_backup": FORMAT, "prefix": prefix, "release": release,
            "schema": int(schema) if schema else None, "created": time.time()}  # fmt: skip
    out.write(json.dumps(head)[:-1] + ', "keys": {')
    for start in range(0, len(kept), BATCH):
        batch = kept[start : start + BATCH]
        pipe = client.pipeline(transaction=False)
        for name in batch:
            pipe.type(prefix + name)
            pipe.pttl(prefix + name)
        replies = pipe.execute()
        now_ms = int(time.time() * 1000)
        for i, name in enumerate(batch):
            kind, pttl = replies[2 * i].decode(), replies[2 * i + 1]
            if kind == "none":
                continue  # gone since the scan (expired)
            entry: dict[str, Any] = {"type": kind, "value": _read(client, prefix + name, kind)}
            if pttl > 0:
                entry["expires_at"] = now_ms + pttl
            comma = "," if start or i else ""
            out.write(f"{comma}\n{json.dumps(name)}: {json.dumps(entry, ensure_ascii=False)}")
    left_out = [{"pattern": p, "count": n, "reason": why}
                for p, (n, why) in sorted(report.left_out.items())]  # fmt: skip
    out.write("\n}, " + json.dumps({"left_out": left_out, "unrecognised": report.unrecognised})[1:])
    out.write("\n")
    return report
