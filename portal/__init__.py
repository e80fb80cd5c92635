"""Assetport portal: Flask app factory, web blueprints, JSON API, CLI, services, jobs and storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(settings: Any = None, **kwargs: Any) -> Flask:
    """Build the Flask application (see ``portal.app.create_app``)."""
    from portal.app import create_app as _create_app

    return _create_app(settings, **kwargs)
