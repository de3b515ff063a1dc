"""``/api/v1``: key messages, acknowledgements, outages, delay reasons, the audit log, ingest.

JSON in and out, for the console's scripts and other systems. Every refusal is a 4xx whose body
is :mod:`dashboard.errors`' ``{"error": {"field": ..., "reason": ...}}``: 400 bad input, 401 no
credentials, 403 wrong role, 404 no such item, 409 the item's state forbids the action
(expiring an expired message), 413 body over 64 KB, 415 a body that is not
``application/json``. Roles are checked by :mod:`dashboard.auth.access` (admin > supervisor >
agent > viewer), 429 over a rate limit (with ``Retry-After``). The routes: :mod:`.notices`
(messages, outages, delays, audit), :mod:`.customers` (customer profiles, standing authority
rules), :mod:`.alerts` (the alert rules supervisors set), :mod:`.events` (ingest),
:mod:`.connect` (Amazon Connect records), :mod:`.history` (forecasts, a day's intervals and
exports), :mod:`.agents` (an agent's day) and :mod:`.openapi` (this API's description,
``/api/v1/openapi.json``); what a request carries: :mod:`.body`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from dashboard.api import agents, alerts, connect, customers, events, history, notices, openapi
from dashboard.api.body import MAX_BODY
from dashboard.errors import Refusal, error_response
from dashboard.limits import RateLimits
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.service import Conflict, NotFound

_HTTP_FIELDS = {400: "body", 413: "body", 415: "content-type"}
# Routes that take more than a JSON request's limit, for the app's body bound
# (dashboard.policy): a customers CSV import, a forecast.
LARGE_BODIES = {
    "/api/v1/customers/import": customers.MAX_CSV,
    history.FORECAST_PATH: history.MAX_FORECAST,
}


def blueprint(bus: Bus, config: Config, limits: RateLimits) -> Blueprint:
    """The API's routes; ``limits``: the app's rate limits (ingest's is per credential)."""
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.before_request
    def limit_body() -> None:
        request.max_content_length = MAX_BODY

    @bp.errorhandler(SchemaError)
    def schema_error(exc: SchemaError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400
        # A refusal of the body as a whole (not an object, nested too deeply, a key "") names it.
        problems = getattr(exc, "errors", None)  # a forecast lists every row it refused
        listed = [{"field": e.field, "reason": e.reason} for e in problems or ()]
        return error_response(status, exc.field or "body", exc.reason, listed)

    @bp.errorhandler(Refusal)
    def refusal(exc: Refusal) -> Response:
        return error_response(exc.status, exc.field, exc.reason)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.response is not None:  # answered already (a rate limit's 429, Retry-After)
            return exc.response
        status = exc.code or 500
        reason = f"larger than {MAX_BODY} bytes" if status == 413 else exc.description or ""
        return error_response(status, _HTTP_FIELDS.get(status, ""), reason)

    @bp.app_errorhandler(404)
    @bp.app_errorhandler(405)
    def routing_error(exc: HTTPException) -> Response | HTTPException:
        """A path under the API that matches no route (or not with this method) is answered
        like every other API error, not with an HTML page; other paths keep theirs."""
        if not request.path.startswith(f"{bp.url_prefix}/"):
            return exc
        field = "method" if exc.code == 405 else "path"
        return error_response(exc.code or 404, field, exc.description or "")

    notices.add_routes(bp, bus, config)
    customers.add_routes(bp, bus, config)
    alerts.add_routes(bp, bus, config)
    ingest = events.Ingest(bus, config, limits)
    events.add_routes(bp, bus, config, ingest)
    connect.add_routes(bp, bus, config, ingest)
    openapi.add_routes(bp, config.centre.name)
    history.add_routes(bp, bus, config)
    agents.add_routes(bp, bus, config)
    return bp
