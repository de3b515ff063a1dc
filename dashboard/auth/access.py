"""May they: the one place that decides what a principal may see and do.

Pages, streams and the API all ask here, so a rule (who may open which agent's tab, which role
a view or a route needs) is written once and the answers agree: a refusal is a 401 when nobody
is signed in (or the credentials are bad), 503 when the account store cannot be asked, and a
403 naming the role needed when the principal may not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import flask
from flask import g

from dashboard.auth.principal import RANK, Principal, current_principal, has_role
from dashboard.errors import error_response
from feeds.notices.audience import FLOOR, SUPERVISOR, Agent, Reader

UNAVAILABLE = "the account store is unavailable"
# Views that show more than the wall screens may, and the role each needs. (Wall streams follow
# the config's wall access, see dashboard.auth.walls; which agent's view an agent may open is
# may_view_agent's to say.)
VIEW_ROLES = {"console": "supervisor", "floor": "supervisor", "today": "supervisor",
              "agent": "agent"}  # fmt: skip


def unauthenticated() -> flask.Response:
    """401 (or 503 when the account store could not be asked) for a request without principal."""
    problem = g.get("auth_problem")
    if problem == UNAVAILABLE:
        return error_response(503, "authorization", UNAVAILABLE)
    response = error_response(401, "authorization", problem or "log in or send an API token")
    response.headers["WWW-Authenticate"] = 'Bearer realm="floorboard"'
    return response


def refusal(*roles: str) -> flask.Response | None:
    """The answer for the current request if it needs one of ``roles`` and lacks it, else None."""
    principal = current_principal()
    if principal is None:
        return unauthenticated()
    if not has_role(principal, *roles):
        needs = " or ".join(roles)
        return error_response(
            403, "authorization", f"role {principal.role} cannot do this: needs {needs}"
        )
    return None


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for Flask views: 401 without a principal, 403 when no role of ``roles`` passes."""
    if not roles or any(r not in RANK for r in roles):
        raise ValueError(f"require_role: roles must be among {', '.join(RANK)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return refusal(*roles) or view(*args, **kwargs)

        guarded.roles = roles  # type: ignore[attr-defined]  # what /api/v1/openapi.json says
        return guarded

    return decorate


def may_view_agent(principal: Principal | None, agent_id: str) -> bool:
    """An agent sees only their own tab and stream; supervisors and admins may look at anyone's."""
    if principal is None:
        return False
    return has_role(principal, "supervisor") or principal.agent == agent_id


def own_tab(principal: Principal) -> str | None:
    """The tab a principal may always open: their own, if they are an agent."""
    return f"/agent/{principal.agent}" if principal.agent else None


def landing(principal: Principal) -> str:
    """Where a principal goes after signing in when no page asked for the sign-in."""
    if principal.agent:
        return f"/agent/{principal.agent}"
    return "/supervisor" if has_role(principal, "supervisor") else "/"


def message_reader(principal: Principal, agents: Mapping[str, Agent]) -> Reader:
    """How a principal reads key messages (:func:`feeds.notices.audience.reaches`), the same
    rule as their streams: supervisors everything, an agent what is aimed at them, anyone else
    what the walls show."""
    if has_role(principal, "supervisor"):
        return SUPERVISOR
    if principal.agent is not None:
        return Reader(agent=agents.get(principal.agent) or Agent(principal.agent, principal.name))
    return FLOOR


def sees_internal_notes(principal: Principal) -> bool:
    """Outages' internal notes are for supervisors; walls and agent tabs never carry them."""
    return has_role(principal, "supervisor")
