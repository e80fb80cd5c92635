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
        "/packages": {
            "post": {
                "summary": "Build a ZIP or link table for article numbers (or asset_ids); 202 with the job",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {**_responses("the job", 400, 401, 422), "202": {"description": "queued"}},
            }
        },
        "/jobs/{job_id}": {
            "get": {
                "summary": "A package job: status, progress, report, signed download URL when done",
                "parameters": [_param("job_id", "path", "integer")],
                "responses": _responses("the job", 401, 404),
            }
        },
        "/packages/{package_id}": {
            "get": {
                "summary": "The same as the job, under the package's own address",
                "parameters": [_param("package_id", "path", "integer")],
                "responses": _responses("the package", 401, 404),
            }
        },
        "/assets/{asset_id}/transitions": {
            "post": {
                "summary": "Workflow action {action: submit|approve|reject|reopen|archive|restore, comment}",
                "parameters": [_param("asset_id", "path", "integer")],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": _responses("the asset's new status", 400, 401, 403, 404, 409, 422),
            }
        },
        "/review-queue": {
            "get": {
                "summary": "Assets in review, oldest first (managers)",
                "parameters": [
                    _param("uploader", kind="integer"),
                    _param("product"),
                    _param("category"),
                    _param("age"),
                    _param("page", kind="integer"),
                    _param("size", kind="integer"),
                ],
                "responses": _responses("a page of assets in review", 401, 403, 422),
            }
        },
        "/assets/{asset_id}/versions": {
            "get": {
                "summary": "Every version, newest first, with uploader and time (staff)",
                "parameters": [_param("asset_id", "path", "integer")],
                "responses": _responses("the versions", 401, 403, 404),
            },
            "post": {
                "summary": "Upload a new current version (multipart: file, comment); 201",
                "parameters": [_param("asset_id", "path", "integer")],
                "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
                "responses": {
                    **_responses("stored", 400, 401, 403, 404, 409, 413, 415, 422),
                    "201": {"description": "created"},
                },
            },
        },
        "/assets/{asset_id}/versions/{version_id}/restore": {
            "post": {
                "summary": "Make an old version current again (back to review unless it is the approved one)",
                "parameters": [
                    _param("asset_id", "path", "integer"),
                    _param("version_id", "path", "integer"),
                ],
                "responses": _responses("the asset's status and current version", 401, 403, 404, 409),
            }
        },
        "/search": {
            "get": {
                "summary": "Search what the caller may see: hits, total, facets (filters: f.<field>=value)",
                "parameters": [
                    _param("q"),
                    _param("sort"),
                    _param("page", kind="integer"),
                    _param("size", kind="integer"),
                    {**_param("similar_to", kind="integer"), "description": "rank by likeness to this asset"},
                    {**_param("semantic", kind="boolean"), "description": "fuse q's text embedding (CLIP)"},
                    {**_param("min_score", kind="number"), "description": "minimum cosine similarity, 0-1"},
                    {**_param("image"), "description": "token from POST /search/image (expires)"},
                ],
                "responses": _responses("hits, total and facets", 401, 404, 422, 503),
            }
        },
        "/suggest": {
            "get": {
                "summary": "As-you-type: matching product names, article numbers, tags, saved searches",
                "parameters": [_param("q", required=True)],
                "responses": _responses("suggestions with kind, text, count and query string", 401, 422),
            }
        },
        "/search/image": {
            "post": {
                "summary": "Search by an uploaded image (not stored); the answer's 'image' token pages on",
                "parameters": [
                    _param("page", kind="integer"),
                    _param("size", kind="integer"),
                    _param("min_score", kind="number"),
                ],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {"image": {"type": "string", "format": "binary"}},
                            }
                        }
                    }
                },
                "responses": _responses("hits, total, facets and the image token", 400, 401, 413, 422, 503),
            }
        },
        "/assets/{asset_id}/similar": {
            "get": {
                "summary": "The assets most like this one that the caller may see",
                "parameters": [
                    _param("asset_id", "path", "integer"),
                    _param("size", kind="integer"),
                    _param("min_score", kind="number"),
                ],
                "responses": _responses("hits with cosine scores", 401, 404, 422, 503),
            }
        },
        "/assets/{asset_id}/suggestions": {
            "get": {
                "summary": "Pending auto-tag suggestions of an asset (staff; others get an empty list)",
                "parameters": [_param("asset_id", "path", "integer")],
                "responses": _responses("items: id, tag, score, model, state", 401, 404),
            }
        },
        "/suggestions/{suggestion_id}": {
            "post": {
                "summary": 'Accept or reject a tag suggestion: {"accept": true|false} (managers)',
                "parameters": [_param("suggestion_id", "path", "integer")],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": _responses("the decided suggestion", 400, 401, 403, 404, 422),
            }
        },
    },
}


@api_bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI document of this API."""
    return jsonify(SPEC)
