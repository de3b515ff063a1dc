"""Who is asking, from what the request carries: an API token, a trusted proxy's user header,
or the session cookie. Run before every request; the answer is ``g.principal``.

A token (``Authorization: Bearer fb_…``) is for scripts and feeds. The session cookie is
Flask's signed session holding only a random session id (the session itself is in Redis, so
logging out, removing a user or changing a password ends it on every worker) and the session's
CSRF token. Single sign-on (optional, ``[access] trusted_user_header``): a reverse proxy that
has authenticated the user names them in a header, and the user must exist in the account
store (which gives the role, agent id and team). The header is believed only on connections
from ``trusted_proxies``, since anyone can send it; from anywhere else it is ignored.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Collection, Iterable

import redis
from flask import g, request, session

from dashboard.auth.access import UNAVAILABLE
from dashboard.auth.principal import Principal
from dashboard.auth.sessions import USER_IDLE_SECONDS, csrf_token
from feeds.accounts.sessions import Credential
from feeds.accounts.store import Accounts
from feeds.accounts.users import NAME_RE, User

log = logging.getLogger(__name__)


def ended_credentials(accounts: Accounts) -> Callable[[Collection[Credential]], set[Credential]]:
    """For the hub: of the open streams' credentials, those that no longer let their holder in
    as the same principal (so their streams close)."""

    def ended(credentials: Collection[Credential]) -> set[Credential]:
        return {c for c, ok in accounts.still_valid(credentials).items() if not ok}

    return ended


def user_principal(user: User, via: str) -> Principal:
    return Principal(user.name, user.role, via, user.agent_id, user.team)


class Credentials:
    """Resolves the principal of each request against one account store."""

    def __init__(
        self,
        accounts: Accounts,
        trusted_user_header: str = "",
        trusted_proxies: Iterable[str] = (),
    ) -> None:
        self.accounts = accounts
        self.trusted_user_header = trusted_user_header
        self.trusted_proxies = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def resolve(self) -> None:
        """Set ``g.principal`` from the bearer token, else from a trusted proxy's user header,
        else from the session cookie; ``g.auth_problem`` says why there is none."""
        g.principal = None
        g.credential = None  # what let the principal in, for the streams it opens
        g.client_address = self._client_address()  # for rate limits
        try:
            proxied = self._proxied_user()
            if "Authorization" in request.headers:
                g.principal = self._from_header(request.headers["Authorization"])
            elif proxied is not None:
                g.principal = self._from_proxy(proxied)
            elif session.get("sid"):
                g.principal = self._from_session(session["sid"], session.get("idle", 0))
        except redis.RedisError as exc:
            log.warning("cannot check credentials: %s", exc)
            g.auth_problem = UNAVAILABLE

    def _from_header(self, header: str) -> Principal | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            g.auth_problem = "Authorization must be 'Bearer <token>'"
            return None
        token = self.accounts.verify_token(value.strip())
        if token is None:
            g.auth_problem = "invalid or revoked token"
            return None
        g.credential = Credential("token", token.id)
        return Principal(token.label, token.role, "token")

    def _from_trusted_proxy(self) -> bool:
        """Whether the request's peer is a trusted proxy (whose headers may be believed)."""
        try:
            peer = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return False
        peer = getattr(peer, "ipv4_mapped", None) or peer
        return any(peer in net for net in self.trusted_proxies)

    def _proxied_user(self) -> str | None:
        """The user named by a trusted proxy: None when SSO is off, the header is absent, or the
        request did not come from a trusted proxy (then the header is anyone's claim)."""
        if not self.trusted_user_header:
            return None
        name = request.headers.get(self.trusted_user_header)
        return name if name and self._from_trusted_proxy() else None

    def _client_address(self) -> str | None:
        """Who sent the request: the peer, or the client a trusted proxy names last in
        ``X-Forwarded-For`` (the entries before it are the client's own claims)."""
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded and self._from_trusted_proxy():
            return forwarded.rsplit(",", 1)[-1].strip()[:64] or request.remote_addr
        return request.remote_addr

    def _from_proxy(self, name: str) -> Principal | None:
        user = self.accounts.get_user(name) if NAME_RE.match(name) else None
        if user is None:
            g.auth_problem = "the signed-on user has no Floorboard account"
            return None
        csrf_token()  # a browser sends proxy credentials by itself: it needs the CSRF token too
        g.credential = Credential(
            "proxy", user.name, user=user.name, role=user.role, agent_id=user.agent_id
        )
        return user_principal(user, "proxy")

    def _from_session(self, sid: str, idle: int) -> Principal | None:
        record = self.accounts.session(sid, idle or USER_IDLE_SECONDS)
        key = self.accounts.session_key(sid)
        principal = None
        if record and record.get("kind") == "user":
            user = self.accounts.get_user(record["name"])
            if user and user.password_set == record.get("since"):
                principal = user_principal(user, "session")
                g.credential = Credential(
                    "session", key, user=user.name, stamp=user.password_set, role=user.role,
                    agent_id=user.agent_id,
                )  # fmt: skip
        elif record and record.get("kind") == "token":
            token = self.accounts.get_token(record["token"])
            if token:
                principal = Principal(token.label, token.role, "session")
                g.credential = Credential("session", key, token=token.id)
        if principal is None:
            session.pop("sid", None)  # expired, logged out elsewhere, user removed, token revoked
        return principal
