"""The ordering rule: which of two events about one item is the item's latest value.

Feeds are at-least-once and out of order: an ACD re-delivers, a network reorders, a producer's
clock runs a little ahead. One rule decides, for every kind, and both the bus's live state (its
Lua script, :mod:`feeds.bus.bus`) and the aggregator (:mod:`feeds.metrics.aggregator`) apply it,
so the wall's agent panel and the queue statistics never disagree about the same item.

Every event gets a **key** ``(stage, at, deleted)``, compared left to right; the greater key is
the latest value:

- ``stage``: how far the item's own lifecycle has got. Only contacts have one: ``leg × 4 +
  phase`` with the phases offered 0 < abandoned 1 < answered 2 < completed 3, so a re-delivered
  "offered" never reopens an answered contact, a "completed" that overtook its "answered" stays
  completed, an "answered" outranks an "abandoned" (an agent spoke to the caller), and a
  transfer's next leg outranks the whole previous leg. A deleted contact is past every stage.
  Every other kind has stage 0: agents, queues, notices are ordered by time alone.
- ``at``: the event's timestamp as the receiver trusts it: ``min(ts, now)``. A stamp more than
  ``max_skew`` seconds ahead of the receiver's clock is refused (:class:`FutureEvent`); one a
  little ahead is clamped to ``now``, so a producer's skew can never roll the centre's day early
  nor pin an item to the future.
- ``deleted``: at the same stage and time a deletion beats a value.

Equal keys are the same event: an identical re-delivery changes nothing; a different body with
an equal key (an edit within the same instant) replaces it, so the last arrival wins a true tie.

Memory is bounded by ``remember`` seconds: the key of an item that has gone (deleted, or a
finished contact) is remembered that long, so a late or re-delivered event for it is recognised
as old, across the day rollover. Past that an event for the item is taken as new: history can
be imported and replayed (events older than anything remembered are simply old, not suspect),
at the price of not recognising a re-delivery later than ``remember``. A remembered key stamped
beyond ``now + max_skew`` (written by a clock that ran ahead) is not trusted: anything newer
replaces it.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import pydantic_core

from feeds.bus.fields import MAX_LEG
from feeds.bus.schema import Envelope
from feeds.errors import SchemaError

PHASES = {"offered": 0, "abandoned": 1, "answered": 2, "completed": 3}
PHASE_COUNT = len(PHASES)
DELETED_STAGE = (MAX_LEG + 1) * PHASE_COUNT  # a deleted contact is past every leg
DEFAULT_MAX_SKEW = 5.0  # seconds a producer's clock may run ahead of the receiver's
DEFAULT_REMEMBER = 48 * 3600.0  # seconds gone items and finished contacts are remembered


class FutureEvent(SchemaError):
    """An event stamped further ahead of the receiver's clock than the allowed skew."""

    def __init__(self, ts: float, now: float, max_skew: float, field: str = "ts") -> None:
        super().__init__(
            field,
            f"{ts - now:.0f} s ahead of the receiver's clock (at most {max_skew:g} s allowed)",
        )


class Key(NamedTuple):
    """An event's place in its item's order; the greater key is the latest value."""

    stage: int
    at: float
    deleted: int


def stage(kind: str, data: dict, deleted: bool) -> int:
    """The lifecycle stage of an event: contacts move through legs and phases, nothing else."""
    if kind != "contact":
        return 0
    if deleted:
        return DELETED_STAGE
    return data.get("leg", 1) * PHASE_COUNT + PHASES[data["event"]]


def beyond(ts: float, now: float, max_skew: float) -> bool:
    """Whether a stamp ``ts`` is further ahead of the receiver's ``now`` than it trusts."""
    return ts - now > max_skew


def ahead(stamps: list[float], now: float, max_skew: float) -> list[int]:
    """Which of a batch's stamps are :func:`beyond` the skew, in order: none looked at one by
    one when the latest is not (a batch's usual case)."""
    if not stamps or not beyond(max(stamps), now, max_skew):
        return []
    return [i for i, ts in enumerate(stamps) if beyond(ts, now, max_skew)]


def trusted_time(ts: float, now: float, max_skew: float) -> float:
    """``ts`` as the receiver trusts it: clamped to ``now``; refused beyond the skew."""
    if ts <= now:
        return ts
    if beyond(ts, now, max_skew):
        raise FutureEvent(ts, now, max_skew)
    return now


def order_key(env: Envelope, now: float, max_skew: float = DEFAULT_MAX_SKEW) -> Key:
    """The key of ``env`` received at ``now``; raises :class:`FutureEvent` past the skew."""
    at = trusted_time(env.ts, now, max_skew)
    return Key(stage(env.kind, env.data, env.deleted), at, int(env.deleted))


def supersedes(new: Key, old: Key | None, now: float, max_skew: float = DEFAULT_MAX_SKEW) -> bool:
    """Whether an event keyed ``new`` replaces the remembered ``old`` (None: nothing known).

    An equal key also replaces (the last arrival wins a true tie); callers that can tell an
    identical re-delivery skip it before writing, since it would change nothing.
    """
    return old is None or old.at > now + max_skew or new >= old


def digest(env: Envelope, data_json: bytes | None = None) -> str:
    """What makes two envelopes the same event (not who relayed it): kind, id, time, body.

    The SHA-1 of ``[kind, id, ts, deleted, data]`` as pydantic encodes it, the body in the
    order its kind's model gives its fields (every envelope's data is that model's dump): a
    third of the time of a sorted ``json`` encoding, on every write of every producer. Only a
    customer's ``consent`` map is the sender's own order: a re-delivery that lists it in
    another order is a tie, written again with the same content. ``data_json``: the data
    already encoded so (the bus's write encodes it once for this and what it stores)."""
    data = pydantic_core.to_json(env.data) if data_json is None else data_json
    head = pydantic_core.to_json([env.kind, env.id, env.ts, env.deleted])
    return hashlib.sha1(head[:-1] + b"," + data + b"]", usedforsecurity=False).hexdigest()[:16]


def encode(key: Key, env_digest: str) -> str:
    """The key as the bus stores it beside the live state, for :data:`SUPERSEDES_LUA`."""
    return key_text(key.stage, repr(key.at), key.deleted, env_digest)


def key_text(stage: int, at: str, deleted: int, env_digest: str) -> str:
    """:func:`encode` of a key's parts, its time ``at`` already written as ``repr`` writes it
    (a float's repr is a third of a microsecond, on every write)."""
    return f"{stage} {at} {deleted} {env_digest}"


# The same comparison as :func:`supersedes`, for the bus's publish script: keys encoded by
# :func:`encode`; an identical re-delivery (same key and digest) does not supersede, an equal
# key with another digest (a true tie) does.
SUPERSEDES_LUA = """
local function order_fields(k)
  local s, t, d = string.match(k, '^(%S+) (%S+) (%S+) %S+$')
  return tonumber(s), tonumber(t), tonumber(d)
end
local function supersedes(new, old, trust_until)
  if new == old then return false end
  local s1, t1, d1 = order_fields(new)
  local s0, t0, d0 = order_fields(old)
  if t0 > trust_until then return true end
  if s1 ~= s0 then return s1 > s0 end
  if t1 ~= t0 then return t1 > t0 end
  return d1 >= d0
end
"""
