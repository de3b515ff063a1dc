"""The wall's live items: one hub view per board, computed once per change for every screen.

A board (``view=wall&board=<id>``) is the tiles its config lists (:mod:`feeds.boards`) and the
band above them. Each tile type has one pure view-model function here, in :data:`MODELS`:
what it computes from the mirrored bus state, and which envelopes can change it; the page side
(``tiles.py`` and ``wall.js``, next to this file) draws it. The view's key carries the board's
version, so a board whose config changed is a new view, built from the new config.

Items: ``tile:<queue>`` (waiting, longest wait, service level, ASA, abandons, delay reason),
``agents`` (agents by state), ``agent_grid``, ``staffing``, ``outages``, ``messages`` (the
ticker), ``big_clock``, ``floor`` (agents by team and state), ``blended`` (the waiting contacts
in arrival order), ``alerts`` (the supervisors' alerts as watches), ``sl_chart[:<queue>]`` and
``staffing_chart[:<queue>]`` (each two items, the day and ``…:now``:
:mod:`dashboard.pages.charts.model`), and ``bands`` (urgent messages and outages, one line
each). Delay reasons are stored with the queue id as their item id, one per queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.pages.charts.model import NOW, Chart
from dashboard.pages.items import (
    AGENT_LABELS,
    Item,
    agents_summary,
    blended_list,
    feeding_sources,
    fmt_percent,
    item,
    message_ticker,
    outage_band,
    outage_list,
    queue_tile,
    worst,
)
from feeds.alerts import watches
from feeds.boards import Board, Tile
from feeds.bus.fields import AGENT_STATES
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.intraday.series import Series, scope
from feeds.times import NO_VALUE

Mirror = Mapping[str, Mapping[str, Envelope]]
BANDS = "bands"
WAITING_SHOWN = 12  # contacts the blended tile lists; more are counted


@dataclass(frozen=True)
class TileModel:
    """A tile type's view-model: its item's key, what computes it (None: a tile drawn from
    the config alone, such as the logo) and whether an envelope can change it."""

    compute: Callable[[WallView, Tile, Mirror, float], Item] | None
    watches: Callable[[WallView, Tile, Envelope], bool] = lambda view, tile, env: False
    key: Callable[[Tile], str] = lambda tile: tile.key
    now: TileModel | None = None  # a chart's second item, ``<key>:now``: its moving intervals


class WallView:
    """One wall board: its tiles' items and the band of urgent messages and outages."""

    def __init__(self, config: Config, board: Board) -> None:
        self.config = config
        self.board = board
        self.layout = config.board_version(board)  # what an open screen compares with its own
        self.key = f"wall:{board.id}@{self.layout}"
        self.queue_ids = list(board.queues)
        self.tiles: dict[str, tuple[Tile, TileModel]] = {}
        for t in board.tiles:
            model = MODELS[t.type]
            if model.compute:
                self.tiles[model.key(t)] = (t, model)
            if model.now:
                self.tiles[model.key(t) + NOW] = (t, model.now)
        self.charts: dict[str, Chart] = {}  # by tile key
        self.series: dict[str, Series] = {}  # by scope: the points its charts share
        # A board with the outages tile shows them there in full; the band keeps to messages.
        self.band_outages = not any(t.type == "outages" for t in board.tiles)

    def keys(self) -> list[str]:
        return [*self.tiles, BANDS]

    def affected(self, env: Envelope) -> set[str]:
        keys = {k for k, (t, model) in self.tiles.items() if model.watches(self, t, env)}
        return keys | ({BANDS} if env.kind in ("message", "outage") else set())

    def compute(self, key: str, mirror: Mirror, now: float) -> Item:
        if key == BANDS:
            return self.bands(mirror, now)
        tile, model = self.tiles[key]
        assert model.compute is not None  # only tiles with a view-model have an item
        return model.compute(self, tile, mirror, now)

    def chart(self, tile: Tile) -> Chart:
        """A chart tile's chart: of its queue, else of the board's queues together."""
        if tile.key not in self.charts:
            kind = tile.type.removesuffix("_chart")
            s = scope(self.config, f"queue:{tile.arg}" if tile.arg else "", self.queue_ids)
            series = self.series.setdefault(s.key, Series(s))
            self.charts[tile.key] = Chart(self.config, kind, series)
        return self.charts[tile.key]

    # -- what several tiles share -------------------------------------------------------------

    def agents(self, mirror: Mirror) -> list[Envelope]:
        """The board's agents: all, or its team's."""
        agents = mirror.get("agent", {}).values()
        return [a for a in agents if self.board.team in (None, a.data.get("team"))]

    def outages(self, mirror: Mirror) -> list[dict[str, Any]]:
        """Outages touching the board's queues, most severe first, each naming what it hits."""
        entries = outage_band(mirror.get("outage", {}).values(), self.queue_ids)["list"]
        return [{**e, "affects": self.queue_names(e["queues"])} for e in entries]

    def queue_names(self, queue_ids: Iterable[str]) -> str:
        names = [q.name for q in self.config.queues if q.id in set(queue_ids)]
        return ", ".join(names) if names else "every queue"

    def messages(self, mirror: Mirror, now: float) -> Item:
        messages = mirror.get("message", {}).values()
        return message_ticker(messages, self.queue_ids, now, self.board.team)

    def bands(self, mirror: Mirror, now: float) -> Item:
        """Urgent messages, then outages (unless the board has their tile): a line each."""
        messages = self.messages(mirror, now)["list"]
        urgent = [{**m, "kind": "message"} for m in messages if m["priority"] == "urgent"]
        outages = self.outages(mirror) if self.band_outages else []
        band = outage_list([{**o, "kind": "outage"} for o in outages])
        status = "alert" if urgent else band["status"]
        lines = urgent + band["list"]
        return item(status=status, list=lines, seconds=self.config.wall.band_seconds)


# -- the tile types' view-models ------------------------------------------------------------------


def _queue(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    queue = view.config.queue(tile.arg)
    assert queue is not None  # boards only name configured queues (config validation)
    stats, delay = mirror.get("queue", {}).get(tile.arg), mirror.get("delay", {}).get(tile.arg)
    sources = feeding_sources(stats, mirror.get("heartbeat", {}))
    return queue_tile(queue, stats, delay, view.config.centre.stale_after, sources)


def _agent_states(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    queues = mirror.get("queue", {})
    waiting = sum(queues[q].data["waiting"] for q in view.queue_ids if q in queues)
    return agents_summary(view.agents(mirror), view.queue_ids, waiting)


def agent_grid(agents: Iterable[Envelope], queue_ids: Iterable[str]) -> Item:
    """Every agent on shift skilled for these queues: state (a word and a colour), how long in
    it (a timer), the reason when away; ready first, then by state, longest in it first."""
    wanted = set(queue_ids)
    order = {state: i for i, state in enumerate(AGENT_STATES)}
    shown = [
        a for a in agents if a.data["state"] != "offline" and wanted.intersection(a.data["skills"])
    ]
    shown.sort(key=lambda a: (order[a.data["state"]], a.data["since"]))
    entries = [
        {
            "id": a.id,
            "name": a.data["name"],
            "state": a.data["state"],
            "label": AGENT_LABELS[a.data["state"]],
            "reason": a.data.get("reason") or "",
            "since": a.data["since"],
        }
        for a in shown
    ]
    newest = max((a.ts for a in shown), default=None)
    return item(newest, list=entries)


def _agent_grid(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    return agent_grid(view.agents(mirror), view.queue_ids)


def staffing(config: Config, queue_ids: Iterable[str], stats: Mapping[str, Envelope]) -> Item:
    """Agents a queue needs against those working it, per queue, from the ``staffing`` object
    of its statistics (feeds.metrics.staffing: ``required``, ``gap`` = required − working,
    ``agents_effective`` = working, blended agents by their share, else ``agents``;
    ``projected_sl``); a feed without them says so. The big number: agents short across the
    board's queues."""
    rows, short, known = [], 0, False
    for qid in queue_ids:
        queue, env = config.queue(qid), stats.get(qid)
        assert queue is not None
        s = (env.data.get("staffing") if env else None) or {}
        gap, sl = s.get("gap"), s.get("projected_sl")
        if gap is None:
            rows.append({"id": qid, "queue": queue.name, "text": NO_VALUE, "status": "ok",
                         "detail": "no staffing figures"})  # fmt: skip
            continue
        known, short = True, short + max(0, gap)
        status = "ok" if gap <= 0 else "warn"
        if gap > 0 and sl is not None and queue.thresholds.service_level.status(sl) == "alert":
            status = "alert"
        text = f"needs {gap} more" if gap > 0 else f"{-gap} spare" if gap < 0 else "staffed"
        working = s.get("agents_effective", s.get("agents"))
        shown = NO_VALUE if working is None else f"{round(working, 1):g}"
        detail = f"{shown} working, {s.get('required', NO_VALUE)} needed"
        if sl is not None:
            detail += f" · SL {fmt_percent(sl)}"
        rows.append({"id": qid, "queue": queue.name, "text": text, "status": status,
                     "detail": detail})  # fmt: skip
    status = worst(r["status"] for r in rows)
    fields = {"short": {"text": str(short) if known else NO_VALUE, "status": status}}
    newest = max((stats[q].ts for q in queue_ids if q in stats), default=None)
    return item(newest, config.centre.stale_after, status, fields=fields, list=rows)


def team_states(agents: Iterable[Envelope]) -> Item:
    """The floor by team for a wall: each team's agents per state (offline left out) and since
    when the longest of each has been in it (the timers tick on the screen)."""
    teams: dict[str, dict[str, Any]] = {}
    for a in agents:
        d = a.data
        if d["state"] == "offline":
            continue
        team = teams.setdefault(d.get("team") or "", {"counts": {}, "since": {}})
        state = d["state"]
        team["counts"][state] = team["counts"].get(state, 0) + 1
        team["since"][state] = min(team["since"].get(state, d["since"]), d["since"])
    rows = [
        {"team": name or "No team", "states": [
            {"state": s, "label": AGENT_LABELS[s], "n": t["counts"][s], "since": t["since"][s]}
            for s in AGENT_STATES if s in t["counts"]]}
        for name, t in sorted(teams.items())
    ]  # fmt: skip
    return item(list=rows)


def _floor(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    return team_states(view.agents(mirror))


def _blended(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    """The blended queue of the board's queues, in the order it is worked."""
    mine = set(view.queue_ids)
    contacts = [c for c in mirror.get("contact", {}).values() if c.data["queue"] in mine]
    names = {q.id: q.name for q in view.config.queues}
    return blended_list(contacts, names, WAITING_SHOWN)


def _alerts(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    """The console's alerts (feeds.alerts, with the rules supervisors set) for the board's
    queues and agents: the wall fires each on the second, as the console does."""
    stats = {q: s for q, s in mirror.get("queue", {}).items() if q in view.queue_ids}
    stored = mirror.get("alert_rule", {}).values()
    return item(**watches(view.config, stats, view.agents(mirror), stored))


def _staffing(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    return staffing(view.config, view.queue_ids, mirror.get("queue", {}))


def _outages(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    return outage_list(view.outages(mirror))


def _messages(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    return view.messages(mirror, now)


def _clock(view: WallView, tile: Tile, mirror: Mirror, now: float) -> Item:
    return item()  # the time is the browser's (the server's clock, kept by stream.js)


def _kind(*kinds: str) -> Callable[[WallView, Tile, Envelope], bool]:
    return lambda view, tile, env: env.kind in kinds


def _board_queue(view: WallView, tile: Tile, env: Envelope) -> bool:
    return env.kind == "queue" and env.id in view.queue_ids


def _chart_model() -> TileModel:
    """A chart tile: its day item, and its moving intervals as ``<key>:now``."""
    return TileModel(
        lambda view, tile, mirror, now: view.chart(tile).day_item(mirror, now),
        lambda view, tile, env: view.chart(tile).watches_day(env),
        now=TileModel(
            lambda view, tile, mirror, now: view.chart(tile).now_item(mirror, now),
            lambda view, tile, env: view.chart(tile).watches_now(env),
        ),
    )


MODELS: dict[str, TileModel] = {
    "queue": TileModel(  # a heartbeat: its producer may be the one feeding the tile
        _queue,
        lambda view, tile, env: (
            env.kind == "heartbeat" or (env.kind in ("queue", "delay") and env.id == tile.arg)
        ),
    ),
    "agent_states": TileModel(
        _agent_states,
        lambda view, tile, env: env.kind == "agent" or _board_queue(view, tile, env),
        key=lambda tile: "agents",
    ),
    "agent_grid": TileModel(_agent_grid, _kind("agent")),
    "staffing": TileModel(_staffing, _board_queue),
    "outages": TileModel(_outages, _kind("outage")),
    "ticker": TileModel(_messages, _kind("message"), key=lambda tile: "messages"),
    "clock": TileModel(_clock, key=lambda tile: "big_clock"),  # "clock" is the header's
    "logo": TileModel(None),
    "sl_chart": _chart_model(),
    "staffing_chart": _chart_model(),
    # Issue 13: the floor by team, and the blended queue.
    "floor": TileModel(_floor, _kind("agent")),
    "blended": TileModel(_blended, _kind("contact")),
    "alerts": TileModel(
        _alerts,
        lambda view, tile, env: (
            env.kind in ("agent", "alert_rule") or _board_queue(view, tile, env)
        ),
    ),
}
