"""API tokens: for scripts, feeds and wall screens that nobody signs in on.

A token is ``fb_<id>_<secret>`` with a 256-bit random secret, which nobody can guess, so a
SHA-256 of the secret is enough to store: checking a token costs one hash, not a scrypt, and a
made-up, unknown or revoked token costs the same small constant as a good one (no free CPU for
a flood). Layout: ``<prefix>tokens`` (hash token id → JSON).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feeds.accounts.users import check_name, check_role
from feeds.errors import SchemaError

if TYPE_CHECKING:
    import redis

TOKEN_PREFIX = "fb"
TOKEN_HASH = "sha256$"  # how a token's secret is stored: its SHA-256, hex


@dataclass(frozen=True)
class Token:
    """An API token's public part: the secret is only shown once, when it is created."""

    id: str
    label: str
    role: str
    created: float = 0.0


def _token_digest(secret: str) -> str:
    return TOKEN_HASH + hashlib.sha256(secret.encode()).hexdigest()


_NO_TOKEN = _token_digest(secrets.token_urlsafe(32))  # compared against for unknown ids


def _split_token(plaintext: str) -> tuple[str, str] | None:
    """``fb_<id>_<secret>`` → (id, secret); the id is hex, the secret may contain ``_``."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def _token(token_id: str, record: Mapping[str, Any]) -> Token:
    return Token(token_id, record["label"], record["role"], record.get("created", 0.0))


class Tokens:
    """The API tokens of one key prefix (a part of :class:`feeds.accounts.store.Accounts`)."""

    client: redis.Redis
    tokens_key: str

    def create_token(self, label: str, role: str) -> str:
        """A new token ``fb_<id>_<secret>``; the plaintext is returned here and never again."""
        check_name("label", label)
        check_role(role)
        secret = secrets.token_urlsafe(32)
        record = {
            "label": label,
            "role": role,
            "created": time.time(),
            "hash": _token_digest(secret),
        }
        while True:  # 48-bit ids: a clash is all but impossible, but must not overwrite
            token_id = secrets.token_hex(6)
            if self.client.hsetnx(self.tokens_key, token_id, json.dumps(record)):
                return f"{TOKEN_PREFIX}_{token_id}_{secret}"

    def revoke_token(self, token_id: str) -> None:
        if not self.client.hdel(self.tokens_key, token_id):
            raise SchemaError("id", f"no token {token_id!r}")

    def get_token(self, token_id: str) -> Token | None:
        raw = self.client.hget(self.tokens_key, token_id)
        return _token(token_id, json.loads(raw)) if raw is not None else None

    def list_tokens(self) -> list[Token]:
        tokens = self.client.hgetall(self.tokens_key)
        found = (_token(k.decode(), json.loads(v)) for k, v in tokens.items())
        return sorted(found, key=lambda t: (t.label, t.created))

    def verify_token(self, plaintext: str) -> Token | None:
        """The token if ``plaintext`` is a live one. The record is read on every check, so
        revoking works at once in every process; the cost is one SHA-256 and one comparison
        whether the id is known, unknown or revoked (ids are not secret)."""
        parts = _split_token(plaintext)
        if parts is None:
            return None
        token_id, secret = parts
        raw = self.client.hget(self.tokens_key, token_id)
        record = json.loads(raw) if raw is not None else None
        stored = record["hash"] if record is not None else _NO_TOKEN
        same = hmac.compare_digest(_token_digest(secret).encode(), stored.encode())
        return _token(token_id, record) if record is not None and same else None
