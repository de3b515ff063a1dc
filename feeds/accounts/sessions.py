"""Browser sessions, and the credentials open streams were let in on.

A session id is the cookie's only secret; what it stands for lives in Redis under the id's
SHA-256 (``<prefix>session:<sha256>``, expiring when idle), so a copy of the data opens no
session, and logging out or removing a user ends it on every worker at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis


@dataclass(frozen=True)
class Credential:
    """What a request was let in on, as it was then: checked again while a stream it opened is
    open (:meth:`Sessions.still_valid`), so revoking, signing out, a new password, a removed
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


class Sessions:
    """The sessions of one key prefix (a part of :class:`feeds.accounts.store.Accounts`)."""

    client: redis.Redis
    prefix: str
    users_key: str
    tokens_key: str

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
