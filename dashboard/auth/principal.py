"""Who is asking: the principal of a request, and the ranking of roles.

One home for "who is this": the name the audit log gives them (:attr:`Principal.actor`) and the
agent they are on the bus (:attr:`Principal.agent`), so the API, the console and the agent tab
can never name the same person two ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g

from feeds.accounts.users import ROLES

# Each role may do what the roles below it may: admin > supervisor > agent > viewer.
RANK = {role: len(ROLES) - 1 - i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    """Who is making the request: a logged-in user or an API token."""

    name: str  # username, or token label
    role: str  # one of ROLES
    via: str  # "session" (cookie) or "proxy" (SSO header): CSRF applies; or "token"
    agent_id: str | None = None  # for role agent: the agent they are
    team: str | None = None

    @property
    def agent(self) -> str | None:
        """The agent this principal is on the bus: an agent user's agent id (their name when
        none is set); None for every other role."""
        return (self.agent_id or self.name) if self.role == "agent" else None

    @property
    def actor(self) -> str:
        """How the audit log and message authors name them, as people read it: a person by
        their user name (``super``), whether they signed in here or through single sign-on;
        an API token by its label (``token: acd-1``), since a token is a feed, not a person."""
        return f"token: {self.name}" if self.via == "token" else self.name


def has_role(principal: Principal | None, *roles: str) -> bool:
    """Whether the principal passes a check for any of ``roles`` (higher roles pass lower)."""
    return principal is not None and any(RANK[principal.role] >= RANK[r] for r in roles)


def current_principal() -> Principal | None:
    """The principal of the current request (set before every request), or None."""
    return g.get("principal")
