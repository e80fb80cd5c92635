"""``/api/v1/openapi.json``: the machine-readable description of the JSON API."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from portal.api import api_bp

ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(ok: str, *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": ok}}
    for status in errors:
        out[str(status)] = {"description": "error", "content": {"application/json": {"schema": ERROR}}}
    return out


def _param(name: str, where: str = "query", kind: str = "string", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": {"type": kind}}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Assetport API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
        },
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "assetport create-token"},
        },
    },
    "security": [{"bearer": []}, {"session": []}],
    "paths": {
        "/assets": {
            "get": {
                "summary": "Assets the caller may see, newest first",
                "parameters": [
                    _param("page", kind="integer"),
                    _param("size", kind="integer"),
                    _param("article_number"),
                ],
                "responses": _responses("a page of assets", 401, 422),
            },
            "post": {
                "summary": "Upload one file (multipart field 'file'); 201 new, 200 already stored",
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "title": {"type": "string"},
                                    "description": {"type": "string"},
                                    "article_number": {"type": "array", "items": {"type": "string"}},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    **_responses("existing asset", 400, 401, 403, 404, 413, 415, 422),
                    "201": {"description": "new asset"},
                },
            },
        },
        "/assets/{asset_id}": {
            "get": {
                "summary": "One asset: metadata, linked article numbers, versions",
                "parameters": [_param("asset_id", "path", "integer")],
                "responses": _responses("the asset", 401, 404),
            }
        },
        "/products/{article_number}": {
            "get": {
                "summary": "A product with its linked assets",
                "parameters": [_param("article_number", "path")],
                "responses": _responses("the product", 401, 404),
            },
            "put": {
                "summary": "Create or update a product (201 created, 200 updated)",
                "parameters": [_param("article_number", "path")],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {**_responses("updated", 400, 401, 403, 422), "201": {"description": "created"}},
            },
        },
    },
}


@api_bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI document of this API."""
    return jsonify(SPEC)
