"""The one place where domain exceptions and HTTP errors become responses (JSON for the API)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.errors import AuthenticationRequired, PermissionDenied, PortalError, TooManyRequests

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API paths, and clients that ask for JSON, get JSON errors."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, code: str, message: str) -> ResponseReturnValue:
    """Render an error as ``{"error": {"code", "message"}}`` or as an HTML page."""
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message}})
        resp.status_code = status
        return resp
    if status == 401:
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    try:
        return render_template("error.html", status=status, code=code, message=message), status
    except Exception:
        # An error page never raises: a plain answer beats a second error without security headers.
        log.exception("could not render the error page for %s", code)
        return Response(f"{status} {message}\n", status=status, mimetype="text/plain")


def register_error_handlers(app: Flask) -> None:
    """Map every expected error to a clear 4xx; anything else is a logged 500 without internals."""

    @app.errorhandler(PortalError)
    def _portal_error(exc: PortalError) -> ResponseReturnValue:
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        if isinstance(exc, PermissionDenied):
            _audit_denial(exc)
        response = make_response(error_response(exc.status, exc.code, exc.message))
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.detail.get("retry_after", 60))
        return response

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return error_response(400, "csrf", f"CSRF check failed: {exc.description}")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        return error_response(413, "too_large", too_large_message(app, exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = make_response(
            error_response(exc.code or 500, code, exc.description or exc.name or "error")
        )
        for name, value in exc.get_headers():
            if name == "Allow":  # a 405 says which methods are allowed
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "internal error; it has been logged")

    app.login_manager.unauthorized_handler(_unauthorized)  # type: ignore[attr-defined]


def too_large_message(app: Flask, exc: RequestEntityTooLarge) -> str:
    """Which limit a 413 hit: the whole upload, one form field's size, or the number of form parts."""
    limit = app.config.get("MAX_CONTENT_LENGTH") or 0
    if request.content_length is not None and limit and request.content_length > limit:
        return f"upload too large: the limit is {limit // (1024 * 1024)} MiB"
    # werkzeug raises the same exception for every form limit; where it was raised tells them apart.
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    parts = app.config.get("MAX_FORM_PARTS") or 0
    if frame is not None and frame.tb_frame.f_code.co_name == "next_event":
        return f"too many form fields: the limit is {parts} fields and files"
    field = app.config.get("MAX_FORM_MEMORY_SIZE") or 0
    return f"a form field is too large: text fields are limited to {field // 1024} KiB each"


def _unauthorized() -> ResponseReturnValue:
    exc = AuthenticationRequired("please log in")
    return error_response(exc.status, exc.code, exc.message)


def _audit_denial(exc: PermissionDenied) -> None:
    """Record a refused request in the audit trail (its own transaction: the request's was rolled back)."""
    from portal.services.governance.audit import record
    from portal.web.context import client_ip, runtime, viewer

    try:
        asset_id = (request.view_args or {}).get("asset_id")
        with runtime().db.transaction() as session:
            record(
                session,
                "permission.denied",
                actor_id=viewer().user_id,
                asset_id=asset_id if isinstance(asset_id, int) else None,
                target=f"{request.method} {request.path}"[:300],
                ip=client_ip(),
                reason=exc.message,
            )
    except Exception:
        # The denial itself must still be answered; a failed audit write is logged, not raised.
        log.exception("could not record a permission denial")
