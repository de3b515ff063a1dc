"""The AMI client: connect, log in, resynchronise, follow the events; reconnect with backoff.

One thread, one socket, blocking reads with a short timeout: each turn maps what arrived,
settles what time alone decides (callers who left unanswered, wrap-up that ran out) and lets
the :class:`Producer` publish (in batches, with queue statistics once a second and a
heartbeat that says whether Asterisk is reachable). A silent link is checked with ``Ping``,
whose answer also carries Asterisk's clock: times the adapter makes up (a waiting caller's
enqueue time from ``Wait``) are on Asterisk's clock, like the events' own ``Timestamp``.

A lost connection (refused, reset, closed, silent) is retried with exponential backoff and
every new connection starts with a full resynchronisation (:mod:`.resync`), so nothing is
lost and nothing counted twice. A refused login ends the run: retrying a wrong secret only
fills Asterisk's security log.
"""

from __future__ import annotations

import itertools
import logging
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

import redis

from feeds.adapters.ami.mapper import AmiMapper
from feeds.adapters.ami.options import (
    AmiAuthError,
    AmiError,
    AmiOptions,
    AmiReport,
    AsteriskClock,
    ami_secret,
)
from feeds.adapters.ami.protocol import Banner, Malformed, Message, Parser, format_action
from feeds.adapters.ami.resync import Snapshot
from feeds.adapters.ids import ident
from feeds.adapters.producer import Producer
from feeds.bus.bus import Bus
from feeds.config import Config

log = logging.getLogger(__name__)

SYNC_ACTIONS = ("QueueStatus", "QueueSummary", "Status")

# The names the command line and the tests use, from where they live.
__all__ = ["AmiAuthError", "AmiError", "AmiOptions", "AmiReport", "ami_secret", "run_ami"]


def run_ami(
    config: Config,
    bus: Bus,
    options: AmiOptions,
    stop: threading.Event,
    *,
    clock: Callable[[], float] = time.time,
) -> AmiReport:
    """Follow Asterisk's queues onto the bus until ``stop`` is set; returns what it did.

    Raises :class:`AmiAuthError` when Asterisk refuses the login.
    """
    mapper = AmiMapper(config, options.source)
    queues = {mapper.calls.queue_of(q) for q in config.adapters.ami.queue_map}
    producer = Producer(bus, config, options.source, queues=queues - {None}, clock=clock)
    producer.connected = False
    try:
        taken = producer.warm_start()
        log.info("AMI adapter: today's statistics rebuilt from %d events on the bus", taken)
    except redis.RedisError as exc:  # start cold rather than not at all, and say so
        log.warning("AMI adapter: could not read today's events from the bus: %s", exc)
    report, backoff, aclock = AmiReport(), options.backoff_min, AsteriskClock(clock)
    ids = itertools.count(1)  # ActionIDs unique over the run, for Asterisk's logs and ours
    while not stop.is_set():
        session = _Session(mapper, producer, options, stop, aclock, report, ids)
        try:
            with socket.create_connection(
                (options.host, options.port), timeout=options.connect_timeout
            ) as sock:
                session.run(sock)
        except AmiAuthError:
            producer.flush(aclock.now())
            raise
        except OSError as exc:
            if stop.is_set():
                break
            report.disconnects += 1
            report.errors.append(f"{type(exc).__name__}: {exc}")
            log.warning("AMI %s:%d: %s; retrying in %.1f s", options.host, options.port,
                        report.errors[-1], backoff)  # fmt: skip
        producer.connected = False
        if session.synced:
            backoff = options.backoff_min
        deadline = time.monotonic() + backoff * random.uniform(0.8, 1.0)
        while not stop.is_set() and time.monotonic() < deadline:
            producer.flush(aclock.now())  # heartbeats say "cut off from Asterisk" meanwhile
            stop.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        backoff = min(options.backoff_max, backoff * 2)
    producer.flush(aclock.now(), final=True)
    report.unknown, report.rejected = dict(mapper.unknown), mapper.rejected
    report.mismatches = mapper.mismatches
    return report


class _Session:
    """One connection: banner, login, resync, then events until stop or a failure."""

    def __init__(
        self,
        mapper: AmiMapper,
        producer: Producer,
        options: AmiOptions,
        stop: threading.Event,
        aclock: AsteriskClock,
        report: AmiReport,
        ids: Iterator[int],
    ) -> None:
        self.mapper, self.producer, self.options, self.stop = mapper, producer, options, stop
        self.aclock, self.report = aclock, report
        self.parser, self.ids = Parser(), ids
        self.sock: socket.socket | None = None
        self.synced = False
        self.buffered: list[Message] = []  # live events that arrived during the resync
        self.inbox: deque[Banner | Message | Malformed] = deque()  # read, not yet taken

    def run(self, sock: socket.socket) -> None:
        self.sock = sock
        self.report.connections += 1
        self._login()
        ping = self._send("Ping")
        self.aclock.learn(self._answer(ping))
        self._resync()
        self._follow()

    def _send(self, action: str, fields: dict[str, str] | None = None) -> str:
        action_id = f"fb-{next(self.ids)}"
        self.sock.sendall(format_action(action, action_id, fields))
        return action_id

    def _read(self, timeout: float) -> list[Banner | Message | Malformed]:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        if not data:
            raise AmiError("Asterisk closed the connection")
        items = self.parser.feed(data)
        for item in items:
            if isinstance(item, Malformed):
                self.report.malformed += 1
                log.warning("AMI: skipped a malformed block (%s): %r", item.reason, item.sample)
        return items

    def _next(self, timeout: float) -> Banner | Message | Malformed | None:
        if not self.inbox:
            self.inbox.extend(self._read(timeout))
        return self.inbox.popleft() if self.inbox else None

    def _until(self, done: Callable[[Message], bool], what: str) -> Message:
        """Read until a message that ``done`` accepts; live events meanwhile are buffered,
        and whatever arrived after it stays for the next reader."""
        deadline = time.monotonic() + self.options.answer_timeout
        while True:
            while self.inbox:
                item = self.inbox.popleft()
                if isinstance(item, Message):
                    if done(item):
                        return item
                    if item.event and not item.action_id:
                        self.buffered.append(item)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AmiError(f"no {what} from Asterisk in {self.options.answer_timeout:g} s")
            if self.stop.is_set():
                raise AmiError("stopped")
            self.inbox.extend(self._read(min(left, 1.0)))

    def _answer(self, action_id: str) -> Message:
        return self._until(lambda m: m.response is not None and m.action_id == action_id,
                           f"answer to {action_id}")  # fmt: skip

    def _login(self) -> None:
        deadline = time.monotonic() + self.options.answer_timeout
        while not isinstance(item := self._next(1.0), Banner):
            if time.monotonic() > deadline or isinstance(item, Message | Malformed):
                raise AmiError("no 'Asterisk Call Manager' banner: is this an AMI port?")
        login = self._send("Login", {"Username": self.options.username,
                                     "Secret": self.options.secret, "Events": "agent"})  # fmt: skip
        answer = self._answer(login)
        if (answer.response or "").lower() != "success":
            raise AmiAuthError(f"Asterisk refused the login: {answer.get('message', '?')}")

    def _resync(self) -> None:
        """Ask for the whole state, map it, then the events that arrived meanwhile."""
        snap, pending = Snapshot(), {self._send(a): a for a in SYNC_ACTIONS}
        while pending:
            msg = self._until(lambda m: m.action_id in pending, "resync answer")
            action = pending[msg.action_id]
            if msg.response is not None and msg.response.lower() != "success":
                if action != "Status":
                    raise AmiError(f"{action} refused: {msg.get('message', '?')}")
                log.warning("AMI Status refused (%s): give the AMI user 'write = call' for an "
                            "exact resync", msg.get("message", "?"))  # fmt: skip
                snap.channels = None
                del pending[msg.action_id]
            elif msg.get("eventlist").lower() == "complete" or (msg.event or "").endswith(
                "Complete"
            ):  # Asterisk before 13 ends its lists with the event alone
                del pending[msg.action_id]
            elif msg.event is not None:
                _collect(snap, msg)
        now = self.aclock.now()
        self.producer.add(self.mapper.resync(snap, now), now=now)
        self.producer.connected, self.synced = True, True
        for msg in self.buffered:
            self._event(msg)
        self.buffered.clear()
        self.producer.flush(now)
        log.info("AMI %s: in step (%d callers waiting, %d members)", self.options.host,
                 len(snap.entries), len(snap.members))  # fmt: skip

    def _event(self, msg: Message) -> None:
        self.report.events += 1
        at = self.aclock.of(msg)  # (moves Asterisk's clock on, never back)
        self.producer.add(self.mapper.handle(msg, at), now=self.aclock.now())

    def _follow(self) -> None:
        ping: str | None = None
        ping_sent = quiet_since = time.monotonic()
        while not self.stop.is_set():
            items = list(self.inbox) or self._read(self.options.tick)
            self.inbox.clear()
            if items:
                quiet_since = time.monotonic()
            for item in items:
                if not isinstance(item, Message):
                    continue
                if item.event is not None and not item.action_id:
                    self._event(item)
                elif item.response is not None and item.action_id == ping:
                    self.aclock.learn(item)
                    ping = None
            now = self.aclock.now()
            self.producer.add(self.mapper.expire(now), now=now)
            self.producer.flush(now)
            mono = time.monotonic()
            if ping is None and mono - quiet_since >= self.options.ping_seconds:
                ping, ping_sent = self._send("Ping"), mono
            elif ping is not None and mono - ping_sent > self.options.answer_timeout:
                raise AmiError(f"no answer to Ping in {self.options.answer_timeout:g} s")


def _collect(snap: Snapshot, msg: Message) -> None:
    """File one list item of a resync answer into the snapshot."""
    fields = dict(msg.fields)
    queue = fields.get("queue", "")
    match (msg.event or "").lower():
        case "queueparams":
            snap.params[queue] = fields
        case "queuemember":
            snap.members.append(fields)
        case "queueentry":
            snap.entries.append(fields)
        case "queuesummary":
            snap.summaries[queue] = fields
        case "status" if snap.channels is not None:
            snap.channels[ident(fields.get("uniqueid", ""))] = fields.get("bridgeid", "")
