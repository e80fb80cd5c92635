"""File delivery: ``/a/<id>/<preset>`` (stable link, the released version) and ``/a/<id>/v/<n>/<preset>``
(pinned version), permission-checked on every request by
``portal.services.distribution.renditions.deliver``."""

from __future__ import annotations

from flask import Blueprint, Response, request, send_file
from flask.typing import ResponseReturnValue

from portal.errors import AuthenticationRequired, NotFound
from portal.runtime import Runtime
from portal.services.brand.delivery import FILE_CSP, VIEW_PRESETS, public_asset, safe_mimetype
from portal.services.distribution import playback, renditions
from portal.services.distribution.renditions import Delivery
from portal.web import public
from portal.web.context import client_ip, runtime, viewer
from portal.web.terms import terms_redirect

files_bp = Blueprint("files", __name__)
# Shared caches may keep a public file briefly and must then revalidate with the ETag (a newly approved
# version or a changed preset changes it); pinned versions change less often.
STABLE_PUBLIC = "public, max-age=300, must-revalidate"
PINNED_PUBLIC = "public, max-age=3600, must-revalidate"
PRIVATE = "private, max-age=300, must-revalidate"


@files_bp.get("/a/<int:asset_id>/<preset>")
def asset_file(asset_id: int, preset: str) -> ResponseReturnValue:
    """The released (partners, public) or current (staff) version in ``preset`` or ``original``."""
    gate = _public_gate(asset_id, preset)
    if gate is not None:
        return gate
    return send_delivery(_deliver(asset_id, preset, None), STABLE_PUBLIC)


@files_bp.get("/a/<int:asset_id>/v/<int:number>/<preset>")
def pinned_file(asset_id: int, number: int, preset: str) -> ResponseReturnValue:
    """One version of an asset by its number (partners and the public: only the released one)."""
    gate = _public_gate(asset_id, preset)
    if gate is not None:
        return gate
    rt = runtime()
    with rt.db.session() as session:
        version_id = renditions.version_id_by_number(session, asset_id, number)
    return send_delivery(_deliver(asset_id, preset, version_id), PINNED_PUBLIC)


def _public_gate(asset_id: int, preset: str) -> ResponseReturnValue | None:
    """The brand hub's download rules for anonymous visitors: only the presets the hub offers the
    public, and only after the usage terms were accepted (a redirect to them). Thumbnails and previews
    pass; anything refused answers "log in", like an id the visitor may not know."""
    if viewer().is_authenticated or preset in VIEW_PRESETS:
        return None
    with runtime().db.session() as session:
        try:
            offered = public_asset(session, asset_id).presets
        except NotFound:
            raise AuthenticationRequired("please log in") from None
        if preset not in offered:
            raise AuthenticationRequired("please log in")
        return terms_redirect(session)


@files_bp.get("/a/<int:asset_id>/play")
def play(asset_id: int) -> ResponseReturnValue:
    """The web rendition of a video or sound for players, with HTTP Range requests (206)."""
    return send_ranged(_deliver(asset_id, playback.PLAY, None), STABLE_PUBLIC)


def _deliver(asset_id: int, preset: str, version_id: int | None) -> Delivery:
    rt: Runtime = runtime()
    who = viewer()
    with rt.db.session() as session:
        try:
            if preset == playback.PLAY:
                found = playback.deliver_playable(session, rt, who, asset_id, version_id=version_id)
            elif preset == playback.FILMSTRIP and version_id is None:
                found = playback.deliver_filmstrip(session, who, asset_id)
            else:
                found = renditions.deliver(session, rt, who, asset_id, preset, version_id=version_id)
        except NotFound:
            if not who.is_authenticated:
                # Anonymous visitors get public files only; for anything else the answer is "log in",
                # whether or not the id exists.
                raise AuthenticationRequired("please log in") from None
            raise
    if not who.is_authenticated:
        # Anonymous visitors share the brand hub's limits on what is actually served (thumbnails apart
        # from real downloads); refusals are not counted, since every refused id answers the same "log in".
        viewing = preset in VIEW_PRESETS or preset in (playback.PLAY, playback.FILMSTRIP)
        public.limit("media" if viewing else "downloads")
    if preset != playback.FILMSTRIP:
        renditions.record_download(rt, who, found, client_ip())
    return found


def send_delivery(found: Delivery, public_policy: str) -> Response:
    """The response for a delivery (or 304): safe type, file CSP, nosniff, ETag; shared caching only for
    released public bytes (``public_policy``), private otherwise."""
    rt = runtime()
    cache = public_policy if found.shared_cache else PRIVATE
    if request.if_none_match.contains(found.sha256):
        return Response(status=304, headers={"ETag": found.etag, "Cache-Control": cache})
    response = Response(
        rt.blobs.iter_chunks(found.sha256), mimetype=safe_mimetype(found.mime_type), direct_passthrough=True
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["ETag"] = found.etag
    response.headers["Content-Length"] = str(found.size)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = public.disposition(
        "inline" if found.inline else "attachment", found.filename
    )
    return response


def send_ranged(found: Delivery, public_policy: str) -> Response:
    """Like ``send_delivery``, answering ``Range`` requests with 206 partial content (players seek)."""
    rt = runtime()
    cache = public_policy if found.shared_cache else PRIVATE
    response = send_file(
        rt.blobs.path_for(found.sha256),
        mimetype=safe_mimetype(found.mime_type),
        conditional=True,
        etag=found.sha256,
        max_age=None,
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Disposition"] = public.disposition("inline", found.filename)
    return response
