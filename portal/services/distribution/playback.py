"""Playback and the progress of audio/video renditions: ``/a/<id>/play`` streams a kind's web rendition
(video: 720p MP4, audio: AAC) under the same checks as every file; jobs record how far they have got."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Asset, AssetVersion, Rendition
from portal.errors import NotFound
from portal.runtime import Runtime
from portal.services.distribution.renditions import Delivery, deliver
from portal.services.governance.policy import (
    ANONYMOUS,
    Viewer,
    can_view,
    require_download,
    served_version_id,
)

#: The pseudo preset of ``/a/<id>/play``: the kind's web rendition (see ``PLAY_PRESETS``).
PLAY = "play"
#: What ``/a/<id>/play`` streams per media kind.
PLAY_PRESETS = {"video": "video-720", "audio": "audio-web"}
#: Key frames of a video side by side, built by the previews job (never on request), shown like a preview.
FILMSTRIP = "filmstrip"


def deliver_filmstrip(session: Session, viewer: Viewer, asset_id: int) -> Delivery:
    """The filmstrip of the version this viewer gets, under the file checks; NotFound when there is none."""
    asset = require_download(viewer, session.get(Asset, asset_id), FILMSTRIP)
    version_id = served_version_id(viewer, asset)
    row = session.scalar(
        select(Rendition).where(Rendition.version_id == version_id, Rendition.preset == FILMSTRIP)
    )
    if row is None or version_id is None:
        raise NotFound("this asset has no filmstrip")
    shared = can_view(ANONYMOUS, asset) and version_id == (
        asset.approved_version_id or asset.current_version_id
    )
    return Delivery(
        row.sha256, row.mime_type, f"filmstrip-{asset.id}.webp", f'"{row.sha256}"', row.size_bytes, True,
        asset.id, version_id, FILMSTRIP, shared,
    )  # fmt: skip


def deliver_playable(
    session: Session, rt: Runtime, viewer: Viewer, asset_id: int, *, version_id: int | None = None
) -> Delivery:
    """The web rendition a player streams (video: 720p MP4, audio: AAC), under the same checks as
    ``deliver``; NotFound for assets that are not audio or video, or that the viewer may not get."""
    asset = session.get(Asset, asset_id)
    preset = PLAY_PRESETS.get(asset.media_kind if asset is not None else "", "")
    if not preset:
        raise NotFound("asset not found")
    return deliver(session, rt, viewer, asset_id, preset, version_id=version_id)


def set_progress(rt: Runtime, version_id: int, preset: str, fraction: float | None) -> None:
    """Record how far a job has built a version's rendition (None: finished or given up)."""
    with rt.db.transaction() as session:
        version = session.get(AssetVersion, version_id)
        if version is None:
            return
        work = dict(version.progress or {})
        if fraction is None:
            work.pop(preset, None)
        else:
            work[preset] = round(max(0.0, min(1.0, fraction)), 3)
        version.progress = work
