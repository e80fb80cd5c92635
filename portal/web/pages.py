"""All page blueprints, in registration order."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every non-API blueprint of the portal."""
    from portal.web.admin import admin_bp
    from portal.web.api_docs import api_docs_bp
    from portal.web.assets import assets_bp
    from portal.web.auth import auth_bp
    from portal.web.brand import brand_bp
    from portal.web.brand_admin import brand_admin_bp
    from portal.web.bulk import bulk_bp
    from portal.web.collections import collections_bp
    from portal.web.custom_fields import custom_fields_bp
    from portal.web.files import files_bp
    from portal.web.health import health_bp
    from portal.web.notifications import notifications_bp
    from portal.web.packages import packages_bp
    from portal.web.presets import presets_bp
    from portal.web.products import products_bp
    from portal.web.review import review_bp
    from portal.web.search import search_bp
    from portal.web.share import share_bp
    from portal.web.synonyms import synonyms_bp
    from portal.web.upload import upload_bp
    from portal.web.vision import vision_bp
    from portal.web.webhooks import webhooks_bp

    return [
        auth_bp, assets_bp, search_bp, products_bp, upload_bp, files_bp, health_bp,
        brand_bp, share_bp, brand_admin_bp,
        vision_bp,
        review_bp, admin_bp, synonyms_bp,
        packages_bp, presets_bp, webhooks_bp,
        api_docs_bp,
        notifications_bp,
        collections_bp,
        bulk_bp,
        custom_fields_bp,
    ]  # fmt: skip
