"""All page blueprints, in registration order."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every non-API blueprint of the portal."""
    from portal.web.assets import assets_bp
    from portal.web.auth import auth_bp
    from portal.web.files import files_bp
    from portal.web.health import health_bp
    from portal.web.products import products_bp
    from portal.web.search import search_bp
    from portal.web.upload import upload_bp

    return [auth_bp, assets_bp, search_bp, products_bp, upload_bp, files_bp, health_bp]
