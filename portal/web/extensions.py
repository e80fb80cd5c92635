"""Flask extensions (login, CSRF), set up with ``init_app``."""

from __future__ import annotations

from flask import Flask, Request, Response, g, request, session
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter, Map

from models import User
from portal.errors import AuthenticationRequired, PermissionDenied
from portal.services.paging import MAX_ID
from portal.web.context import runtime
from portal.web.input_guard import check_request


class _PortalLoginManager(LoginManager):
    """flask-login, except that a bearer-token request with a login-less cookie never trips protection.

    A client holding a stray cookie (say, one that only fetched a CSRF token) and sending a token would
    otherwise be treated as anonymous by the "strong" protection before the token is even looked at.
    """

    def _session_protection_failed(self) -> bool:
        # Only a cookie without a login in it is waved through: a logged-in session cookie replayed from
        # elsewhere stays protected, whatever Authorization header comes with it.
        if _is_bearer(request) and "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


def _is_bearer(req: Request) -> bool:
    return req.headers.get("Authorization", "").lower().startswith("bearer ")


def _bearer_authenticated() -> bool:
    """True only when a valid bearer token (not a session cookie) authenticated this request."""
    return bool(current_user.is_authenticated and g.get("token_scope") is not None)


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to what an id column holds (32-bit on PostgreSQL): a larger number is an
    unknown id (404), not an overflow deep in the database driver (500)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


login_manager = _PortalLoginManager()
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
        self.generation = user.session_generation or 0

    def get_id(self) -> str:
        # The session generation rides along in the session and remember-me cookies: once the user logs
        # out, changes password or role, or is disabled, the generation moves on and old cookies fail.
        return f"{self.id}:{self.generation}"


@login_manager.request_loader
def _load_bearer(req: Request) -> PortalUser | None:
    """``Authorization: Bearer <token>``: the token's user, for this request only (no session cookie)."""
    if not _is_bearer(req):
        return None
    header = req.headers.get("Authorization", "")
    from portal.services.accounts.tokens import authenticate_token

    try:
        with runtime().db.transaction() as session:
            identity = authenticate_token(session, header[7:])
            user = session.get(User, identity.user_id)
            assert user is not None  # authenticate_token checked it
            g.token_scope = identity.scope
            return PortalUser(user)
    except AuthenticationRequired as exc:
        # Never raised from here: this runs lazily, even inside template rendering. The API answers it
        # with a 401 (``_bearer_refused``); pages that allow visitors treat the caller as anonymous.
        g.bearer_error = exc
        return None


@login_manager.user_loader
def _load_user(user_id: str) -> PortalUser | None:
    """The user of a session or remember-me cookie, if that cookie's generation is still current."""
    uid_text, _, generation_text = (user_id or "").partition(":")
    try:
        uid, generation = int(uid_text), int(generation_text)
    except ValueError:
        return None
    with runtime().db.session() as session:
        user = session.get(User, uid) if 0 < uid <= MAX_ID else None
        if user is None or not user.is_active or (user.session_generation or 0) != generation:
            return None
        return PortalUser(user)


def init_app(app: Flask) -> None:
    """Register login management, CSRF protection, security headers and the bounded ``int`` converter."""
    # Before any blueprint registers its routes, so every <int:...> id uses it.
    app.url_map.converters["int"] = IdConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    # CSRF is checked explicitly below: cookie sessions need it, bearer-token requests cannot carry it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def _refuse_malformed_input() -> None:
        check_request(request)

    @app.before_request
    def _bearer_refused() -> None:
        # Resolve the caller now, outside any template: a refused token is a 401 on the API only.
        if _is_bearer(request) and not current_user.is_authenticated:
            refused = g.get("bearer_error")
            if refused is not None and request.path.startswith("/api/"):
                raise refused

    @app.before_request
    def _csrf_unless_bearer() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if _bearer_authenticated():
            # Authenticated by the token itself; a read token never changes anything.
            if g.token_scope == "read":
                raise PermissionDenied("this API token is read-only")
            return
        # A cookie session (or nobody) always needs the token, whatever Authorization header comes along.
        csrf.protect()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
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
