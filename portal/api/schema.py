"""Typed operations: request and response models declared once, validated in and out, and the OpenAPI
document generated from them and from the blueprint's URL rules.

Why an own generator rather than spectree, flask-openapi3 or APIFlask: the API is a plain Flask blueprint
whose views share the web layer's login, CSRF and error handling; those libraries want their own app or
blueprint class and error format. Pydantic (already a dependency) writes the JSON Schemas; this module only
names, for each view, which model is its body, query and answer, and walks ``url_map`` for the paths.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from portal.errors import BadRequest, ValidationError
from portal.services.paging import MAX_PAGE, MAX_PAGE_SIZE

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

ERROR_TEXT = {
    400: "Malformed request (bad JSON, missing body)",
    401: "Not logged in: send a Bearer token or a session cookie",
    403: "Logged in, but this role or token scope may not do this",
    404: "No such resource, or the caller may not know that it exists",
    405: "Method not allowed; the Allow header lists the methods that are",
    409: "Conflicts with the current state (the message says why)",
    412: "If-Match names an ETag that is no longer current: reload and retry",
    413: "Upload over the size limit",
    415: "Unsupported file type",
    422: "Well-formed, but a value is not acceptable (the message says which)",
    429: "Rate limited; Retry-After says when to try again",
}
COMMON_ERRORS = (401, 405, 429)


@dataclass
class Operation:
    """What the spec says about one view."""

    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    multipart: dict[str, Any] | None = None
    csv: bool = False
    paged: bool = False


OPERATIONS: dict[str, Operation] = {}


def operation(
    *,
    responses: dict[int, type[BaseModel] | None],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    multipart: dict[str, Any] | None = None,
    csv: bool = False,
    paged: bool = False,
) -> Callable[[F], F]:
    """Declare a view's models; its JSON answers are validated against them on the way out."""

    def wrap(view: F) -> F:
        doc = (view.__doc__ or view.__name__).strip()
        OPERATIONS[f"api.{view.__name__}"] = Operation(
            " ".join(doc.split()), body, query, responses, errors, multipart, csv, paged
        )

        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            # Validated on the way in before the view runs: a bad body or query never reaches a service.
            if body is not None:
                parse_body(body)
            if query is not None:
                parse_query(query)
            response = view(*args, **kwargs)
            if isinstance(response, Response) and response.is_json:
                model = responses.get(response.status_code)
                if model is not None:
                    _check_out(model, response)
            return response

        return checked  # type: ignore[return-value]

    return wrap


def _check_out(model: type[BaseModel], response: Response) -> None:
    try:
        model.model_validate(response.get_json())
    except PydanticError as exc:
        # An answer that breaks its own contract is a bug: logged and answered as one (500).
        log.error("response of %s %s violates %s: %s", request.method, request.path, model.__name__, exc)
        raise RuntimeError(f"response violates {model.__name__}") from exc


def _message(exc: PydanticError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_body(model: type[M]) -> M:
    """The request's JSON body as ``model``; 400 when it is not JSON, 422 naming the bad fields."""
    if not request.data:
        raise BadRequest("request body must be a JSON object")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(_message(exc)) from None


def parse_query(model: type[M]) -> M:
    """The query string as ``model`` (the last value of a repeated key); 422 naming the bad fields."""
    try:
        return model.model_validate(request.args.to_dict())
    except PydanticError as exc:
        raise ValidationError(_message(exc)) from None


def respond(model: type[BaseModel], data: Any, status: int = 200) -> Response:
    """``data`` validated as ``model`` and sent as JSON."""
    try:
        value = data if isinstance(data, model) else model.model_validate(data)
    except PydanticError as exc:
        log.error("answer violates %s: %s", model.__name__, exc)
        raise RuntimeError(f"response violates {model.__name__}") from exc
    response = jsonify(value.model_dump(mode="json"))
    response.status_code = status
    return response


def etag_of(data: dict[str, Any]) -> str:
    """A strong ETag of what the caller sees of a resource: any change to it changes the tag."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def with_etag(response: Response, data: dict[str, Any]) -> Response:
    """``response`` with the ETag of ``data``."""
    response.headers["ETag"] = etag_of(data)
    return response


# --- the document ------------------------------------------------------------------------------------

_ARG = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _schema(model: type[BaseModel], schemas: dict[str, Any], mode: str = "validation") -> dict[str, Any]:
    full = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    for name, sub in full.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas.setdefault(model.__name__, full)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title",)}
        desc = prop.pop("description", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if desc:
            param["description"] = desc
        out.append(param)
    return out


def _paging_params() -> list[dict[str, Any]]:
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
        {
            "name": "size",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        },
    ]


def _error_response(status: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": ERROR_TEXT.get(status, "error"),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == 405:
        out["headers"] = {"Allow": {"schema": {"type": "string"}, "description": "the allowed methods"}}
    if status == 429:
        out["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return out


def _operation_doc(op: Operation, path_args: list[dict[str, Any]], schemas: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"summary": op.summary.split(". ")[0][:120], "description": op.summary}
    params = list(path_args)
    if op.paged:
        params += _paging_params()
    if op.query is not None:
        params += [p for p in _query_params(op.query) if p["name"] not in ("page", "size") or not op.paged]
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(op.body, schemas)}},
        }
    elif op.multipart is not None:
        doc["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.multipart}}}
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        entry: dict[str, Any] = {"description": "OK" if status < 300 else str(status)}
        if model is not None:
            entry["content"] = {"application/json": {"schema": _schema(model, schemas, "serialization")}}
        elif op.csv:
            entry["content"] = {"text/csv": {"schema": {"type": "string"}}}
        if (status == 200 and "ETag" in op.summary) or "If-Match" in op.summary:
            entry["headers"] = {"ETag": {"schema": {"type": "string"}}}
        responses[str(status)] = entry
    errors = set(COMMON_ERRORS) | set(op.errors)
    if op.body is not None:
        errors |= {400, 422}
    if op.query is not None or op.paged:
        errors.add(422)
    if path_args:
        errors.add(404)
    for status in sorted(errors):
        responses.setdefault(str(status), _error_response(status))
    doc["responses"] = responses
    return doc


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every ``/api/v1`` route, from the URL map and the declared models."""
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        }
    }
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = OPERATIONS.get(rule.endpoint)
        if op is None or not rule.rule.startswith("/api/v1/"):
            continue
        path_args = [
            {
                "name": m["name"],
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1}
                if m["conv"] == "int"
                else {"type": "string", "minLength": 1},
            }
            for m in _ARG.finditer(rule.rule)
        ]
        path = _ARG.sub(lambda m: "{" + m["name"] + "}", rule.rule[len("/api/v1") :])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = _operation_doc(op, path_args, schemas)
            doc["operationId"] = f"{method.lower()}_{rule.endpoint.removeprefix('api.')}"
            paths.setdefault(path, {})[method.lower()] = doc
    return {
        "openapi": "3.1.0",
        "info": {"title": "Assetport API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "assetport create-token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
    }
