"""``GET /api/v1/agents/<agent_id>/day``: one agent's day so far, as the floor opens it.

Today's contacts the agent answered or handled, their states as spans, and the messages that
asked them for an acknowledgement with when they gave it (:mod:`feeds.intraday.agent_day`, in
words by :mod:`dashboard.pages.agentday.model`). Who may read it is
:func:`dashboard.auth.access.may_view_agent`'s to say, as for the agent's tab and stream:
supervisors anyone's, an agent only their own (403 otherwise, 401 without credentials).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify

from dashboard.auth.access import may_view_agent, require_role
from dashboard.auth.principal import current_principal
from dashboard.errors import error_response
from dashboard.pages.agentday.model import day_view
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.intraday.agent_day import read_agent_day
from feeds.intraday.agent_streams import AgentStreams
from feeds.notices.messages import Messages
from feeds.notices.service import NotFound

# This process's shares of the day's streams: a day built again reads only what is new.
STREAMS = AgentStreams()


def agent_day(bus: Bus, config: Config, messages: Messages, agent_id: str) -> dict:
    """The day of a known agent (on the bus or a user), as the page shows it; NotFound else."""
    agents = messages.agents(bus.client)
    if agent_id not in agents:
        raise NotFound("agent_id", f"unknown agent {agent_id!r}")
    return day_view(read_agent_day(bus, config, agent_id, time.time(), agents, STREAMS), config)


def add_routes(bp: Blueprint, bus: Bus, config: Config) -> None:
    messages = Messages(bus, config)

    @bp.get("/agents/<agent_id>/day")
    @require_role("agent")
    def agent_day_route(agent_id: str) -> Response:
        """One agent's day so far: contacts, states, acknowledgements."""
        if not may_view_agent(current_principal(), agent_id):
            return error_response(403, "agent_id", "an agent may only see their own day")
        return jsonify(agent_day(bus, config, messages, agent_id))
