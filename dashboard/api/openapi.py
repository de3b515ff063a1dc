"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 description of ``/api/v1``, made from the code.

Nothing in it is written twice: the paths, methods and path parameters are the app's own
``/api/v1`` routes as Flask knows them; the roles come from :func:`require_role` on each view;
a summary is the view's docstring (or its name); the request bodies are the schema's pydantic
models (:mod:`feeds.bus.schema`), as JSON Schema, cut to the fields each service takes
(:data:`BODIES`); every refusal is :mod:`dashboard.errors`' one body. A route that takes a body
must be listed in :data:`BODIES` (tests/test_openapi.py checks it, and that the document is
valid OpenAPI), so a new route cannot go undescribed.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import flask
from pydantic.json_schema import models_json_schema

from feeds.bus.schema import DATA_MODELS, Envelope
from feeds.customers.rules import RULE_FIELDS
from feeds.notices.alert_rules import ALERT_RULE_FIELDS
from feeds.notices.delays import DELAY_FIELDS
from feeds.notices.messages import MESSAGE_FIELDS
from feeds.notices.outages import OUTAGE_FIELDS

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
WRITES = ("post", "put", "patch")
ERROR = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["field", "reason"],
        "properties": {"field": {"type": "string", "description": "the field refused, or "
                                 "'body', 'content-type', 'rate'"},
                       "reason": {"type": "string"}},
    }},
}  # fmt: skip
ANSWER = {  # what the ingest routes answer
    "type": "object", "required": ["published", "duplicates"],
    "properties": {
        "published": {"type": "array", "items": {
            "type": "object", "required": ["kind", "id", "seq"],
            "properties": {"kind": {"type": "string"}, "id": {"type": "string"},
                           "seq": {"type": "integer", "minimum": 0},
                           "duplicate": {"type": "boolean", "description": "not written: its "
                                         "event id was on the bus already, or its item holds "
                                         "this or a later event"}},
        }},
        "duplicates": {"type": "integer", "minimum": 0},
        "records": {"type": "integer", "description": "Connect records in the batch"},
        "not_the_boards": {"type": "integer", "description": "records mapped to nothing"},
    },
}  # fmt: skip


def ref(model: str) -> dict[str, str]:
    return {"$ref": REF.format(model=model)}


@functools.cache
def components() -> dict[str, Any]:
    """Every model of the schema as JSON Schema, refs between them into the components."""
    models = [Envelope, *DATA_MODELS.values()]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas = top["$defs"]
    data = schemas["Envelope"]["properties"]["data"]
    data["anyOf"] = [ref(m.__name__) for m in DATA_MODELS.values()]
    data["description"] = "the kind's fields: " + ", ".join(
        f"{kind}: {m.__name__}" for kind, m in DATA_MODELS.items()
    )
    return {**schemas, "Error": ERROR, "IngestAnswer": ANSWER}


def fields(model: str, names: Iterable[str], *, partial: bool = False,
           defaulted: Iterable[str] = (), extra: dict[str, Any] | None = None,
           ) -> dict[str, Any]:  # fmt: skip
    """The model's schema cut to the fields a service takes (none required if ``partial``;
    ``defaulted``: required by the model, filled in by the service); ``extra``: required
    fields of the route's own (a batch's ``id``)."""
    whole = components()[model]
    keep = set(names)
    out = {
        "type": "object",
        "additionalProperties": False,
        "properties": {k: v for k, v in whole["properties"].items() if k in keep},
    }
    keep_required = keep - set(defaulted)
    required = [] if partial else [k for k in whole.get("required", []) if k in keep_required]
    if extra:
        out["properties"] = {**extra, **out["properties"]}
        required = [*extra, *required]
    if required:
        out["required"] = required
    return out


def one_or_list(item: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}


@dataclass(frozen=True)
class Body:
    schema: dict[str, Any]
    media: str = "application/json"
    required: bool = True


IDENT = {"type": "string", "pattern": r"^[A-Za-z0-9_.:@\-]+$", "maxLength": 128}
CONNECT_RECORD = {
    "type": "object",
    "description": "an Amazon Connect agent event stream record (EventType) or contact "
    "record (ContactId), as Amazon documents them; mapping: docs/adapters.md",
}
# Every route that takes a body, by endpoint name (None: a write without a body).
BODIES: dict[str, Body | None] = {
    "ingest_events": Body(one_or_list(ref("Envelope"))),
    "connect_records": Body(one_or_list(CONNECT_RECORD)),
    "post_message": Body(fields("Message", MESSAGE_FIELDS, defaulted=["expires_at"])),
    "edit_message": Body(fields("Message", MESSAGE_FIELDS, partial=True)),
    "expire_message": None,
    "ack_message": Body(fields("Ack", ["agent_id"], partial=True), required=False),
    "declare_outage": Body(fields("Outage", OUTAGE_FIELDS, defaulted=["status"])),
    "update_outage": Body(fields("Outage", OUTAGE_FIELDS, partial=True)),
    "resolve_outage": None,
    "set_delay": Body(fields("Delay", DELAY_FIELDS)),
    "put_customer": Body(ref("Customer")),
    "put_customers": Body(
        {
            "type": "array",
            "minItems": 1,
            "items": fields(
                "Customer", components()["Customer"]["properties"], extra={"id": IDENT}
            ),
        }
    ),
    "import_customers": Body(
        {"type": "string", "description": "CSV, a header line first (docs/customers.md)"},
        media="text/csv",
    ),
    "post_forecast": Body(
        {
            "type": "object",
            "required": ["rows"],
            "description": "a day's forecast (?day=YYYY-MM-DD, default today); or the same as "
            "a CSV file (text/csv, header queue,interval,volume,aht): docs/history.md",
            "properties": {
                "rows": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["queue", "interval", "volume"],
                        "properties": {
                            "queue": IDENT,
                            "interval": {"type": "string", "pattern": r"^\d\d:\d\d$"},
                            "volume": {"type": "number"},
                            "aht": {"type": "number"},
                        },
                    },
                }
            },
        }
    ),
    "create_rule": Body(fields("Rule", RULE_FIELDS)),
    "update_rule": Body(fields("Rule", RULE_FIELDS, partial=True)),
    "create_alert_rule": Body(fields("AlertRule", ALERT_RULE_FIELDS)),
    "update_alert_rule": Body(fields("AlertRule", ALERT_RULE_FIELDS, partial=True)),
    "remove_alert_rule": None,
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def operation(rule: Any, method: str, view: Any) -> dict[str, Any]:
    """One route and method as an OpenAPI operation."""
    name = rule.endpoint.rpartition(".")[2]
    doc = (view.__doc__ or "").strip().splitlines()
    op: dict[str, Any] = {
        "operationId": name,
        "summary": doc[0] if doc else name.replace("_", " ").capitalize(),
        "parameters": [
            {"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
            for arg in sorted(rule.arguments)
        ],
        "responses": {
            "2XX": {"description": "done", "content": {"application/json": {"schema": {}}}},
            "400": _error("bad input: the field and the reason"),
        },
    }
    roles = getattr(view, "roles", None)
    if roles:
        op["description"] = f"Needs the role {' or '.join(roles)} (or higher)."
        op["responses"]["401"] = _error("no or bad credentials")
        op["responses"]["403"] = _error("the credential's role may not")
    body = BODIES.get(name)
    if method in WRITES and body is not None:
        op["requestBody"] = {"required": body.required,
                             "content": {body.media: {"schema": body.schema}}}  # fmt: skip
        op["responses"]["413"] = _error("body too large")
        op["responses"]["415"] = _error("wrong content type")
    if name in ("ingest_events", "connect_records"):
        op["responses"]["2XX"]["content"]["application/json"]["schema"] = ref("IngestAnswer")
        op["responses"]["429"] = {
            **_error("over the credential's ingest limit"),
            "headers": {
                "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
            },
        }
    return op


def document(app: flask.Flask, title: str) -> dict[str, Any]:
    """The OpenAPI document of every ``/api/v1`` route of ``app``."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{PREFIX}/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = operation(rule, method.lower(), view)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{title}: Floorboard API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": copy.deepcopy(components()),
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "floorboard token create NAME --role ROLE",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "a signed-in browser (writes need the CSRF token)",
                },
            },
        },
        "security": [{"token": []}, {"session": []}],
    }


def add_routes(bp: flask.Blueprint, title: str) -> None:
    @bp.get("/openapi.json")
    def openapi() -> flask.Response:
        """This description of the API (no credentials needed)."""
        return flask.jsonify(document(flask.current_app, title))
