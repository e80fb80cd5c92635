"""Versions of an asset: upload a new file to an existing asset, list the history, restore an old one.

A new file is verified (probed, hashed) and stored before its row is written; the row, the audit event,
the preview job and the search sync commit together. Bytes that belong to another asset are a 409.
A new version of an approved asset goes back to review while the approved version stays what partners
and the public get (``Asset.approved_version_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Asset, AssetVersion
from portal.errors import Conflict, NotFound, ValidationError
from portal.media.probe import MediaInfo
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.catalog.assets import get_asset
from portal.services.catalog.ingest import find_by_sha, probe_for_storage, release_base, safe_filename
from portal.services.catalog.version_rows import build_version
from portal.services.distribution import webhooks
from portal.services.governance import audit, workflow
from portal.services.governance.policy import STAFF, Viewer, require_edit
from portal.services.search import sync as search_sync
from portal.storage.blobstore import BlobStore


@dataclass(frozen=True)
class NewVersion:
    """The outcome of a version upload."""

    asset_id: int
    version_id: int
    number: int
    back_in_review: bool


def _duplicate_message(existing: AssetVersion, asset_id: int) -> str:
    if existing.asset_id == asset_id:
        return f"this file is already version {existing.number} of this asset; restore it instead"
    return (
        f"this file is already stored as asset {existing.asset_id}; it cannot be a version of another asset"
    )


def add_version(
    rt: Runtime,
    viewer: Viewer,
    asset_id: int,
    path: Path,
    original_filename: str | None,
    *,
    comment: str | None = None,
    ip: str | None = None,
) -> NewVersion:
    """Store ``path`` as the new current version of an asset (editors and above).

    NotFound for an asset the viewer cannot see, RejectedFile for a file that cannot be ingested,
    Conflict when the same bytes are already stored (in this asset or another)."""
    filename = safe_filename(original_filename or path.name)
    note = workflow.clean_comment(comment)
    sha = BlobStore.hash_file(path)
    with rt.db.session() as session:
        require_edit(viewer, get_asset(session, viewer, asset_id))
        existing = find_by_sha(session, sha)
        if existing is not None:
            raise Conflict(_duplicate_message(existing, asset_id))
    info = probe_for_storage(rt, path, sha)
    try:
        return _store_version(rt, viewer, asset_id, path, sha, info, filename, note, ip)
    except BaseException:
        release_base(rt, sha)
        raise


def _store_version(
    rt: Runtime,
    viewer: Viewer,
    asset_id: int,
    path: Path,
    sha: str,
    info: MediaInfo,
    filename: str,
    note: str | None,
    ip: str | None,
) -> NewVersion:
    """Store verified new bytes and the version row; Conflict when they were stored meanwhile."""
    # Stored (hash-verified) before any row names it: a crash leaves at most an unreferenced blob.
    rt.blobs.put_file(path, expected_sha256=sha)
    try:
        with rt.db.transaction() as session:
            asset = get_asset(session, viewer, asset_id)
            require_edit(viewer, asset)
            number = (
                session.scalar(select(func.max(AssetVersion.number)).where(AssetVersion.asset_id == asset.id))
                or 0
            ) + 1
            version = build_version(
                info, sha, path.stat().st_size, filename, viewer.user_id, asset_id=asset.id, number=number
            )
            version.comment = note
            session.add(version)
            session.flush()
            asset.current_version_id = version.id
            asset.media_kind = info.media_kind.value
            audit.record(
                session,
                "version.uploaded",
                actor_id=viewer.user_id,
                asset_id=asset.id,
                target=filename,
                ip=ip,
                number=number,
                sha256=sha,
                size=version.size_bytes,
                comment=note,
            )
            back = workflow.return_to_review(
                session, asset, actor_id=viewer.user_id, reason=f"new version {number} uploaded"
            )
            outbox.record(session, "previews.build", version_id=version.id)
            search_sync.assets_changed(session, [asset.id])
            webhooks.emit_asset_event(session, "asset.updated", asset.id)
            return NewVersion(asset.id, version.id, number, back)
    except IntegrityError:
        # The same bytes (or the same version number) were stored meanwhile by another request.
        with rt.db.session() as session:
            existing = find_by_sha(session, sha)
        if existing is None:
            raise Conflict("another version was added at the same moment; try again") from None
        raise Conflict(_duplicate_message(existing, asset_id)) from None


def restore_version(
    session: Session, viewer: Viewer, asset_id: int, version_id: int, *, ip: str | None = None
) -> Asset:
    """Make an old version current again (editors and above); an approved asset whose restored version is
    not the approved one goes back to review. Recorded in the audit trail."""
    asset = get_asset(session, viewer, asset_id)
    require_edit(viewer, asset)
    version = session.get(AssetVersion, version_id)
    if version is None or version.asset_id != asset.id:
        raise NotFound("version not found")
    if asset.current_version_id == version.id:
        raise Conflict(f"version {version.number} is already the current version")
    previous = asset.current_version.number if asset.current_version else None
    asset.current_version_id = version.id
    audit.record(
        session,
        "version.restored",
        actor_id=viewer.user_id,
        asset_id=asset.id,
        ip=ip,
        number=version.number,
        previous=previous,
    )
    if version.id != asset.approved_version_id:
        workflow.return_to_review(
            session, asset, actor_id=viewer.user_id, reason=f"version {version.number} restored"
        )
    search_sync.assets_changed(session, [asset.id])
    webhooks.emit_asset_event(session, "asset.updated", asset.id)
    return asset


def version_history(session: Session, viewer: Viewer, asset_id: int) -> list[AssetVersion]:
    """Every version of an asset, newest first, with who uploaded it and when (staff only: partners
    and the public only ever get the approved version)."""
    if not viewer.at_least(STAFF):
        raise NotFound("asset not found")
    asset = get_asset(session, viewer, asset_id)
    return sorted(asset.versions, key=lambda v: v.number, reverse=True)


def pick_pair(
    versions: list[AssetVersion], a: int | None, b: int | None
) -> tuple[AssetVersion, AssetVersion]:
    """Two versions to compare by number: given ones, else the newest two (ValidationError when fewer)."""
    by_number = {v.number: v for v in versions}
    if len(by_number) < 2:
        raise ValidationError("this asset has only one version; there is nothing to compare")
    newest = sorted(by_number, reverse=True)
    left = by_number.get(a if a is not None else newest[1])
    right = by_number.get(b if b is not None else newest[0])
    if left is None or right is None:
        raise NotFound("version not found")
    return left, right
