"""Logs: one line per event, as text for a person or as JSON for a log shipper, never a secret.

An event's facts go in the record's ``extra`` (``log.info("sign-in refused", extra={"event":
"login.failed", "user": name})``): the text format appends them as ``key=value``, the JSON
format makes them fields. Whatever the format, a value whose key names a secret (password,
token, secret, cookie, session…) is masked, and so is anything in the text that looks like one:
a password in a URL (``redis://:***@``), a bearer token, a Floorboard token, a ``?token=`` in a
request line (closed walls open with one). Message bodies are not logged at info level by the
callers; this is the net under them.

The level and format come from ``FLOORBOARD_LOG_LEVEL`` / ``FLOORBOARD_LOG_FORMAT`` or else the
config's ``[log]`` (:class:`feeds.config_ops.Log`); gunicorn's own lines (its error log and the
access log) get the same formatter (:mod:`dashboard.serving`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from typing import Any

FORMATS = ("text", "json")
_SECRET_NAMES = {"password", "secret", "token", "authorization", "cookie", "session", "sid"}
_PUBLIC = {"token_id", "token_env", "token_label"}
_SCRUB = [
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.I), r"\1***@"),
    (re.compile(r"(\bbearer\s+)\S+", re.I), r"\1***"),
    (re.compile(r"\b(fb_[0-9a-f]+_)[A-Za-z0-9_-]+"), r"\1***"),
    (re.compile(r"([?&](?:token|access_token|password|secret)=)[^&\s\"']+", re.I), r"\1***"),
]
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_chosen = ("info", "text")  # what setup() chose last: gunicorn's own logs follow it


def scrub(text: str) -> str:
    """``text`` with every secret it seems to hold masked."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


def _secret(key: str) -> bool:
    """Whether a field named ``key`` holds a secret: any part of its name says so (a
    ``session_id`` does), except the public names of secrets (a token's id, a variable's)."""
    key = key.lower()
    return key not in _PUBLIC and bool(_SECRET_NAMES.intersection(key.split("_")))


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The event's own facts (its ``extra``), secrets masked. gunicorn's access lines become
    fields too: method, path (without its query string), status, bytes, time taken."""
    if record.name == "gunicorn.access" and isinstance(record.args, dict):
        return _access(record.args)
    out: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if _secret(key):
            out[key] = "***"
        elif isinstance(value, str):
            out[key] = scrub(value)
        else:
            out[key] = value
    return out


def _access(atoms: dict[str, Any]) -> dict[str, Any]:
    def number(key: str) -> int | None:
        value = str(atoms.get(key, "-"))
        return int(value) if value.isdigit() else None

    micros = number("D")
    return {
        "event": "http.request",
        "remote": atoms.get("h"),
        "method": atoms.get("m"),
        "path": atoms.get("U"),
        "status": number("s"),
        "bytes": number("B"),
        "duration_ms": round(micros / 1000, 1) if micros is not None else None,
    }


class TextFormatter(logging.Formatter):
    """``2026-05-01 14:30:02,120 INFO feeds.bus.subscriber: bus lost: … key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = scrub(super().format(record))
        extra = "" if record.name == "gunicorn.access" else _pairs(fields(record))
        return f"{line} {extra}" if extra else line


def _pairs(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={json.dumps(v) if isinstance(v, str) and ' ' in v else v}"
                    for k, v in values.items())  # fmt: skip


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, pid, the
    event's fields, and the traceback as text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        out: dict[str, Any] = {
            "time": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "pid": record.process,
        }
        out.update(fields(record))
        if record.exc_info:
            out["traceback"] = scrub(self.formatException(record.exc_info))
        return json.dumps(out, default=str, ensure_ascii=False)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def chosen(level: str | None = None, fmt: str | None = None) -> tuple[str, str]:
    """(level, format): the environment's, else the given (the config's), else info, text."""
    level = os.environ.get("FLOORBOARD_LOG_LEVEL") or level or "info"
    fmt = os.environ.get("FLOORBOARD_LOG_FORMAT") or fmt or "text"
    return level.lower(), fmt.lower() if fmt.lower() in FORMATS else "text"


def setup(level: str | None = None, fmt: str | None = None) -> tuple[str, str]:
    """Send every logger's lines to stderr in the chosen shape (again when the config is read:
    the config's ``[log]`` applies from then on); returns what was chosen."""
    global _chosen
    level, fmt = _chosen = chosen(level, fmt)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_floorboard", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._floorboard = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(formatter(fmt))
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return level, fmt


def active() -> tuple[str, str]:
    """(level, format) as :func:`setup` last chose them."""
    return _chosen
