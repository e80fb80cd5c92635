"""JSON API under ``/api/v1``: thin views over the services; every route needs a logged-in user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user

from portal.errors import AuthenticationRequired, BadRequest

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")


@api_bp.before_request
def _require_login() -> None:
    if request.endpoint == "api.openapi":
        return
    if not current_user.is_authenticated:
        raise AuthenticationRequired("authentication required: send a session cookie or a Bearer token")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a clear 400."""
    if not request.data:
        raise BadRequest("request body must be a JSON object")
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("malformed JSON in request body")
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    return data


# Routes register themselves on api_bp when their modules are imported.
from portal.api import (  # noqa: E402, F401
    admin,
    assets,
    brand,
    bulk,
    collections,
    custom_fields,
    editing,
    hub,
    notifications,
    openapi,
    packages,
    products,
    search,
    versions,
    vision,
    webhooks,
    workflow,
)
