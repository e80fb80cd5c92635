"""Request-scoped helpers: the runtime, the current viewer, the client address."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from portal.runtime import Runtime
from portal.services.governance.policy import ANONYMOUS, Viewer


def runtime() -> Runtime:
    """The app's runtime (database, blob store, queue, settings)."""
    rt: Runtime = current_app.extensions["assetport"]
    return rt


def viewer() -> Viewer:
    """Who is asking, as a Flask-free value for the services."""
    if current_user and current_user.is_authenticated:
        return Viewer(current_user.id, current_user.role)
    return ANONYMOUS


def client_ip() -> str | None:
    """The client address (behind a proxy, configure ProxyFix so this is the real one)."""
    return request.remote_addr
