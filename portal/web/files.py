"""File delivery: ``/a/<id>/<preset>`` (thumb, preview, original), permission-checked on every request."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import AssetVersion
from portal.errors import NotFound
from portal.services import assets as asset_service
from portal.web.context import runtime, viewer

files_bp = Blueprint("files", __name__)
PREVIEW_PRESETS = ("thumb", "preview")
# Types a browser may render inline; everything else (SVG, HTML, PDF, ...) is sent as an attachment.
INLINE_SAFE = {"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"}


@files_bp.get("/a/<int:asset_id>/<preset>")
@login_required
def asset_file(asset_id: int, preset: str) -> ResponseReturnValue:
    """Serve the current version's original or one of its previews."""
    rt = runtime()
    with rt.db.session() as session:
        asset = asset_service.get_asset(session, viewer(), asset_id)
        version = session.get(AssetVersion, asset.current_version_id) if asset.current_version_id else None
        if version is None:
            raise NotFound("this asset has no file")
        if preset == "original":
            sha, mime, name = version.sha256, version.mime_type, version.original_filename
        elif preset in PREVIEW_PRESETS:
            rendition = asset_service.rendition_for(session, version.id, preset)
            if rendition is None:
                raise NotFound(f"the {preset} of this asset is not ready yet")
            sha, mime = rendition.sha256, rendition.mime_type
            name = f"{asset.id}_{preset}.{mime.split('/')[-1]}"
        else:
            raise NotFound(f"unknown preset {preset!r}")
    etag = f'"{sha}"'
    if request.if_none_match.contains(sha):
        return Response(status=304, headers={"ETag": etag})
    inline = preset != "original" or mime in INLINE_SAFE
    response = Response(rt.blobs.iter_chunks(sha), mimetype=mime, direct_passthrough=True)
    response.headers["ETag"] = etag
    # Private: permissions are checked per request, so shared caches must not keep the bytes.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = _disposition("inline" if inline else "attachment", name)
    return response


def _disposition(kind: str, filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
