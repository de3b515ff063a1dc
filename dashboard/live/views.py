"""Which items a view is made of, and which of them a bus change touches.

A view spec turns the hub's mirror into items (see :mod:`dashboard.viewmodels`) and says, for
one envelope, which item keys to recompute: so a change costs work for the items it touches,
once per view, however many screens show that view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from dashboard.auth import current_principal
from dashboard.pages.agent.model import History, agent_view_for
from dashboard.pages.console.model import ConsoleView
from dashboard.pages.items import Item, agents_summary, message_ticker, outage_band, queue_tile
from feeds.bus.schema import Envelope
from feeds.config import Board, Config
from feeds.notices.messages import Agent

Mirror = dict[str, dict[str, Envelope]]


class ViewSpec(Protocol):
    key: str

    def keys(self) -> list[str]: ...
    def affected(self, env: Envelope) -> set[str]: ...
    def compute(self, key: str, mirror: Mirror, now: float) -> Item: ...


class WallView:
    """One wall board: a tile per queue, agents by state, outage band, message ticker.

    Delay reasons are stored with the queue id as their item id, one per queue.
    """

    def __init__(self, config: Config, board: Board) -> None:
        self.config = config
        self.board = board
        self.key = f"wall:{board.id}"
        self.queue_ids = list(board.queues)

    def keys(self) -> list[str]:
        return [*(f"tile:{q}" for q in self.queue_ids), "agents", "outages", "messages"]

    def affected(self, env: Envelope) -> set[str]:
        if env.kind == "queue" and env.id in self.queue_ids:
            return {f"tile:{env.id}", "agents"}
        if env.kind == "delay" and env.id in self.queue_ids:
            return {f"tile:{env.id}"}
        return {"agent": {"agents"}, "outage": {"outages"}, "message": {"messages"}}.get(
            env.kind, set()
        )

    def compute(self, key: str, mirror: Mirror, now: float) -> Item:
        if key.startswith("tile:"):
            qid = key.removeprefix("tile:")
            queue = self.config.queue(qid)
            assert queue is not None  # boards only name configured queues (config validation)
            return queue_tile(
                queue,
                mirror.get("queue", {}).get(qid),
                mirror.get("delay", {}).get(qid),
                self.config.centre.stale_after,
            )
        if key == "agents":
            queues = mirror.get("queue", {})
            waiting = sum(queues[q].data["waiting"] for q in self.queue_ids if q in queues)
            return agents_summary(mirror.get("agent", {}).values(), self.queue_ids, waiting)
        if key == "outages":
            return outage_band(mirror.get("outage", {}).values(), self.queue_ids)
        if key == "messages":
            return message_ticker(mirror.get("message", {}).values(), self.queue_ids, now)
        raise KeyError(key)


def view_for(
    config: Config,
    view: str,
    params: dict[str, str],
    roster: Callable[[], Mapping[str, Agent]] = dict,
    history: History | None = None,
) -> ViewSpec:
    """The spec for a stream request, or ``LookupError`` naming what is wrong.

    ``roster`` gives the agents known beyond the bus's agent states, for the console's
    acknowledgement counts (the app passes a cached read of the account store's agent users).
    ``history`` reads a customer's earlier contacts for the agent tab's moment-of-truth card;
    ``PermissionError`` when the request's principal may not see the agent asked for.
    """
    if view == "wall":
        board_id = params.get("board", "")
        board = config.board(board_id)
        if board is None:
            raise LookupError(f"board: unknown board {board_id!r}")
        return WallView(config, board)
    if view == "console":
        return ConsoleView(config, roster)
    if view == "agent":
        return agent_view_for(config, params, current_principal(), roster, history)
    raise LookupError(f"view: unknown view {view!r}; expected 'wall', 'console' or 'agent'")
