"""The Asterisk Manager Interface wire protocol: bytes in, messages out, and actions out.

AMI is line based over TCP: the server greets with one banner line (``Asterisk Call
Manager/5.0.1``), then every message is a block of ``Key: Value`` lines ended by an empty
line, with CR LF line ends. A block with ``Response:`` answers an action (and carries the
action's ``ActionID``); a block with ``Event:`` is an event, also the items of a list answer
(``EventList: start`` ... ``Event: QueueStatusComplete``).

The parser is pure and incremental (feed it whatever ``recv`` returned, any split) and never
raises on what the other end sends: a block it cannot read comes out as :class:`Malformed`
with the reason, and parsing goes on at the next block. Lines and blocks are bounded, so a
broken or hostile peer cannot make it hold unbounded memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

BANNER = b"Asterisk Call Manager/"
MAX_LINE = 16_384  # bytes in one line
MAX_FIELDS = 256  # lines in one block


@dataclass(frozen=True, slots=True)
class Banner:
    """The greeting: the AMI version the server speaks."""

    version: str


@dataclass(frozen=True, slots=True)
class Message:
    """One event or response. Field names are matched without regard to case, as Asterisk
    itself spells some differently in different places (``HoldTime`` / ``Holdtime``)."""

    fields: Mapping[str, str]  # lower-cased name -> value (the first, if a name repeats)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name.lower(), default)

    @property
    def event(self) -> str | None:
        return self.fields.get("event")

    @property
    def response(self) -> str | None:
        return self.fields.get("response")

    @property
    def action_id(self) -> str:
        return self.fields.get("actionid", "")


@dataclass(frozen=True, slots=True)
class Malformed:
    """A block that could not be read: why, and its start for the log."""

    reason: str
    sample: str


Item = Banner | Message | Malformed


class Parser:
    """Incremental AMI parser: :meth:`feed` takes bytes and returns the complete items."""

    def __init__(self) -> None:
        self._tail = b""  # an incomplete last line
        self._skip_line = False  # the rest of a too-long line is still arriving: drop it
        self._first = True  # the banner may come first
        self._fields: dict[str, str] = {}
        self._count = 0
        self._bad: str | None = None
        self._sample = ""

    def feed(self, data: bytes) -> list[Item]:
        """The items that ``data`` completes (possibly none)."""
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        out = [item for line in lines if (item := self._line(line)) is not None]
        if len(self._tail) > MAX_LINE:
            self._tail, self._skip_line = b"", True
            self._mark_bad(f"a line longer than {MAX_LINE} bytes", "")
        return out

    def _line(self, raw: bytes) -> Item | None:
        if self._skip_line:  # the end of a line that was too long
            self._skip_line = False
            return None
        raw = raw.removesuffix(b"\r")
        if self._first:
            self._first = False
            if raw.startswith(BANNER):
                return Banner(raw[len(BANNER) :].decode("ascii", "replace").strip())
        if not raw:
            return self._end_block()
        if len(raw) > MAX_LINE:
            self._mark_bad(f"a line longer than {MAX_LINE} bytes", "")
            return None
        text = raw.decode("utf-8", "replace")
        if not self._sample:
            self._sample = text[:120]
        self._count += 1
        name, colon, value = text.partition(":")
        name = name.strip()
        if not colon or not name or text[:1].isspace() or "\x00" in text:
            self._mark_bad(f"line {self._count} is not 'Name: value'", text)
        elif self._count > MAX_FIELDS:
            self._mark_bad(f"more than {MAX_FIELDS} lines", text)
        elif self._bad is None:
            self._fields.setdefault(name.lower(), value.strip())
        return None

    def _mark_bad(self, reason: str, text: str) -> None:
        if self._bad is None:
            self._bad = reason
        if not self._sample:
            self._sample = text[:120]

    def _end_block(self) -> Item | None:
        fields, bad, sample = self._fields, self._bad, self._sample
        self._fields, self._count, self._bad, self._sample = {}, 0, None, ""
        if bad is not None:
            return Malformed(bad, sample)
        if not fields:
            return None  # blank lines between blocks
        if "event" not in fields and "response" not in fields:
            return Malformed("a block with neither Event nor Response", sample)
        return Message(fields)


def format_action(name: str, action_id: str, fields: Mapping[str, str] | None = None) -> bytes:
    """One action block. Values must not contain line breaks: a secret or queue name with
    one would end the block early and smuggle in lines of its own, so it is refused."""
    lines = [("Action", name), ("ActionID", action_id), *(fields or {}).items()]
    for key, value in lines:
        if any(c in f"{key}{value}" for c in "\r\n") or not key:
            raise ValueError(f"AMI action {name}: {key or 'a field name'} must be one line")
    return "".join(f"{k}: {v}\r\n" for k, v in lines).encode() + b"\r\n"
