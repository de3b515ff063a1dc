"""Wall boards in the config: which tiles a board shows and where, in a few lines of TOML.

::

    [[boards]]
    id = "billing"
    title = "Billing team"
    queues = ["billing", "moving"]    # the board's queues (default: every queue)
    team = "North"                    # only this team's agents, and messages for it
    theme = "light"                   # "dark" (default: [wall] theme) or "light"
    rotate_seconds = 30               # in a rotation, this board shows this long
    rows = [                          # top to bottom; each row's tiles side by side
      "queues staffing x2",           # "queues": a tile per queue of the board; x2: twice
      "agent_grid clock",             # the height of a plain row
      "ticker",
    ]

Every board has, above its rows, its header (centre, title, connection, clock) and the band
of urgent messages, outages and a lost connection: those reach every wall, whatever its rows.
A tile is a name from :data:`TILES`, some with an argument after a colon (``queue:billing``).
Strips (``agent_states``, ``ticker``) are as tall as their text; rows of other tiles share
what is left, in proportion to their weight (``x2`` at the end of a row; 1 without). The
page code of each tile is in ``dashboard/pages/wall/`` (docs/boards.md: adding a tile type).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from feeds.bus.fields import Ident


@dataclass(frozen=True)
class TileType:
    """What the config knows of a tile type: its argument and its shape."""

    argument: Literal["", "queue"] = ""  # "queue": names one of the board's queues
    strip: bool = False  # as tall as its text (a row of strips takes no share of the height)
    about: str = ""
    optional: bool = False  # the argument may be left out (a chart: the board's queues)


# The config names of the tile types. A new type is one name here, one view-model function
# and one renderer (dashboard/pages/wall/; the test of the wall's tiles checks all three).
TILES: dict[str, TileType] = {
    "queues": TileType(about="a queue tile for each of the board's queues"),
    "queue": TileType("queue", about="one queue's tile: queue:<id>"),
    "agent_states": TileType(strip=True, about="agents by state, in one strip"),
    "agent_grid": TileType(about="every agent on shift: state and time in it"),
    "staffing": TileType(about="agents needed against agents working, per queue"),
    "outages": TileType(about="the outages in full: wording, ETA, queues hit"),
    "ticker": TileType(strip=True, about="the key-message ticker"),
    "clock": TileType(about="a big clock and the date, in the centre's time zone"),
    "logo": TileType(about="the centre's logo ([wall] logo) or its name"),
    "sl_chart": TileType(
        "queue",
        optional=True,
        about="service level per interval against target, offered as bars: sl_chart[:<id>]",
    ),
    "staffing_chart": TileType(
        "queue",
        optional=True,
        about="agents required against agents staffed per interval: staffing_chart[:<id>]",
    ),
    "floor": TileType(about="the floor by team: agents in each state, the longest in it"),
    "blended": TileType(about="every contact waiting for the board's queues, in arrival order"),
    "alerts": TileType(about="the supervisors' alerts firing now: the board's queues and agents"),
}
DEFAULT_ROWS = ("queues", "agent_states", "ticker")  # the classic wallboard
MAX_ROWS = 6
WEIGHT = re.compile(r"^x([1-9])$")  # a row's height weight: "x2"
Theme = Literal["dark", "light"]


@dataclass(frozen=True)
class Tile:
    """One tile on a board: its type and argument; ``key`` names its item and components."""

    type: str
    arg: str = ""

    @property
    def key(self) -> str:
        """``tile:billing`` for a queue tile (its item key), ``sl_chart:billing`` for another
        type's argument, else the type's name."""
        if self.type == "queue":
            return f"tile:{self.arg}"
        return f"{self.type}:{self.arg}" if self.arg else self.type

    @property
    def strip(self) -> bool:
        return TILES[self.type].strip


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Wall(_Section):
    """Settings of every wall screen (``[wall]``)."""

    theme: Theme = "dark"  # "light" for bright rooms; a board or ?theme= may say otherwise
    logo: str = Field(default="", max_length=500, pattern=r"^((/|https?://)[^\s\"'<>()]*)?$")
    band_seconds: float = Field(default=8, ge=2, le=120)  # each page of bands, past two lines
    rotate_seconds: float = Field(default=30, ge=5, le=3600)  # a board in ?rotate= without one


class Board(_Section):
    id: Ident
    title: str = Field(min_length=1, max_length=80)
    queues: list[Ident] = Field(min_length=1)  # Config fills in every queue when not given
    team: str | None = Field(default=None, min_length=1, max_length=60)
    theme: Theme | None = None
    rotate_seconds: float = Field(default=0, ge=0)  # 0: no rotation (see docs/boards.md)
    rows: list[str] = Field(default=list(DEFAULT_ROWS), min_length=1, max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _tiles_fit(self) -> Board:
        """Known tiles, with their arguments, each at most once."""
        seen: set[str] = set()
        for i, row in enumerate(self.rows):
            words = self._words(row)
            if not words:
                raise KeyedError(f"rows.{i}", "an empty row")
            for word in words:
                if WEIGHT.match(word):
                    raise KeyedError(f"rows.{i}", f"{word!r}: a row's weight comes last")
                name, _, arg = word.partition(":")
                kind = TILES.get(name)
                if kind is None:
                    known = ", ".join(sorted(TILES))
                    raise KeyedError(f"rows.{i}", f"unknown tile {name!r}; expected one of {known}")
                if bool(arg) != bool(kind.argument) and not (kind.optional and not arg):
                    what = f"needs {name}:<id>" if kind.argument else "takes no argument"
                    raise KeyedError(f"rows.{i}", f"tile {name!r} {what}")
            for tile in self._row_tiles(row):
                if tile.arg and tile.arg not in self.queues:
                    reason = f"queue {tile.arg!r} is not one of the board's queues"
                    raise KeyedError(f"rows.{i}", reason)
                if tile.key in seen:
                    reason = f"{tile.key.removeprefix('tile:')!r} is shown twice"
                    raise KeyedError(f"rows.{i}", reason)
                seen.add(tile.key)
        return self

    @staticmethod
    def _words(row: str) -> list[str]:
        """The row's tiles (its weight, last, left out)."""
        words = row.split()
        return words[:-1] if words and WEIGHT.match(words[-1]) else words

    def _row_tiles(self, row: str) -> list[Tile]:
        tiles: list[Tile] = []
        for word in self._words(row):
            name, _, arg = word.partition(":")
            tiles += (
                [Tile("queue", q) for q in self.queues] if name == "queues" else [Tile(name, arg)]
            )
        return tiles

    @property
    def layout(self) -> list[list[Tile]]:
        """The rows with ``queues`` expanded: the tiles as they stand on the screen."""
        return [self._row_tiles(row) for row in self.rows]

    @property
    def weights(self) -> list[int]:
        """Each row's share of the height (strips take none, whatever they say)."""
        found = [WEIGHT.match(row.split()[-1]) for row in self.rows]
        return [int(m.group(1)) if m else 1 for m in found]

    @property
    def tiles(self) -> list[Tile]:
        return [t for row in self.layout for t in row]


class KeyedError(ValueError):
    """A mistake that knows its key, below where its validator ran (pydantic reports it at
    the model): ``feeds.config.parse_config`` names ``boards.0.rows.2``, not ``boards.0``."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key


def fill_queues(data: object) -> object:
    """A board without ``queues`` shows every queue: filled in before validation, so every
    rule about the board's queues sees them (and a malformed file is still reported as it is)."""
    if not isinstance(data, dict) or not isinstance(data.get("queues"), list):
        return data
    boards = data.get("boards")
    if not isinstance(boards, list):
        return data
    ids = [q["id"] for q in data["queues"] if isinstance(q, dict) and "id" in q]
    filled = [{"queues": ids, **b} if isinstance(b, dict) else b for b in boards]
    return {**data, "boards": filled}
