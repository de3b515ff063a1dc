"""What a request to ``/api/v1`` carries: a JSON body, within the size limit.

Requiring the JSON content type means a cross-site form can never post here (browsers cannot
send it without a CORS preflight), on top of the session's CSRF check. The limit holds whatever
the request says of its length: a body sent in chunks (no Content-Length) is read at most one
byte past the limit, then refused with 413, never cut and parsed.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from dashboard.auth.principal import current_principal
from dashboard.errors import Refusal
from dashboard.policy import read_at_most
from feeds.errors import SchemaError

MAX_BODY = 64 * 1024


def read_body(limit: int = MAX_BODY) -> bytes:
    """The request's body, or a 413 :class:`Refusal` past ``limit`` bytes."""
    raw = b""
    if (request.content_length or 0) <= limit:
        raw = read_at_most(request.stream, limit)
    if (request.content_length or 0) > limit or len(raw) > limit:
        raise Refusal(413, "body", f"larger than {limit} bytes")
    return raw


def json_body(required: bool = True) -> Any:
    """The request's JSON; ``{}`` when optional and absent. A body past MAX_BODY is a 413."""
    raw = read_body()
    if not raw:
        if required:
            raise SchemaError("body", "a JSON body is required")
        return {}
    if request.mimetype != "application/json":
        raise Refusal(415, "content-type", "must be application/json")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SchemaError("body", f"not valid JSON: {exc}") from None


def json_object(required: bool = True) -> dict[str, Any]:
    body = json_body(required)
    if not isinstance(body, dict):
        raise SchemaError("body", "must be a JSON object")
    return body


def source() -> str:
    """Whose request this is, as an item's ``source``: ``api:<principal>`` (routes that take
    one are behind ``require_role``, so there is a principal)."""
    principal = current_principal()
    assert principal is not None  # require_role let the request through
    return f"api:{principal.name}"[:60]
