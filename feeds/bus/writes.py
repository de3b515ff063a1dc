"""What the bus's script is given for each write, and writes sent ahead of their answers.

Every write goes through one Lua script (:data:`feeds.bus.lua.WRITES_LUA`): :func:`call`
makes the keys and arguments of one call of it, each write's own by :func:`item`;
:class:`Packer` makes the same call as the bytes Redis reads, and :func:`bulk_send` sends
such calls one after another on a :class:`Line`, their results read later from the
:class:`Answers` it returns. :class:`feeds.bus.bus.Bus` writes with these.
"""

from __future__ import annotations

from typing import Any, Protocol

import hiredis
import pydantic_core
import redis

from feeds.bus import ordering
from feeds.bus.kinds import FINAL_EVENTS
from feeds.bus.lua import BULK
from feeds.bus.prepared import Prepared, Writable
from feeds.bus.schema import EVENT_KINDS, Envelope
from feeds.customers.history import MAX_CONTACTS, contacts_key, order_key, summary

# Two days: a re-delivery the next morning is still recognised (the aggregator's counters are
# per day, so a repeat from yesterday must not land in today's).
EVENT_ID_SECONDS = 2 * 86400


class Bus(Protocol):
    """What a write needs of the bus (:class:`feeds.bus.bus.Bus`): its keys, its channel and
    how long and how much it keeps."""

    prefix: str
    seq_key: str
    contacts_key: str
    agents_key: str
    channel: str
    kind_keys: dict[str, tuple[str, str, str]]  # each kind's state, order and gone keys
    keep: float  # seconds a customer's history is kept
    keep_ttl: int
    max_skew: float
    remember: float
    stream_events: int

    def event_key(self, event_id: str) -> str: ...

    def script(self) -> Any: ...


def is_retained(env: Envelope) -> bool:
    """Whether the state keeps this envelope as its item's latest value.

    Deleted items go, and so do contacts that have ended: the live state holds contacts in
    progress, and the stream ``<prefix>contacts`` keeps their whole history. Event kinds
    (commitments) are never state: their own store keeps them.
    """
    if env.deleted or env.kind in EVENT_KINDS:
        return False
    return not (env.kind == "contact" and env.data.get("event") in FINAL_EVENTS)


def item(bus: Bus, env: Writable, now: float) -> tuple[str, list[str], list[Any]]:
    """What one write has of its own: its shape (``c`` a contact with its stream and
    customer history, ``a`` an agent with its stream, ``p`` plain; upper case with an
    event id), its own keys and its own arguments (the script's, without what every write
    of a call shares: :data:`feeds.bus.lua.WRITES_LUA`). A :class:`Prepared` contact's
    final event brings its encodings made (:mod:`feeds.bus.prepared`)."""
    if isinstance(env, Prepared):  # Packer packs it without this list
        shape, customer, retained = "c", env.customer, "0"  # a final event: not state
        args: list[Any] = [env.id, env.stored, retained, _key(bus, env, now), env.summary,
                           env.enqueued]  # fmt: skip
    else:
        key = ordering.order_key(env, now, bus.max_skew)  # FutureEvent past the skew
        data = pydantic_core.to_json(env.data)
        retained = "1" if is_retained(env) else "0"
        args = [env.id, env.stored(data), retained,
                ordering.encode(key, ordering.digest(env, data))]  # fmt: skip
        shape = "p"
        if env.kind == "contact" and not env.deleted:
            d = env.data
            shape, customer = "c", d["customer_id"]
            args += [summary(env.id, d), d["enqueued_at"]]
        elif env.kind == "agent" and not env.deleted:
            shape = "a"  # the raw stream: each state change kept for the day
    keys: list[str] = []
    if shape == "c":
        keys += [contacts_key(bus.prefix, customer), order_key(bus.prefix, customer)]
        # its time, as JSON writes it: what repr writes of any time, in a tenth of the time
        # hiredis takes to pack a float (both call repr); the script keeps what is younger
        # than this less the seconds a history keeps
        args.append(pydantic_core.to_json(env.ts))
    if env.event_id is not None:
        shape = shape.upper()
        keys.append(bus.event_key(env.event_id))
    return shape, keys, args


def _key(bus: Bus, env: Prepared, now: float) -> str:
    """A prepared final event's order key: made at its own time, unless stamped ahead of
    ``now`` (taken as now, as :func:`feeds.bus.ordering.order_key` takes an envelope's)."""
    if env.ts <= now:
        return env.key
    at = ordering.trusted_time(env.ts, now, bus.max_skew)
    return ordering.encode(ordering.Key(env.stage, at, 0), env.digest)


def _shared(
    bus: Bus, envs: list[Writable], now: float
) -> tuple[list[str], list[Any], dict[str, int]]:
    """What the writes of one call share, once: keys and arguments, and where each kind's
    keys are (its KEYS index, from 1)."""
    kinds = list(dict.fromkeys(env.kind for env in envs))
    at = {kind: 4 + 3 * j for j, kind in enumerate(kinds)}
    keys = [bus.seq_key, bus.contacts_key, bus.agents_key]
    keys += [key for kind in kinds for key in bus.kind_keys[kind]]
    # the receiver's clock: now, the time before which gone keys are forgotten, trust until
    clock = repr(now), repr(now - bus.remember), repr(now + bus.max_skew)
    args: list[Any] = [len(envs), bus.channel, bus.stream_events, *clock, MAX_CONTACTS,
                       bus.keep_ttl, EVENT_ID_SECONDS, len(kinds), repr(bus.keep)]  # fmt: skip
    return keys, args, at


def call(bus: Bus, envs: list[Writable], now: float) -> tuple[list[str], list[Any]]:
    """The keys and arguments of one script call writing ``envs`` (at most :data:`BULK`),
    in order: what they share once, then each write's own (:data:`WRITES_LUA`)."""
    keys, args, at = _shared(bus, envs, now)
    for env in envs:
        _add(bus, env, now, at, keys, args)
    return keys, args


def _add(bus: Bus, env: Writable, now: float, at: dict[str, int], keys: list[str],
         args: list[Any]) -> None:  # fmt: skip
    """One write's own keys and arguments added to a call's: its shape and where its kind's
    keys are (``at``), then :func:`item`'s."""
    shape, own_keys, own_args = item(bus, env, now)
    keys += own_keys
    args += [shape, at[env.kind], *own_args]


def _resp(values: list[Any]) -> bytes:
    """``values`` as hiredis packs them in a command, without the command's count."""
    command = hiredis.pack_command(tuple(values))
    return command[command.index(b"\r\n") + 2 :]


class Packer:
    """Calls of the script as the bytes Redis reads: what redis-py sends for ``EVAL`` with
    :func:`call`'s keys and arguments, byte for byte (tests/test_csv_flat_rows.py), but with
    a :class:`Prepared` write's own formatted into one template of them at once: hiredis packs
    a flat-out replay's writes at ~1.5 µs each, and :func:`item`'s lists cost as much again."""

    def __init__(self, bus: Bus, script: str) -> None:
        self.bus, self.script = bus, script
        # a prepared write's keys, its customer's history (``%b``: the customer's id)
        prefix = bus.prefix.replace("%", "%%")
        history = (contacts_key(prefix, "%b"), order_key(prefix, "%b"))
        self.keys = b"".join(b"$%d\r\n" + k.encode() + b"\r\n" for k in history)
        self.fixed = [len(k(bus.prefix, "").encode()) for k in (contacts_key, order_key)]
        # and its arguments from its id on, as item() gives them: id, stored, retained (no: a
        # final event), order key, summary, enqueued, its time
        self.args = b"$%d\r\n%b\r\n$%d\r\n%b\r\n$1\r\n0\r\n" + b"$%d\r\n%b\r\n" * 4

    def call(self, envs: list[Writable], now: float) -> bytes:
        """The bytes of one call writing ``envs`` (at most :data:`BULK`)."""
        bus, keys_of, args_of, (fixed_c, fixed_o) = self.bus, self.keys, self.args, self.fixed
        keys, args, at = _shared(bus, envs, now)  # then envelopes' own, until packed
        key_parts: list[bytes] = []
        arg_parts: list[bytes] = []
        counts = [0, 0]  # the keys and arguments packed so far, beside prepared writes'

        def close() -> None:  # pack the envelopes' keys and arguments gathered, once each
            for j, (run, out) in enumerate(((keys, key_parts), (args, arg_parts))):
                if run:
                    out.append(_resp(run))
                    counts[j] += len(run)
                    run.clear()

        # a prepared write's arguments: its shape (upper case: with an event id), its kind's KEYS
        # index, then the template of its own
        kind = b"%d" % at.get("contact", 0)
        plain, with_id = (b"$1\r\n%b\r\n$%d\r\n%b\r\n" % (shape, len(kind), kind) + args_of
                          for shape in (b"c", b"C"))  # fmt: skip
        each = plain.count(b"$")  # a prepared write's arguments: one bulk string each
        prepared = 0
        for env in envs:
            if type(env) is not Prepared:
                _add(bus, env, now, at, keys, args)
                continue
            if keys or args:
                close()
            prepared += 1
            customer = env.customer.encode()
            n = len(customer)
            key_parts.append(keys_of % (fixed_c + n, customer, fixed_o + n, customer))
            shape = plain
            if env.event_id is not None:
                shape = with_id
                key_parts.append(_resp([bus.event_key(env.event_id)]))
                counts[0] += 1
            cid, key, stored = env.id.encode(), _key(bus, env, now).encode(), env.stored
            summary, enqueued, stamp = env.summary, env.enqueued, env.stamp
            arg_parts.append(shape % (len(cid), cid, len(stored), stored, len(key), key,
                                      len(summary), summary, len(enqueued), enqueued,
                                      len(stamp), stamp))  # fmt: skip
        close()
        nkeys = counts[0] + 2 * prepared
        head = _resp(["EVAL", self.script, nkeys])
        return b"".join([b"*%d\r\n" % (3 + nkeys + counts[1] + each * prepared), head,
                         *key_parts, *arg_parts])  # fmt: skip


class Line:
    """A connection of the pool holding writes sent, their answers not all read: given back to
    the pool when the last are read (:class:`Answers`)."""

    def __init__(self, pool: redis.ConnectionPool) -> None:
        self.pool, self.conn = pool, pool.get_connection()
        self.unread, self.lost = 0, False

    def broken(self) -> None:
        """Answers may be left unread: the connection is not reusable."""
        self.conn.disconnect()
        self.lost = True

    def intact(self) -> bool:
        """Whether writes may still go behind those sent: not broken, and not disconnected
        meanwhile (redis-py would connect again, and the earlier writes' answers are lost)."""
        return not self.lost and self.conn._sock is not None

    def done(self) -> None:
        self.unread -= 1
        if self.unread == 0:
            self.pool.release(self.conn)


class Answers:
    """Writes sent (:meth:`Bus.send_many`): :meth:`read` reads their results, exactly once,
    after those sent before them on their line."""

    def __init__(self, line: Line | None, seqs: list[int]) -> None:
        self.line, self.seqs, self.calls = line, seqs, 0
        if line is not None:
            line.unread += 1

    def read(self) -> list[int]:
        if self.line is None:
            return self.seqs
        try:
            return [int(s) for _ in range(self.calls) for s in self.line.conn.read_response()]
        except BaseException:
            self.line.broken()
            raise
        finally:
            self.line.done()


def bulk_send(bus: Bus, envs: list[Writable], now: float, line: Line) -> Answers:
    """Bulk calls of :data:`BULK` writes, each sent as soon as it is built: Redis runs one
    call while this side builds the next (a pipeline would send nothing before the last is
    built); their answers are read by the :class:`Answers` returned. Sent as EVAL with the
    script's text, which Redis keeps compiled by its digest: no NOSCRIPT to recover from
    half-way."""
    packer = Packer(bus, bus.script().script)
    answers = Answers(line, [])
    try:
        for i in range(0, len(envs), BULK):
            # a health check's PING must not come between sent calls and their answers
            line.conn.send_packed_command([packer.call(envs[i : i + BULK], now)],
                                          check_health=line.unread == 1 and i == 0)  # fmt: skip
            answers.calls += 1
    except BaseException:
        line.broken()  # answers may be left unread: the connection is not reusable
        line.done()
        raise
    return answers
