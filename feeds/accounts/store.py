"""The account store: users, API tokens and login sessions, kept in Redis under the prefix.

Every app worker and host must agree on who may do what, and a revoked token or a removed user
must stop working everywhere at once, so all of it lives in Redis, not in the app, and a copy of
the Redis data gives nobody a way in. Each job has its module: :mod:`.users` (accounts and
passwords), :mod:`.tokens` (API tokens), :mod:`.sessions` (browser sessions and the credentials
of open streams). Sign-in rate limits live with the sign-in page
(:mod:`dashboard.pages.login.limits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feeds.accounts.sessions import Sessions
from feeds.accounts.tokens import Tokens
from feeds.accounts.users import Users

if TYPE_CHECKING:
    import redis


class Accounts(Users, Tokens, Sessions):
    """Account storage for one key prefix; safe to share between threads and greenlets."""

    def __init__(self, client: redis.Redis, prefix: str = "fb:") -> None:
        self.client = client
        self.prefix = prefix
        self.users_key = f"{prefix}users"
        self.tokens_key = f"{prefix}tokens"
