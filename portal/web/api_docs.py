"""``/api/docs``: the generated OpenAPI document as a browsable page (Swagger UI, vendored, no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

api_docs_bp = Blueprint("api_docs", __name__)


@api_docs_bp.get("/api/docs")
def docs() -> ResponseReturnValue:
    """Swagger UI over ``/api/v1/openapi.json``; "Try it out" uses the session and its CSRF token."""
    return render_template("api_docs.html")
