"""What a request to ``/api/v1`` carries: a JSON body, within the size limit.

Requiring the JSON content type means a cross-site form can never post here (browsers cannot
send it without a CORS preflight), on top of the session's CSRF check.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from dashboard.errors import Refusal
from feeds.bus.schema import SchemaError

MAX_BODY = 64 * 1024


def json_body(required: bool = True) -> Any:
    """The request's JSON; ``{}`` when optional and absent. Reading past MAX_BODY is a 413."""
    raw = request.get_data(cache=False)
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
