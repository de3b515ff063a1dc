"""Each agent's share of today's contacts and agents streams: read once, then only what is new.

An agent's day (:mod:`feeds.intraday.agent_day`) is built again whenever their state, their
contact or their messages change, in the web worker that also serves the walls' streams.
Reading the whole day's streams for it each time costs O(day): 2.9 s of CPU on a day of
100,000 contacts, during which that worker's walls wait. :class:`AgentStreams` keeps, for each
agent and day, the stream entries that concern them and where each stream was last read, so
building the day again reads only what was written since.

What concerns an agent:

* in the agents stream, entries that carry their id (:func:`feeds.intraday.agent_day.state_changes`
  then keeps their own items only);
* in the contacts stream, every event of a contact from the first one that names them as its
  agent on: each later phase of a contact carries the whole contact (when it was offered, its
  queue, channel and customer), so its legs are what all its events give
  (tests/test_agent_day.py checks them against the whole day read again).

A flush or a restore of Redis puts the bus's sequence number back: the shares are then read
again from the start of the day. Kept for the :data:`SHARES` agents opened last, today's
only (a share of an earlier day goes when a later day's is first read). Memory: ~650 bytes
per entry kept (measured on a 100,000-contact day); an entry is one agent's (a transferred
contact's, two agents'), so all the shares together hold at most about what the two streams
hold (``history.stream_events`` each): ~130 MB per web worker at the default 100,000 with
every agent's day open, and in proportion to a larger setting.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from feeds.bus.bus import Bus
from feeds.intraday.store import PAGE

SHARES = 128  # agents whose shares are kept, the ones opened last
# The entry's envelope as the bus writes it (feeds/bus/lua.py): its seq, kind, then its id.
_ID = re.compile(rb'\{"seq":-?\d+,"kind":"[a-z_]+","id":"((?:[^"\\]|\\.)*)"')

Entry = tuple[float, bytes]  # (written, envelope JSON), as stream_range gives them


def mark(name: str, value: str) -> bytes:
    """``"name":"value"`` as the bus's JSON writes it (compact, UTF-8 as is): a cheap test
    of whether a raw entry may concern ``value`` before it is parsed."""
    return json.dumps({name: value}, separators=(",", ":"), ensure_ascii=False)[1:-1].encode()


def entry_id(raw: bytes) -> bytes | None:
    """The item id of a raw stream entry as written (JSON-escaped), None if not the bus's."""
    found = _ID.match(raw)
    return found[1] if found else None


@dataclass
class _Share:
    seq: int  # the bus's sequence number when last read: lower now means Redis was reset
    contacts_after: str  # stream id bound of the next read: "<ms>-0" at first, then "(<id>"
    agents_after: str
    contacts: list[Entry] = field(default_factory=list)
    states: list[Entry] = field(default_factory=list)
    ids: set[bytes] = field(default_factory=set)  # their contacts' ids, as written
    lock: threading.Lock = field(default_factory=threading.Lock)


class AgentStreams:
    """Per process: the agents' shares of the day's streams, kept up to date on each read."""

    def __init__(self, size: int = SHARES) -> None:
        self._size = size
        self._shares: OrderedDict[tuple[object, str, str, float], _Share] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, bus: Bus, agent_id: str, day_start: float, contacts_from: float,
             states_from: float) -> tuple[list[Entry], list[Entry]]:  # fmt: skip
        """The agent's entries of the contacts stream written since ``contacts_from`` and of
        the agents stream since ``states_from`` (epoch seconds, fixed for the day that starts
        at ``day_start``), in the order written."""
        seq = bus.current_seq()
        key = (_server(bus.client), bus.prefix, agent_id, day_start)
        with self._lock:
            share = self._shares.get(key)
            if share is None or seq < share.seq:
                share = _Share(seq, _first(contacts_from), _first(states_from))
                self._shares[key] = share
                for old in [k for k in self._shares if k[:2] == key[:2] and k[3] < day_start]:
                    del self._shares[old]  # an earlier day's: no page reads it again
            self._shares.move_to_end(key)
            while len(self._shares) > self._size:
                self._shares.popitem(last=False)
        with share.lock:  # one reader of a share at a time: each entry is taken once
            share.seq = seq
            agent = mark("agent_id", agent_id)
            share.contacts_after = _follow(bus.client, bus.contacts_key, share.contacts_after,
                                           lambda raw: _contact_is_theirs(raw, agent, share.ids),
                                           share.contacts)  # fmt: skip
            own = mark("id", agent_id)
            share.agents_after = _follow(bus.client, bus.agents_key, share.agents_after,
                                         lambda raw: own in raw, share.states)  # fmt: skip
            return list(share.contacts), list(share.states)


def _server(client: redis.Redis) -> object:
    """Which Redis a client reads (one process may talk to several, as tests do)."""
    pool = getattr(client, "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", None)
    return tuple(kwargs.get(k) for k in ("host", "port", "path", "db")) if kwargs else id(client)


def _first(ts: float) -> str:
    return f"{int(ts * 1000)}-0"


def _contact_is_theirs(raw: bytes, agent: bytes, ids: set[bytes]) -> bool:
    """Whether a contact event belongs to the agent's share: it names them (and its contact
    becomes theirs), or its contact already is."""
    if agent in raw:
        cid = entry_id(raw)
        if cid is not None:
            ids.add(cid)
        return True
    return bool(ids) and entry_id(raw) in ids


def _follow(
    client: redis.Redis, key: str, low: str, keep: Callable[[bytes], bool], into: list[Entry]
) -> str:
    """Read ``key`` from ``low`` to its end, a page per round trip, appending to ``into`` the
    entries ``keep`` takes; returns the bound of the next read."""
    while True:
        page = client.xrange(key, min=low, max="+", count=PAGE)
        for stream_id, fields in page:
            raw = fields.get(b"e", b"")
            if keep(raw):
                into.append((int(stream_id.split(b"-")[0]) / 1000, raw))
        if page:
            low = "(" + page[-1][0].decode()
        if len(page) < PAGE:
            return low
