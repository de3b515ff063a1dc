"""The data's schema version, and the steps that bring older data up to it.

``<prefix>schema`` holds the version of the layout the data under the prefix is in. Data
written before versions existed has no such key and counts as version 0. ``floorboard
migrate`` runs, in order, every step above the data's version, each recording its version when
it is done, so an interrupted run starts again where it stopped; each step is written to be
run twice without harm. A release refuses data newer than it knows (``/readyz`` says so), so
rolling back after a migration is done by restoring the backup taken before it.

To add one: write ``_to_vN(client, prefix) -> list[str]`` (what it did, in words), append
``Migration(N, "…", _to_vN)`` to :data:`MIGRATIONS`, and test it from a fixture of version
N-1 (tests/data/schema-v0.json is version 0's).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feeds.accounts import legacy
from feeds.data.backup import names
from feeds.data.keys import SCHEMA
from feeds.errors import SchemaError

if TYPE_CHECKING:
    import redis

LOCK = "migrate-lock"  # held while a migration runs, so two cannot interleave
LOCK_SECONDS = 600


@dataclass(frozen=True)
class Migration:
    to: int
    title: str
    run: Callable[[redis.Redis, str], list[str]]


def _to_v1(client: redis.Redis, prefix: str) -> list[str]:
    """Issue 8's hashes, and the sign-in counters its rate limits replaced."""
    done = []
    tokens = client.hgetall(prefix + "tokens")
    for token_id, raw in sorted(tokens.items()):
        record = json.loads(raw)
        if legacy.is_legacy(record.get("hash", "")):
            client.hdel(prefix + "tokens", token_id)
            done.append(
                f"revoked token {token_id.decode()} ({record.get('label')}): its old hash cannot "
                "be checked any more; issue a new one with `floorboard token create`"
            )
    users = client.hgetall(prefix + "users")
    old = sorted(
        n.decode() for n, raw in users.items() if legacy.is_legacy(json.loads(raw)["password"])
    )
    if old:
        done.append(
            f"{len(old)} users keep their passwords, stored anew at their next sign-in: "
            + ", ".join(old)
        )
    counters = [prefix + n for n in names(client, prefix) if n.startswith("login-failures:")]
    if counters:
        client.delete(*counters)
        done.append(f"removed {len(counters)} old failed-sign-in counters (now rate limits)")
    return done


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "credentials in issue 8's hashes; old sign-in counters removed", _to_v1),
)
CURRENT = MIGRATIONS[-1].to


def version(client: redis.Redis, prefix: str) -> int | None:
    """The data's schema version; None when it has none (written before versions: 0)."""
    raw = client.get(prefix + SCHEMA)
    return int(raw) if raw is not None else None


def readable(found: int | None) -> str:
    """Why this release cannot serve data of version ``found``, or "" when it can. Data
    without a version can be served (everything written before versions is read as it was,
    old password hashes included) but should be migrated; an older version needs its
    migration first; a newer one needs its own release."""
    if found is None or found == CURRENT:
        return ""
    if found > CURRENT:
        return f"data is version {found}, newer than this release's {CURRENT}"
    return f"data is version {found}: run `floorboard migrate` (this release reads {CURRENT})"


def pending(client: redis.Redis, prefix: str) -> list[Migration]:
    """The steps the data under ``prefix`` still needs (refused if it is newer than this
    release knows)."""
    found = version(client, prefix) or 0
    if found > CURRENT:
        raise SchemaError(
            SCHEMA, f"the data under {prefix!r} is version {found}; this release knows up to "
            f"{CURRENT}: run the release that wrote it, or restore a backup"
        )  # fmt: skip
    return [m for m in MIGRATIONS if m.to > found]


def migrate(client: redis.Redis, prefix: str) -> list[tuple[Migration, list[str]]]:
    """Run every pending step in order; returns each with what it did."""
    if not client.set(prefix + LOCK, "1", nx=True, ex=LOCK_SECONDS):
        raise SchemaError(LOCK, "another migration is running (or one died: wait 10 minutes)")
    try:
        done = []
        for step in pending(client, prefix):
            done.append((step, step.run(client, prefix)))
            client.set(prefix + SCHEMA, step.to)
        return done
    finally:
        client.delete(prefix + LOCK)
