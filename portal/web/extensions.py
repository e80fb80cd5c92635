"""Flask extensions (login, CSRF), set up with ``init_app``."""

from __future__ import annotations

from flask import Flask, Request, Response, g, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter, Map

from models import User
from portal.errors import BadRequest, PermissionDenied
from portal.services.paging import MAX_ID
from portal.web.context import runtime


class _PortalLoginManager(LoginManager):
    """flask-login, except that a bearer-token request never trips session protection.

    A client holding a stray cookie (say, one that only fetched a CSRF token) and sending a token would
    otherwise be treated as anonymous by the "strong" protection before the token is even looked at.
    """

    def _session_protection_failed(self) -> bool:
        if _is_bearer(request):
            return False
        return bool(super()._session_protection_failed())


def _is_bearer(req: Request) -> bool:
    return req.headers.get("Authorization", "").lower().startswith("bearer ")


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

    def get_id(self) -> str:
        return str(self.id)


@login_manager.request_loader
def _load_bearer(req: Request) -> PortalUser | None:
    """``Authorization: Bearer <token>``: the token's user, for this request only (no session cookie)."""
    if not _is_bearer(req):
        return None
    header = req.headers.get("Authorization", "")
    from portal.services.accounts.tokens import authenticate_token

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
    def _refuse_nul_bytes() -> None:
        # No text field anywhere takes a NUL; PostgreSQL refuses to store one, so catch it up front.
        if _has_nul(request):
            raise BadRequest("the request contains a NUL character")

    @app.before_request
    def _csrf_unless_bearer() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if _is_bearer(request):
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


def _has_nul(req: Request) -> bool:
    """True when a query value, form value, uploaded file name or JSON string holds a NUL byte."""
    if "\x00" in req.path or any("\x00" in k or "\x00" in v for k, v in req.args.items(multi=True)):
        return True
    if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # A multipart part without a name has the key None.
        if any("\x00" in (k or "") or "\x00" in (v or "") for k, v in req.form.items(multi=True)):
            return True
        return any("\x00" in (f.filename or "") for f in req.files.values())
    if req.is_json:
        # Malformed JSON is left to the view, which answers it with its own 400.
        return _json_has_nul(req.get_json(silent=True))
    return False


def _json_has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False
