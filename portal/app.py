"""The Flask application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.jobs.bootstrap import build_runtime
from portal.runtime import Runtime
from portal.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


class PortalResponse(Response):
    """Every cookie (session, remember-me, anything else) is ``Secure`` when the request came over HTTPS
    (directly, or as a trusted proxy says), even when the setting does not force it."""

    def set_cookie(self, key: str, *args: Any, **kwargs: Any) -> None:
        """Set a cookie, adding ``Secure`` on HTTPS requests."""
        if has_request_context() and request.is_secure:
            kwargs["secure"] = True
        super().set_cookie(key, *args, **kwargs)


def create_app(settings: Settings | None = None, *, start_workers: bool = True) -> Flask:
    """Create the portal app: settings from the environment unless given, embedded defaults otherwise."""
    settings = settings or load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = Flask(
        "portal",
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(settings.instance_dir.resolve()),
    )
    app.response_class = PortalResponse
    if settings.trusted_proxies:
        # Client address and scheme from X-Forwarded-For/-Proto, trusting only this many proxy hops.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        # A text form field (title, description, ...) and the number of parts in one form.
        MAX_FORM_MEMORY_SIZE=settings.max_form_field_bytes,
        MAX_FORM_PARTS=settings.max_form_parts,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_days),
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.remember_days),
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    rt = build_runtime(settings, start_workers=start_workers)
    init_runtime(app, rt)

    from portal.web import extensions

    extensions.init_app(app)
    _register_blueprints(app)

    from portal.web.errors import register_error_handlers

    register_error_handlers(app)
    return app


def init_runtime(app: Flask, rt: Runtime) -> None:
    """Attach the runtime (database, blob store, queue) to the app."""
    app.extensions["assetport"] = rt


def _register_blueprints(app: Flask) -> None:
    from portal.api import api_bp
    from portal.web import pages

    app.register_blueprint(api_bp)
    for bp in pages.blueprints():
        app.register_blueprint(bp)
