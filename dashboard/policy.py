"""What every request and response of the app keeps to: a bounded body, and the browser's
security policy (Content-Security-Policy with ``frame-ancestors``, no MIME sniffing).

The policy lets a page run only the app's own scripts, plus Dash's inline renderer start (by
its hash, :meth:`dash.Dash.csp_hashes`): an injected ``<script>`` or an ``onerror=`` attribute
never runs, even if some text were ever rendered as HTML. Styles may be inline because Plotly
and Dash's components set them at run time; they cannot run code. Pages may only be framed by
the config's ``[access] frame_ancestors`` (default ``'none'``: a kiosk that embeds a wall names
its own origin there). A response that sets its own policy keeps it: the sign-in page's is
stricter (no scripts at all, never framed, so its form cannot be overlaid by a clickjacker).

Every request body is bounded before the app sees it (:class:`BoundedBody`): one sent in chunks,
with no Content-Length, is read at most one byte past :data:`MAX_REQUEST_BODY` and refused with
413 (Werkzeug alone would hand the app the first megabyte, cut, to parse). The API has its own,
smaller limit (:mod:`dashboard.api.body`), read the same way.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

import flask
from dash import Dash

MAX_REQUEST_BODY = 1024 * 1024  # Dash callbacks carry component state: far below this


def read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of ``stream``: more than ``limit`` means too large, and
    nothing past that is ever read."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class BoundedBody:
    """WSGI middleware: a body over ``limit`` bytes is a 413 with the one error body
    (:mod:`dashboard.errors`' shape), whether it declared its length or came in chunks."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        limit: int,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        """``larger``: paths allowed more than ``limit`` (an upload), and how much."""
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        limit = self.larger.get(environ.get("PATH_INFO", ""), self.limit)
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            if int(length) > limit:
                return self._too_large(start_response, limit)
        elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
            data = read_at_most(environ["wsgi.input"], limit)
            if len(data) > limit:
                return self._too_large(start_response, limit)
            # From here on it is an ordinary body of known length.
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _too_large(self, start_response: Callable[..., Any], limit: int) -> list[bytes]:
        reason = f"larger than {limit} bytes"
        body = json.dumps({"error": {"field": "body", "reason": reason}}).encode()
        start_response("413 Content Too Large", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ])  # fmt: skip
        return [body]


def content_security_policy(script_hashes: Sequence[str], frame_ancestors: Sequence[str]) -> str:
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # the stream, callbacks, the API
        "manifest-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(frame_ancestors),
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def install(
    app: Dash, frame_ancestors: Sequence[str], larger: Mapping[str, int] | None = None
) -> None:
    """Bound request bodies (``larger``: paths allowed more, such as an upload) and add the
    headers to every response of ``app``'s server. The script hashes are read on the first
    response, when every callback has been registered."""
    server = app.server
    bounded = BoundedBody(server.wsgi_app, MAX_REQUEST_BODY, larger)
    server.wsgi_app = bounded  # type: ignore[method-assign]

    @functools.cache
    def policy() -> str:
        return content_security_policy(app.csp_hashes(), frame_ancestors)

    def headers(response: flask.Response, policy: Callable[[], str] = policy) -> flask.Response:
        response.headers.setdefault("Content-Security-Policy", policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    server.after_request(headers)
