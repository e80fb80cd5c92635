"""``/api/v1/openapi.json``: the OpenAPI document, generated from the routes and their models."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from portal.api import api_bp
from portal.api.schema import build_spec


@api_bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The machine-readable description of the JSON API (no login needed)."""
    spec = current_app.extensions.get("assetport.openapi")
    if spec is None:
        spec = current_app.extensions["assetport.openapi"] = build_spec(current_app)
    return jsonify(spec)
