"""The upload page; the files themselves go one by one to ``POST /api/v1/assets`` (static/js/upload.js)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.services.governance.policy import require_role
from portal.web.context import runtime, viewer

upload_bp = Blueprint("upload", __name__)


@upload_bp.get("/upload")
@login_required
def index() -> ResponseReturnValue:
    """Drag-and-drop upload page (editors and above)."""
    require_role(viewer(), Role.EDITOR)
    limit_mb = runtime().settings.max_upload_bytes // (1024 * 1024)
    return render_template("upload.html", limit_mb=limit_mb)
