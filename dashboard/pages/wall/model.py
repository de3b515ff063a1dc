"""The wall's live items: one hub view per board, computed once per change for every screen.

A board's view (``view=wall&board=<id>``, key ``wall:<id>``) holds a tile per queue
(``tile:<queue>``: waiting, longest wait, service level, ASA, abandons, delay reason), agents by
state across the board's queues, the outage band and the message ticker. Delay reasons are
stored with the queue id as their item id, one per queue.
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.pages.items import Item, agents_summary, message_ticker, outage_band, queue_tile
from feeds.bus.schema import Envelope
from feeds.config import Board, Config

Mirror = Mapping[str, Mapping[str, Envelope]]


class WallView:
    """One wall board: a tile per queue, agents by state, outage band, message ticker."""

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
