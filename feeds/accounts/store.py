"""Users, API tokens and login sessions, kept in Redis under the prefix.

Every app worker and host must agree on who may do what, and a revoked token or a removed user
must stop working everywhere at once, so all of it lives in Redis, not in the app. A copy of the
Redis data gives nobody a way in:

* passwords are stored as salted scrypt hashes (Werkzeug's ``generate_password_hash``): people
  choose guessable passwords, so each guess must be expensive;
* API tokens are 256-bit random secrets, which nobody can guess, so a SHA-256 of the secret is
  enough, and checking a token costs one hash, not a scrypt: a request with a made-up, unknown
  or revoked token costs the same small constant as a good one (no free CPU for a flood);
* session ids are stored hashed for the same reason.

Layout: ``<prefix>users`` (hash name → JSON), ``<prefix>tokens`` (hash token id → JSON),
``<prefix>session:<sha256 of session id>`` (JSON, expiring). Sign-in rate limits live with the
sign-in page (:mod:`dashboard.pages.login.limits`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.security import check_password_hash, generate_password_hash

from feeds.accounts import legacy
from feeds.bus.schema import SchemaError

if TYPE_CHECKING:
    import redis

ROLES = ("admin", "supervisor", "agent", "viewer")
NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing megabytes on every login attempt would be a free CPU burner

PASSWORD_METHOD = "scrypt"  # Werkzeug's default parameters (N=2^15, r=8, p=1)
TOKEN_PREFIX = "fb"
TOKEN_HASH = "sha256$"  # how a token's secret is stored: its SHA-256, hex


@dataclass(frozen=True)
class User:
    """A login account (never carries its password hash)."""

    name: str
    role: str
    team: str | None = None
    agent_id: str | None = None  # for role agent: the agent they are on the bus
    created: float = 0.0
    password_set: float = 0.0  # sessions opened before this are no longer valid


@dataclass(frozen=True)
class Token:
    """An API token's public part: the secret is only shown once, when it is created."""

    id: str
    label: str
    role: str
    created: float = 0.0


@dataclass(frozen=True)
class Credential:
    """What a request was let in on, as it was then: checked again while a stream it opened is
    open (:meth:`Accounts.still_valid`), so revoking, signing out, a new password, a removed
    user or a changed role ends the stream too, not only the next request.

    ``kind``: ``token`` (``key`` = token id), ``session`` (``key`` = the session's Redis key;
    ``user`` the user it is for, or ``token`` = the viewer token it was opened with) or
    ``proxy`` (single sign-on: the user alone). ``stamp``: the user's ``password_set``;
    ``role`` and ``agent_id``: what the user was.
    """

    kind: str
    key: str
    user: str | None = None
    token: str | None = None
    stamp: Any = None
    role: str | None = None
    agent_id: str | None = None


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown users against, so an answer's timing does not reveal who exists."""
    return _hash_password(secrets.token_urlsafe(16))


def _token_digest(secret: str) -> str:
    return TOKEN_HASH + hashlib.sha256(secret.encode()).hexdigest()


_NO_TOKEN = _token_digest(secrets.token_urlsafe(32))  # compared against for unknown ids


def _check_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise SchemaError(field, "must be 1-64 letters, digits or _ . @ -")
    return value


def _check_role(role: object) -> str:
    if role not in ROLES:
        raise SchemaError("role", f"must be one of {', '.join(ROLES)}")
    return str(role)


def _check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise SchemaError("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise SchemaError("password", f"must be at most {MAX_PASSWORD} characters")
    return password


def _split_token(plaintext: str) -> tuple[str, str] | None:
    """``fb_<id>_<secret>`` → (id, secret); the id is hex, the secret may contain ``_``."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def _user(name: str, record: Mapping[str, Any]) -> User:
    return User(
        name=name,
        role=record["role"],
        team=record.get("team"),
        agent_id=record.get("agent_id"),
        created=record.get("created", 0.0),
        password_set=record.get("password_set", 0.0),
    )


def _token(token_id: str, record: Mapping[str, Any]) -> Token:
    return Token(token_id, record["label"], record["role"], record.get("created", 0.0))


class Accounts:
    """Account storage for one key prefix; safe to share between threads and greenlets."""

    def __init__(self, client: redis.Redis, prefix: str = "fb:") -> None:
        self.client = client
        self.prefix = prefix
        self.users_key = f"{prefix}users"
        self.tokens_key = f"{prefix}tokens"

    # -- users ------------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        role: str,
        password: str,
        *,
        team: str | None = None,
        agent_id: str | None = None,
    ) -> User:
        """Create a user; refuses a name that is taken. Agents default to ``agent_id = name``."""
        _check_name("name", name)
        _check_role(role)
        if team is not None:
            _check_name("team", team)
        if agent_id is not None:
            if role != "agent":
                raise SchemaError("agent_id", "only users with role agent have an agent id")
            _check_name("agent_id", agent_id)
        elif role == "agent":
            agent_id = name
        now = time.time()
        record = {
            "role": role,
            "team": team,
            "agent_id": agent_id,
            "created": now,
            "password_set": now,
            "password": _hash_password(_check_password(password)),
        }
        if not self.client.hsetnx(self.users_key, name, json.dumps(record)):
            raise SchemaError("name", f"user {name!r} already exists")
        return _user(name, record)

    def remove_user(self, name: str) -> None:
        if not self.client.hdel(self.users_key, name):
            raise SchemaError("name", f"no user {name!r}")

    def set_password(self, name: str, password: str) -> None:
        """Replace the password; the user's open sessions end (they carry the old set time)."""
        hashed = _hash_password(_check_password(password))
        self._update_user(
            name, lambda record: record.update(password=hashed, password_set=time.time())
        )

    def set_role(self, name: str, role: str) -> User:
        """Change the role in place, keeping the password (a remove and add would not).

        Requests read the user each time, so the new role applies from the next one. An agent
        keeps or gets an agent id (default: the name); other roles have none.
        """
        _check_role(role)

        def change(record: dict[str, Any]) -> None:
            agent_id = (record.get("agent_id") or name) if role == "agent" else None
            record.update(role=role, agent_id=agent_id)

        return _user(name, self._update_user(name, change))

    def _update_user(self, name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Read, change and write a user's record as one step; the changed record."""

        def update(pipe: redis.client.Pipeline) -> dict[str, Any]:
            raw = pipe.hget(self.users_key, name)
            if raw is None:
                raise SchemaError("name", f"no user {name!r}")
            record = json.loads(raw)
            change(record)
            pipe.multi()
            pipe.hset(self.users_key, name, json.dumps(record))
            return record

        # WATCH: a user removed meanwhile is not brought back by the write.
        return self.client.transaction(update, self.users_key, value_from_callable=True)

    def _user_record(self, name: str) -> dict[str, Any] | None:
        raw = self.client.hget(self.users_key, name)
        return json.loads(raw) if raw is not None else None

    def get_user(self, name: str) -> User | None:
        record = self._user_record(name)
        return _user(name, record) if record else None

    def list_users(self) -> list[User]:
        users = self.client.hgetall(self.users_key)
        found = (_user(k.decode(), json.loads(v)) for k, v in users.items())
        return sorted(found, key=lambda u: u.name)

    def verify_password(self, name: str, password: str) -> User | None:
        """The user if the password is theirs, else None, in about the same time either way."""
        record = self._user_record(name) if NAME_RE.match(name) else None
        if record is None:
            check_password_hash(_dummy_hash(), password)
            return None
        if legacy.is_legacy(record["password"]):  # written before schema 1: stored anew
            if not legacy.matches(password, record["password"]):
                return None
            self._update_user(name, lambda r: r.update(password=_hash_password(password)))
            return _user(name, record)
        return _user(name, record) if check_password_hash(record["password"], password) else None

    # -- API tokens -------------------------------------------------------------------------

    def create_token(self, label: str, role: str) -> str:
        """A new token ``fb_<id>_<secret>``; the plaintext is returned here and never again."""
        _check_name("label", label)
        _check_role(role)
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

    # -- credentials of open streams --------------------------------------------------------

    def still_valid(self, credentials: Collection[Credential]) -> dict[Credential, bool]:
        """Whether each credential would still let its holder in as the same principal; one
        round trip for all of them (each open stream's is asked every second)."""
        creds = list(credentials)
        pipe = self.client.pipeline(transaction=False)
        for c in creds:
            pipe.exists(c.key) if c.kind == "session" else pipe.echo("")
            pipe.hget(self.users_key, c.user) if c.user else pipe.echo("")
            token = c.key if c.kind == "token" else c.token
            pipe.hget(self.tokens_key, token) if token else pipe.echo("")
        replies = pipe.execute()
        out = {}
        for i, c in enumerate(creds):
            session, user, token = replies[3 * i : 3 * i + 3]
            ok = c.kind != "session" or bool(session)
            if c.user:
                record = json.loads(user) if user else None
                ok = ok and record is not None and record["role"] == c.role
                ok = ok and record.get("agent_id") == c.agent_id
                ok = ok and (c.kind == "proxy" or record.get("password_set") == c.stamp)
            if c.kind == "token" or c.token:
                ok = ok and bool(token)  # revoking deletes it; ids are never given out again
            out[c] = ok
        return out

    # -- login sessions ---------------------------------------------------------------------

    def session_key(self, sid: str) -> str:
        return f"{self.prefix}session:{hashlib.sha256(sid.encode()).hexdigest()}"

    def open_session(self, record: Mapping[str, Any], ttl: int) -> str:
        """Store what a browser session stands for; returns its id (the cookie's only secret)."""
        sid = secrets.token_urlsafe(32)
        self.client.set(self.session_key(sid), json.dumps(dict(record)), ex=ttl)
        return sid

    def session(self, sid: str, ttl: int) -> dict[str, Any] | None:
        """The session's record, extending its life by ``ttl`` (sessions expire when idle)."""
        raw = self.client.getex(self.session_key(sid), ex=ttl)
        return json.loads(raw) if raw is not None else None

    def close_session(self, sid: str) -> None:
        self.client.delete(self.session_key(sid))


def seed_demo(accounts: Accounts, agent_teams: Mapping[str, str | None]) -> str:
    """Demo only: (re)create ``super``, ``admin`` and one user per simulated agent, with fresh
    random passwords; returns the logins to print. Agents share one password (there are many)."""
    passwords = {role: secrets.token_urlsafe(9) for role in ("supervisor", "admin", "agent")}
    users = [("super", "supervisor", None), ("admin", "admin", None)]
    users += [(agent_id, "agent", team) for agent_id, team in agent_teams.items()]
    for name, role, team in users:
        if accounts.get_user(name):
            accounts.remove_user(name)
        accounts.add_user(name, role, passwords[role], team=team)
    agents = list(agent_teams)
    lines = [
        "Demo logins (new passwords each start):",
        f"  supervisor  super / {passwords['supervisor']}",
        f"  admin       admin / {passwords['admin']}",
    ]
    if agents:
        span = agents[0] if len(agents) == 1 else f"{agents[0]} … {agents[-1]}"
        lines.append(f"  agents      {span} / {passwords['agent']}")
    return "\n".join(lines)
