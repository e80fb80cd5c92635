"""The upload page: drop files, fill one form for the whole batch (per-file overrides), upload them one by one
with live progress (static/js/upload.js), optionally submitting all for review. The work is done by
``portal.services.catalog.batch_upload``; these views only read the form and answer JSON."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role, Visibility
from portal.errors import BadRequest
from portal.services.catalog import batch_upload, custom_values
from portal.services.governance.policy import require_role
from portal.web.context import client_ip, runtime, viewer

upload_bp = Blueprint("upload", __name__)


@upload_bp.get("/upload")
@login_required
def index() -> ResponseReturnValue:
    """Drag-and-drop batch upload page (editors and above)."""
    require_role(viewer(), Role.EDITOR)
    limit_mb = runtime().settings.max_upload_bytes // (1024 * 1024)
    with runtime().db.session() as session:
        fields = custom_values.visible_fields(session, viewer())
    return render_template(
        "upload.html",
        limit_mb=limit_mb,
        visibilities=[v.value for v in Visibility],
        placeholders=batch_upload.PLACEHOLDERS,
        custom_fields=fields,
    )


def _spec() -> batch_upload.BatchSpec:
    """The batch values of this request's form (custom fields from the ``custom_fields/_inputs.html``
    inputs the page rendered; an empty one sets nothing)."""
    with runtime().db.session() as session:
        shown = custom_values.visible_fields(session, viewer())
    values = custom_values.parse_form_values(shown, viewer(), request.form)
    fields = {key: value for key, value in values.items() if value is not None}
    return batch_upload.parse_batch(request.form, request.form.getlist("product"), fields)


@upload_bp.post("/upload/batch/check")
@login_required
def check() -> ResponseReturnValue:
    """Check the batch values before any file is sent: ``{"ok": true}`` or a 422 naming what is missing."""
    spec = _spec()
    with runtime().db.session() as session:
        batch_upload.check_batch(session, viewer(), spec)
    return jsonify({"ok": True, "submit": spec.submit, "products": spec.products})


@upload_bp.post("/upload/batch/file")
@login_required
def upload_file() -> ResponseReturnValue:
    """One file of a batch (field ``file``, its number ``n``, optional ``file_title``/``file_tags``) with
    the batch values; answers the file's result as JSON (201 new, 200 known bytes, 4xx refused)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("send the file as multipart/form-data in the field 'file'")
    raw_n = (request.form.get("n") or "1").strip()
    n = int(raw_n) if raw_n.isascii() and raw_n.isdigit() and len(raw_n) < 7 else 1
    spec, override = _spec(), batch_upload.parse_override(request.form)
    rt = runtime()
    with tempfile.TemporaryDirectory(dir=rt.blobs.tmp_dir, prefix="batch-") as tmp:
        path = Path(tmp) / "upload"
        upload.save(path)
        result = batch_upload.upload_one(
            rt, viewer(), path, upload.filename, spec, n, override, ip=client_ip()
        )
    if result.ok:
        with rt.db.session() as session:
            batch_upload.file_title(result, session)
    body = result.as_dict()
    if not result.ok:
        body["error"] = {"code": "refused", "message": f"{result.filename}: {result.error}"}
        return jsonify(body), result.status
    return jsonify(body), 201 if result.created else 200
