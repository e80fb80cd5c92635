"""``/api/v1/assets/<id>/versions``: upload a new version, list the history, restore an old version."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from portal.api import api_bp
from portal.api import models as m
from portal.api.schema import operation
from portal.errors import BadRequest
from portal.services.catalog import versions
from portal.services.catalog.assets import version_to_dict
from portal.web.context import client_ip, runtime, viewer


@api_bp.get("/assets/<int:asset_id>/versions")
@operation(responses={200: m.VersionList})
def list_versions(asset_id: int) -> ResponseReturnValue:
    """Every version, newest first, with who uploaded it and when (staff only)."""
    with runtime().db.session() as session:
        items = []
        for version in versions.version_history(session, viewer(), asset_id):
            item = version_to_dict(version, include_private=True)
            item["uploaded_by"] = version.uploaded_by.email if version.uploaded_by else None
            item["comment"] = version.comment
            items.append(item)
    return jsonify({"items": items})


@api_bp.post("/assets/<int:asset_id>/versions")
@operation(
    responses={201: m.VersionAdded},
    errors=(400, 403, 409, 413, 415, 422),
    multipart=m.VERSION_FORM,
)
def upload_version(asset_id: int) -> ResponseReturnValue:
    """Multipart upload (field ``file``, optional ``comment``) of a new current version: 201; the same
    bytes stored already: 409; an approved asset goes back to review (``back_in_review``)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("send the file as multipart/form-data in the field 'file'")
    rt = runtime()
    with tempfile.TemporaryDirectory(dir=rt.blobs.tmp_dir, prefix="version-") as tmp:
        path = Path(tmp) / "upload"
        upload.save(path)
        result = versions.add_version(
            rt, viewer(), asset_id, path, upload.filename, comment=request.form.get("comment"), ip=client_ip()
        )
    return jsonify(
        {
            "asset_id": result.asset_id,
            "version_id": result.version_id,
            "number": result.number,
            "back_in_review": result.back_in_review,
        }
    ), 201


@api_bp.post("/assets/<int:asset_id>/versions/<int:version_id>/restore")
@operation(responses={200: m.Versioned}, errors=(403, 409))
def restore_version(asset_id: int, version_id: int) -> ResponseReturnValue:
    """Make an old version current again."""
    with runtime().db.transaction() as session:
        asset = versions.restore_version(session, viewer(), asset_id, version_id, ip=client_ip())
        data = {"id": asset.id, "status": asset.status, "current_version_id": asset.current_version_id}
    return jsonify(data)
