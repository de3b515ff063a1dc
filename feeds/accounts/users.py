"""User accounts: who may sign in, with what role, as which agent of the bus.

Passwords are stored as salted scrypt hashes (Werkzeug's ``generate_password_hash``): people
choose guessable passwords, so each guess must be expensive. Layout: ``<prefix>users`` (hash
name → JSON, with the hash).
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.security import check_password_hash, generate_password_hash

from feeds.accounts import legacy
from feeds.errors import SchemaError

if TYPE_CHECKING:
    import redis

ROLES = ("admin", "supervisor", "agent", "viewer")
NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing megabytes on every login attempt would be a free CPU burner
PASSWORD_METHOD = "scrypt"  # Werkzeug's default parameters (N=2^15, r=8, p=1)


@dataclass(frozen=True)
class User:
    """A login account (never carries its password hash)."""

    name: str
    role: str
    team: str | None = None
    agent_id: str | None = None  # for role agent: the agent they are on the bus
    created: float = 0.0
    password_set: float = 0.0  # sessions opened before this are no longer valid


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown users against, so an answer's timing does not reveal who exists."""
    return _hash_password(secrets.token_urlsafe(16))


def check_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise SchemaError(field, "must be 1-64 letters, digits or _ . @ -")
    return value


def check_role(role: object) -> str:
    if role not in ROLES:
        raise SchemaError("role", f"must be one of {', '.join(ROLES)}")
    return str(role)


def _check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise SchemaError("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise SchemaError("password", f"must be at most {MAX_PASSWORD} characters")
    return password


def _user(name: str, record: Mapping[str, Any]) -> User:
    return User(
        name=name,
        role=record["role"],
        team=record.get("team"),
        agent_id=record.get("agent_id"),
        created=record.get("created", 0.0),
        password_set=record.get("password_set", 0.0),
    )


class Users:
    """The users of one key prefix (a part of :class:`feeds.accounts.store.Accounts`)."""

    client: redis.Redis
    users_key: str

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
        check_name("name", name)
        check_role(role)
        if team is not None:
            check_name("team", team)
        if agent_id is not None:
            if role != "agent":
                raise SchemaError("agent_id", "only users with role agent have an agent id")
            check_name("agent_id", agent_id)
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
        check_role(role)

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


def seed_demo(accounts: Users, agent_teams: Mapping[str, str | None]) -> str:
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
