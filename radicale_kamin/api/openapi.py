"""The OpenAPI 3.1 document of the JSON API, generated from the endpoint
table and its models — never written by hand. Served at ``GET
openapi.json`` and written to ``docs/openapi.yaml`` by
``tools/build_openapi.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import radicale_kamin
from radicale_kamin.api.models import Error
from radicale_kamin.api.paths import PREFIX

if TYPE_CHECKING:
    from radicale_kamin.api.endpoints import Endpoint
    from radicale_kamin.api.webhooks import Webhook

REF = "#/components/schemas/{model}"
RADICALE_400 = ("as text/plain, Radicale itself refused the path: a path parameter with "
                ": ' \" * ? , or a control character")
DESCRIPTION = """\
The JSON API of the chimney-sweep calendar, served by the Radicale web
plugin `radicale_kamin.web` under `/.web/kamin/api/`. JSON in and out,
UTF-8. Every path needs HTTP Basic authentication with a Radicale user
and shows only the calendars that user's Radicale rights allow.

Times are ISO 8601 (years 1970-2199); a time without offset means
Europe/Berlin (the `[storage] kamin_timezone`); answers always carry the
offset. Errors are JSON objects with an `error` text naming the field and
the problem; bad input is a 4xx, never a 5xx. Unknown query parameters and
unknown body fields are refused; an empty query value is the same as
leaving the parameter out. See docs/api.md for the workflow.

Generated from `radicale_kamin/api/endpoints.py` and
`radicale_kamin/api/models.py` (`tools/build_openapi.py`); do not edit.
"""


def document(endpoints: Iterable[Endpoint], webhooks: Iterable[Webhook] = ()) -> dict[str, Any]:
    """The whole document for ``endpoints`` (the table of ``endpoints.py``)
    and the ``webhooks`` the server posts (``api/webhooks.py``)."""
    endpoints, webhooks = list(endpoints), list(webhooks)
    schemas = _component_schemas(endpoints, webhooks)
    paths: dict[str, dict] = {}
    for endpoint in endpoints:
        paths.setdefault("/" + endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    found = {
        "openapi": "3.1.0",
        "info": {"title": "radicale_kamin JSON API", "version": radicale_kamin.__version__,
                 "description": DESCRIPTION},
        "servers": [{"url": PREFIX.rstrip("/")}],
        "security": [{"basic": []}],
        "paths": paths,
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
                       "schemas": schemas},
    }
    if webhooks:
        found["webhooks"] = {hook.type: {"post": _webhook(hook)} for hook in webhooks}
    return found


WEBHOOK_HEADERS = (
    ("X-Kamin-Event", "the event's type"),
    ("X-Kamin-Delivery", "the event's id, the same on every retry: drop what you have seen"),
    ("X-Kamin-Signature", "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with the "
                          "subscriber's secret>; refuse a t older than 5 minutes"),
)


def _webhook(hook: Webhook) -> dict[str, Any]:
    """A webhook the server posts to the subscribers of ``[storage] kamin_webhooks``."""
    return {
        "operationId": hook.operation_id,
        "summary": hook.summary,
        "description": (hook.model.__doc__ or "").strip() + " Signed, not authenticated: "
                       "verify X-Kamin-Signature (docs/webhooks.md).",
        "security": [],
        "parameters": [{"name": name, "in": "header", "required": True,
                        "description": text, "schema": {"type": "string"}}
                       for name, text in WEBHOOK_HEADERS],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref(hook.model)}}},
        "responses": {
            "2XX": {"description": "acknowledged: the event is not sent again"},
            "default": {"description": "not acknowledged (so are a timeout and a redirect): "
                                       "retried with growing pauses for "
                                       "kamin_webhook_retry_hours, then parked"}},
    }


def _component_schemas(endpoints: list[Endpoint],
                       webhooks: list[Webhook] = ()) -> dict[str, Any]:
    """Bodies (as validated), answers and webhook bodies (as written), by model name."""
    models: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for endpoint in endpoints:
        if endpoint.body is not None:
            models[(endpoint.body, "validation")] = None
        models[(endpoint.ok[1], "serialization")] = None
    for hook in webhooks:
        models[(hook.model, "serialization")] = None
    _, top = models_json_schema(list(models), ref_template=REF)
    return {name: _tidy(schema) for name, schema in sorted(top.get("$defs", {}).items())}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": endpoint.operation_id,
                                 "summary": endpoint.summary}
    if endpoint.description:
        operation["description"] = endpoint.description
    parameters = [*_parameters(endpoint.path_model, "path"),
                  *_parameters(endpoint.query, "query")]
    if endpoint.if_match:
        parameters.append({"name": "If-Match", "in": "header", "required": False,
                           "description": "the ETag the entry had when it was read: refuse "
                                          "with 409 when it changed since",
                           "schema": {"type": "string"}})
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {"required": endpoint.body_required, "content": {
            "application/json": {"schema": _ref(endpoint.body)}}}
    status, model, description = endpoint.ok
    responses = {str(status): {"description": description,
                               "content": {"application/json": {"schema": _ref(model)}}}}
    for status, text in endpoint.refusals().items():
        content: dict[str, Any] = {"application/json": {"schema": _ref(Error)}}
        if status == 400 and endpoint.path_model.model_fields:
            text += "; " + RADICALE_400
            content["text/plain"] = {"schema": {"type": "string"}}
        responses[str(status)] = {"description": text, "content": content}
    operation["responses"] = responses
    return operation


def _parameters(model: type[BaseModel], location: str) -> list[dict[str, Any]]:
    """One parameter per field of a path or query model."""
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    found = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = _tidy(_not_null(field_schema))
        parameter: dict[str, Any] = {"name": name, "in": location,
                                     "required": location == "path" or name in required}
        description = field_schema.pop("description", None)
        if description:
            parameter["description"] = description
        if location == "query" and name not in required:
            parameter["allowEmptyValue"] = True
        parameter["schema"] = field_schema
        found.append(parameter)
    return found


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is left out, never null: ``X or null`` is ``X``."""
    branches = schema.get("anyOf")
    if branches and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) == 1:
            merged = {**rest[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
            if merged.get("default", ...) is None:
                del merged["default"]
            return merged
    return schema


def _tidy(schema: Any) -> Any:
    """Without pydantic's generated titles, without a ``default: null`` where
    null is not a value the field takes (fields left out), and alike from
    every pydantic version the package takes."""
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tidy = {key: _tidy(value) for key, value in schema.items() if key != "title"}
    if len(tidy.get("allOf", ())) == 1 and "$ref" in tidy["allOf"][0]:
        tidy.update(tidy.pop("allOf")[0])   # pydantic < 2.9 wraps a described $ref
    if "$ref" in tidy:
        tidy = {"$ref": tidy.pop("$ref"), **tidy}
    if "properties" in schema:      # "title" may be a field's name
        tidy["properties"] = {name: _tidy(value) for name, value in schema["properties"].items()}
    if tidy.get("default", ...) is None and not _admits_null(tidy):
        del tidy["default"]
    return tidy


def _admits_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(
        branch.get("type") == "null" for branch in schema.get("anyOf", ()))
