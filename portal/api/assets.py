"""``/api/v1/assets``: list, detail, upload."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from models import Role
from portal.api import api_bp
from portal.api import models as m
from portal.api.schema import operation, with_etag
from portal.errors import BadRequest
from portal.services.catalog import assets as asset_service
from portal.services.catalog.ingest import IngestResult, ingest_file
from portal.services.governance.policy import require_role
from portal.services.paging import parse_paging
from portal.web.context import client_ip, runtime, viewer


@api_bp.get("/assets")
@operation(responses={200: m.AssetPage}, query=m.AssetQuery, paged=True)
def list_assets() -> ResponseReturnValue:
    """Paged assets the caller may see; ``article_number=`` narrows to one product."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"))
    with runtime().db.session() as session:
        result = asset_service.list_assets(
            session, viewer(), page=page, size=size, article_number=request.args.get("article_number")
        )
        return jsonify(
            {
                "items": [asset_service.asset_summary(a, viewer()) for a in result.items],
                "total": result.total,
                "page": result.page,
                "size": result.size,
                "pages": result.pages,
            }
        )


@api_bp.get("/assets/<int:asset_id>")
@operation(responses={200: m.AssetDetail})
def get_asset(asset_id: int) -> ResponseReturnValue:
    """One asset with metadata, linked article numbers and versions; its ETag header goes back as
    ``If-Match`` with a PATCH."""
    with runtime().db.session() as session:
        detail = asset_service.asset_detail(session, viewer(), asset_id)
    return with_etag(jsonify(detail), detail)


@api_bp.post("/assets")
@operation(
    responses={200: m.UploadedAsset, 201: m.UploadedAsset},
    errors=(400, 403, 404, 413, 415, 422),
    multipart=m.UPLOAD_FORM,
)
def upload_asset() -> ResponseReturnValue:
    """Multipart upload of one file (field ``file``); optional ``title``, ``description``,
    ``article_number`` (repeatable). 201 for a new asset, 200 when the same bytes exist already."""
    require_role(viewer(), Role.EDITOR)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("send the file as multipart/form-data in the field 'file'")
    result = ingest_upload(
        upload,
        title=request.form.get("title"),
        description=request.form.get("description"),
        link_keys=[k for k in request.form.getlist("article_number") if k.strip()],
    )
    if not result.ok:
        body = {"error": {"code": result.error_code, "message": f"{result.filename}: {result.error}"}}
        return jsonify(body), result.status
    with runtime().db.session() as session:
        data = asset_service.asset_detail(session, viewer(), result.asset_id or 0)
    data["duplicate"] = not result.created
    return jsonify(data), 201 if result.created else 200


def ingest_upload(
    upload: FileStorage,
    *,
    title: str | None = None,
    description: str | None = None,
    link_keys: list[str] | None = None,
) -> IngestResult:
    """Spool an uploaded file next to the blob store, then ingest it (shared by the API and the web page)."""
    rt = runtime()
    with tempfile.TemporaryDirectory(dir=rt.blobs.tmp_dir, prefix="upload-") as tmp:
        path = Path(tmp) / "upload"
        upload.save(path)
        return ingest_file(
            rt,
            path,
            upload.filename,
            user_id=viewer().user_id,
            title=title,
            description=description,
            link_keys=link_keys,
            ip=client_ip(),
        )
