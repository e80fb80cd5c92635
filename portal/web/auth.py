"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from portal.errors import AuthenticationRequired, TooManyRequests
from portal.services.accounts.users import authenticate, end_sessions_of
from portal.web.context import client_ip, runtime
from portal.web.extensions import PortalUser
from portal.web.flashing import flash

auth_bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative redirects after login (no open redirect)."""
    if not target:
        return url_for("assets.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("assets.index")
    return target


@auth_bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; on POST check the credentials (rate limited) and start a session."""
    error: str | None = None
    status = 200
    email = request.form.get("email", "")
    if request.method == "POST":
        settings = runtime().settings
        try:
            user = authenticate(
                runtime().db,
                email,
                request.form.get("password", ""),
                client_ip(),
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_window_seconds,
                max_client_failures=settings.login_max_client_failures,
            )
        except (AuthenticationRequired, TooManyRequests) as exc:
            error, status = exc.message, exc.status
        else:
            login_user(PortalUser(user), remember=bool(request.form.get("remember")))
            flash(f"Welcome, {user.name or user.email}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, email=email), status


@auth_bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session (POST with a CSRF token, so no other site can log a user out), server-side too:
    a copy of the cookie taken before logout no longer works."""
    if current_user.is_authenticated and g.get("token_scope") is None:
        with runtime().db.transaction() as session:
            end_sessions_of(session, current_user.id, current_user.generation)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
