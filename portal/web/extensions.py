"""Flask extensions (login, CSRF), set up with ``init_app``."""

from __future__ import annotations

from flask import Flask, Request, Response, g, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from models import User
from portal.errors import PermissionDenied
from portal.web.context import runtime

login_manager = LoginManager()
csrf = CSRFProtect()


class PortalUser:
    """The logged-in user as flask-login sees it (a plain snapshot, detached from any session)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.email = user.email
        self.name = user.name or user.email
        self.role = user.role_enum
        self.is_active = user.is_active

    def get_id(self) -> str:
        return str(self.id)


@login_manager.request_loader
def _load_bearer(req: Request) -> PortalUser | None:
    """``Authorization: Bearer <token>``: the token's user, for this request only (no session cookie)."""
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    from portal.services.tokens import authenticate_token

    with runtime().db.transaction() as session:
        identity = authenticate_token(session, header[7:])
        user = session.get(User, identity.user_id)
        assert user is not None  # authenticate_token checked it
        g.token_scope = identity.scope
        return PortalUser(user)


@login_manager.user_loader
def _load_user(user_id: str) -> PortalUser | None:
    try:
        uid = int(user_id)
    except ValueError:
        return None
    with runtime().db.session() as session:
        user = session.get(User, uid)
        if user is None or not user.is_active:
            return None
        return PortalUser(user)


def init_app(app: Flask) -> None:
    """Register login management, CSRF protection and security headers."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    # CSRF is checked explicitly below: cookie sessions need it, bearer-token requests cannot carry it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def _csrf_unless_bearer() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            # Authenticated (or refused) by the token itself; a read token never changes anything.
            if current_user.is_authenticated and getattr(g, "token_scope", None) == "read":
                raise PermissionDenied("this API token is read-only")
            return
        csrf.protect()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
