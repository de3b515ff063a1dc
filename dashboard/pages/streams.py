"""Which view a stream request opens, and whether the one asking may see it.

The stream route (:mod:`dashboard.live.stream`) knows no page: it asks this factory for the view
spec of ``/stream?view=…``. Each page's view-model is built here with what it needs from the
app (the roster of agents, customers' contact histories), and the access rules are asked of
:mod:`dashboard.auth.access`, the same rules the pages themselves use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dashboard.auth.access import may_view_agent
from dashboard.auth.principal import Principal, has_role
from dashboard.live.spec import ViewFactory, ViewSpec
from dashboard.pages.agent.model import AgentView, Customers, History
from dashboard.pages.console.model import ConsoleView
from dashboard.pages.floor.model import FloorView
from dashboard.pages.today.model import TodayView
from dashboard.pages.wall.model import WallView
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.intraday.series import scope
from feeds.notices.audience import Agent

VIEWS = ("wall", "console", "floor", "today", "agent")


def view_factory(
    config: Config,
    roster: Callable[[], Mapping[str, Agent]] = dict,
    history: History | None = None,
    customers: Customers | None = None,
    live: Callable[[], Config] | None = None,
) -> ViewFactory:
    """The factory the stream routes call.

    ``roster`` gives the agents known beyond the bus's agent states (the console's
    acknowledgement counts, an agent with no state yet); ``history`` and ``customers`` read a
    customer's earlier contacts, profile and ledger for the agent tab's moment-of-truth card;
    ``live`` gives the config as the file says now (:class:`feeds.live_config.LiveConfig`),
    which walls follow.
    """
    walls: dict[str, WallView] = {}  # for the config in use: an open wall asks every 2 s
    current = [config]

    def wall(board_id: str) -> WallView:
        now = live() if live is not None else config
        if now is not current[0]:
            current[0] = now
            walls.clear()
        board = now.board(board_id)
        if board is None:
            raise LookupError(f"board: unknown board {board_id!r}")
        if board_id not in walls:
            walls[board_id] = WallView(now, board)
        return walls[board_id]

    def view_for(view: str, params: dict[str, str], principal: Principal | None) -> ViewSpec:
        if view == "wall":
            return wall(params.get("board", ""))
        if view == "console":
            return ConsoleView(config, roster)
        if view == "floor":
            return FloorView(config, roster)
        if view == "today":
            try:
                return TodayView(config, scope(config, params.get("scope") or "all"))
            except SchemaError as exc:
                raise LookupError(str(exc)) from None
        if view == "agent":
            agent_id = params.get("agent", "")
            if not agent_id:
                raise LookupError("agent: no agent given")
            if not may_view_agent(principal, agent_id):
                raise PermissionError("an agent may only open their own tab")
            if has_role(principal, "supervisor") and agent_id not in roster():
                raise LookupError(f"agent: unknown agent {agent_id!r}")
            return AgentView(config, agent_id, roster, history, customers)
        expected = ", ".join(repr(v) for v in VIEWS)
        raise LookupError(f"view: unknown view {view!r}; expected one of {expected}")

    return view_for
