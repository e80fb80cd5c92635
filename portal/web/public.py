"""What the public blueprints (brand hub, share links) share: rate limits, file responses, error pages
in the hub's own layout, and stricter headers."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from portal.errors import PortalError, TooManyRequests
from portal.services.brand import hub as brand_service
from portal.services.brand.delivery import FILE_CSP, safe_mimetype
from portal.services.distribution.renditions import Delivery
from portal.services.governance.ratelimit import Limiter, enforce, make_limiter
from portal.web.context import client_ip, runtime

WINDOW = 60.0
PASSWORD_WINDOW = 300.0
LIMITER_KEY = "assetport.public_limiter"


log = logging.getLogger(__name__)


def limiter() -> Limiter:
    """The app's limiter (Redis-backed when ASSETPORT_REDIS_URL is set), made on first use."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    found: Limiter | None = app.extensions.get(LIMITER_KEY)
    if found is None:
        found = app.extensions[LIMITER_KEY] = make_limiter(runtime().settings.redis_url)
    return found


def limit(bucket: str) -> None:
    """Count one request of the client in a bucket: ``pages``, ``media`` or ``downloads``."""
    settings = runtime().settings
    per_minute = {
        "pages": settings.public_rate_pages,
        "media": settings.public_rate_media,
        "downloads": settings.public_rate_downloads,
    }[bucket]
    enforce(limiter(), f"{bucket}:{client_ip() or '-'}", per_minute, WINDOW)


def limit_password(link_id: int) -> None:
    """Count one password attempt of this client on this link."""
    per_window = runtime().settings.public_rate_passwords
    enforce(limiter(), f"password:{link_id}:{client_ip() or '-'}", per_window, PASSWORD_WINDOW)


def file_response(file: Delivery, *, force_download: bool = False, shared_cache: bool = True) -> Response:
    """Stream a file; only safe raster types ever show inline (SVG, HTML, PDF are attachments)."""
    if request.if_none_match.contains(file.etag.strip('"')):
        return Response(status=304, headers={"ETag": file.etag})
    rt = runtime()
    response = Response(
        rt.blobs.iter_chunks(file.sha256), mimetype=safe_mimetype(file.mime_type), direct_passthrough=True
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["ETag"] = file.etag
    response.headers["Content-Length"] = str(file.size)
    # Released bytes of a public asset may sit in shared caches (revalidated by ETag); anything else is
    # re-checked per request, so only the visitor's own cache keeps it.
    response.headers["Cache-Control"] = (
        "public, max-age=300" if file.shared_cache and shared_cache else "private, max-age=600"
    )
    inline = file.inline and not force_download
    response.headers["Content-Disposition"] = disposition("inline" if inline else "attachment", file.filename)
    return response


def disposition(kind: str, filename: str) -> str:
    """A Content-Disposition header with an ASCII fallback and the UTF-8 name."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def install(bp: Blueprint) -> None:
    """Error pages in the hub's layout, Retry-After on 429, and stricter headers on every answer."""

    @bp.errorhandler(PortalError)
    def _error(exc: PortalError) -> ResponseReturnValue:
        try:
            with runtime().db.session() as session:
                brand = brand_service.get_settings(session)
            page = render_template("brand/error.html", brand=brand, status=exc.status, message=exc.message)
            response = Response(page, status=exc.status, mimetype="text/html")
        except Exception:
            # An error page never raises: a plain answer keeps the status and the security headers.
            log.exception("could not render the hub's error page")
            response = Response(f"{exc.status} {exc.message}\n", status=exc.status, mimetype="text/plain")
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.detail.get("retry_after", 60))
        return response

    @bp.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            # Pages depend on the visitor's session (terms, unlocked links): never stored by shared caches.
            response.headers["Cache-Control"] = "private, no-cache"
        return response
