"""Restoring a backup (:mod:`feeds.data.backup`) under a prefix.

A restore is a reset of the centre's data, so it is done with the app stopped: a running hub
holds sequence numbers that the restored ones may be behind, and would ignore new updates until
they caught up. The restore therefore refuses while anything follows the bus's channel, and
refuses to mix a backup into existing data unless told to replace it (then every key under the
prefix goes first, sign-ins included). Every part of the file is checked before anything is
written; a key whose expiry passed since the backup is not written.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

import redis

from feeds.data.backup import FORMAT, TYPES, Report, names, to_bytes
from feeds.data.keys import kind_of
from feeds.errors import SchemaError


def followers(client: redis.Redis, prefix: str) -> int:
    """How many connections follow the bus's channel (app workers, each one)."""
    channel = prefix + "live"
    counts = [n for _, n in client.pubsub_numsub(channel)]
    # Before Redis 7 there is no sharded pub/sub, so nobody follows that way.
    with contextlib.suppress(redis.ResponseError):
        shard = client.execute_command("PUBSUB SHARDNUMSUB", channel)
        counts += [int(n) for n in shard[1::2]]
    return sum(int(n) for n in counts)


def check(data: Any) -> Mapping[str, Mapping[str, Any]]:
    """The backup's keys, every entry checked (a field path and reason for the first bad one)."""
    if not isinstance(data, dict) or data.get("floorboard_backup") != FORMAT:
        raise SchemaError("floorboard_backup", f"not a Floorboard backup (format {FORMAT})")
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise SchemaError("keys", "must be an object")
    for name, entry in keys.items():
        where = f"keys.{name}"
        if not isinstance(entry, dict) or entry.get("type") not in TYPES:
            raise SchemaError(f"{where}.type", f"must be one of {', '.join(TYPES)}")
        if "expires_at" in entry and not isinstance(entry["expires_at"], int):
            raise SchemaError(f"{where}.expires_at", "must be epoch milliseconds")
        _check_value(entry["type"], entry.get("value"), f"{where}.value")
    return keys


def _check_value(kind: str, value: Any, where: str) -> None:
    shapes = {"string": object, "hash": dict, "list": list, "set": list, "zset": list,
              "stream": list}  # fmt: skip
    if not isinstance(value, shapes[kind]):
        raise SchemaError(where, f"a {kind} must be a JSON {shapes[kind].__name__}")
    if kind == "string":
        to_bytes(value, where)
    elif kind == "zset":
        for i, pair in enumerate(value):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], int | float)):
                raise SchemaError(f"{where}.{i}", "must be [member, score]")
    elif kind == "stream":
        for i, pair in enumerate(value):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], dict)):
                raise SchemaError(f"{where}.{i}", "must be [id, {field: value}]")


def _write(pipe: Any, key: str, kind: str, value: Any, where: str) -> None:
    if kind == "string":
        pipe.set(key, to_bytes(value, where))
    elif kind == "hash" and value:
        pipe.hset(key, mapping={to_bytes(k, where): to_bytes(v, where) for k, v in value.items()})
    elif kind == "list" and value:
        pipe.rpush(key, *(to_bytes(v, where) for v in value))
    elif kind == "set" and value:
        pipe.sadd(key, *(to_bytes(v, where) for v in value))
    elif kind == "zset" and value:
        pipe.zadd(key, {to_bytes(m, where): s for m, s in value})
    elif kind == "stream":
        for entry_id, entry in value:
            pipe.xadd(key, {to_bytes(k, where): to_bytes(v, where) for k, v in entry.items()},
                      id=entry_id)  # fmt: skip


def restore(
    client: redis.Redis, prefix: str, data: Any, *, replace: bool = False, force: bool = False
) -> Report:
    """Write the backup ``data`` (parsed JSON) under ``prefix``. ``replace``: delete every key
    under the prefix first; ``force``: even while apps follow the bus (then restart them)."""
    keys = check(data)
    following = followers(client, prefix)
    if following and not force:
        raise SchemaError("restore", f"{following} app workers follow {prefix}live: stop the app "
                          "(and the producers) first")  # fmt: skip
    existing = names(client, prefix)
    lasting = [n for n in existing if not (k := kind_of(n)) or not k.transient]
    if lasting and not replace:
        raise SchemaError("restore", f"{len(lasting)} keys are already under {prefix!r}: restore "
                          "into an empty prefix, or replace them (--replace)")  # fmt: skip
    if replace:
        for start in range(0, len(existing), 500):
            client.delete(*(prefix + n for n in existing[start : start + 500]))
    report = Report()
    now_ms = int(time.time() * 1000)
    pipe = client.pipeline(transaction=False)
    for n, (name, entry) in enumerate(sorted(keys.items()), 1):
        expires = entry.get("expires_at")
        if expires is not None and expires <= now_ms:
            report.expired += 1
            continue
        key, kind = prefix + name, entry["type"]
        _write(pipe, key, kind, entry["value"], f"keys.{name}.value")
        if expires is not None:
            pipe.pexpireat(key, expires)
        known = kind_of(name)
        label = known.pattern if known else name
        report.kept[label] = report.kept.get(label, 0) + 1
        if n % 200 == 0:
            pipe.execute()
    pipe.execute()
    return report
