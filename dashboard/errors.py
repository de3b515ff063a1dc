"""The one shape of every refusal: ``{"error": {"field": ..., "reason": ...}}`` with a 4xx/5xx.

The API, the stream routes and the credential checks all answer this way, so a script, a page or
a person reading ``curl`` output always finds what was wrong (the field) and why (the reason).
"""

from __future__ import annotations

import flask


class Refusal(Exception):
    """A request refused for a reason that is not its data's schema (content type, role,
    unknown view); a blueprint's error handler turns it into :func:`error_response`."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason


def error_response(
    status: int, field: str, reason: str, problems: list[dict[str, str]] | None = None
) -> flask.Response:
    """``problems``: every problem found, when there can be several (a forecast's rows), each
    ``{"field", "reason"}``; the first is also the error's own."""
    body = {"field": field, "reason": reason, **({"problems": problems} if problems else {})}
    response = flask.jsonify(error=body)
    response.status_code = status
    return response
