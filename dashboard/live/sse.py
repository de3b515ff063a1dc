"""Server-Sent Events framing: the one place that writes the wire format.

A frame is ``id:`` (the bus sequence number, so the browser's automatic reconnect sends it back
as Last-Event-ID), ``event:`` and one ``data:`` line of compact JSON. Non-finite numbers are
refused when serialising: JSON has no NaN, and a browser's ``JSON.parse`` would reject the frame.
"""

from __future__ import annotations

import json
from typing import Any


def json_text(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def json_with(data: dict[str, Any], key: str, raw: str) -> str:
    """``data`` as JSON with one more member, ``key``, whose value ``raw`` is JSON text already
    (a view's items, serialised once and shared by every frame that carries them)."""
    head = json_text(data)[:-1]  # the object, left open
    return f'{head}{"," if data else ""}"{key}":{raw}}}'


def raw_frame(event: str, data_json: str, id: int | None = None) -> bytes:
    """A frame whose data is already JSON text (serialised once, shared by many frames)."""
    head = f"id: {id}\n" if id is not None else ""
    return f"{head}event: {event}\ndata: {data_json}\n\n".encode()


def frame(event: str, data: Any, id: int | None = None) -> bytes:
    return raw_frame(event, json_text(data), id)


def retry_frame(ms: int) -> bytes:
    """How long the browser waits before it reconnects by itself."""
    return f"retry: {ms}\n\n".encode()
