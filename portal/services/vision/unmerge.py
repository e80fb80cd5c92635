"""Undoing a near-duplicate merge: the merged-away file becomes a separate asset again and the target's
previous version is current again.

A merge deletes the flagged asset, so its values were kept in the merge's audit event (``undo``); the undo
rebuilds it from there as a new asset (a new id) in draft, with its title, description, rights, tags and
product links, so it is reviewed again before anyone outside sees it. An undo is possible while the moved
file is still the target's current version (nothing newer was uploaded or restored since).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import (
    Asset,
    AssetEmbedding,
    AssetStatus,
    AssetTag,
    AssetVersion,
    AuditEvent,
    LinkSource,
    Role,
    User,
)
from portal.errors import Conflict, NotFound
from portal.services.catalog import linking
from portal.services.governance import audit
from portal.services.governance.fields import Field, require_write
from portal.services.governance.policy import Viewer, require_role
from portal.services.search import sync as search_sync

MERGED = "duplicate.merged_in"
UNDONE = "duplicate.unmerged"


def undoable_merges(session: Session, asset_id: int) -> list[AuditEvent]:
    """Merges into this asset that can still be undone, newest first (its current version is the file a
    merge moved in, and that merge was not undone yet)."""
    asset = session.get(Asset, asset_id)
    if asset is None or asset.current_version_id is None:
        return []
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.asset_id == asset_id, AuditEvent.action.in_((MERGED, UNDONE)))
        .order_by(AuditEvent.id.desc())
    ).all()
    undone = {e.detail.get("merge_event") for e in events if e.action == UNDONE}
    return [
        e
        for e in events
        if e.action == MERGED
        and e.id not in undone
        and (e.detail.get("undo") or {}).get("version_id") == asset.current_version_id
    ]


def undo_merge(session: Session, viewer: Viewer, event_id: int, *, ip: str | None = None) -> int:
    """Undo one merge (editors and above, who may write the target); returns the restored asset's id."""
    require_role(viewer, Role.EDITOR)
    event = session.get(AuditEvent, event_id)
    if event is None or event.action != MERGED or event.asset_id is None:
        raise NotFound("merge not found")
    target = session.get(Asset, event.asset_id)
    if target is None:
        raise NotFound("the asset merged into no longer exists")
    require_write(viewer, target, Field.VERSION)
    if event not in undoable_merges(session, target.id):
        raise Conflict("this merge can no longer be undone: it was undone, or the asset changed since")
    undo: dict[str, Any] = event.detail["undo"]
    version = session.get(AssetVersion, undo["version_id"])
    previous = session.get(AssetVersion, undo["target_previous_version_id"] or 0)
    if version is None or previous is None or previous.asset_id != target.id:
        raise Conflict("this merge can no longer be undone: a version involved is gone")
    restored = _restore_asset(session, undo)
    target.current_version = previous
    version.asset = restored
    version.number = int(undo["version_number"])
    version.comment = undo.get("version_comment")
    restored.current_version = version
    session.execute(
        update(AssetEmbedding).where(AssetEmbedding.version_id == version.id).values(asset_id=restored.id)
    )
    if target.status == AssetStatus.IN_REVIEW.value and undo["target_previous_status"] == "approved":
        target.status = AssetStatus.APPROVED.value
    for key in undo.get("links") or []:
        try:
            linking.add_link(session, restored, key, LinkSource.MANUAL, viewer.user_id)
        except (NotFound, Conflict):
            continue  # the product is gone meanwhile: the rest of the asset still comes back
    audit.record(
        session, UNDONE, actor_id=viewer.user_id, asset_id=target.id, ip=ip,
        target=f"#{restored.id} {restored.title}", merge_event=event.id, restored=restored.id,
    )  # fmt: skip
    audit.record(
        session, "asset.restored_from_merge", actor_id=viewer.user_id, asset_id=restored.id, ip=ip,
        target=f"#{target.id} {target.title}", merge_event=event.id, was=undo["source_id"],
    )  # fmt: skip
    search_sync.assets_changed(session, [target.id, restored.id])
    return restored.id


def _restore_asset(session: Session, undo: dict[str, Any]) -> Asset:
    asset = Asset(
        title=undo["title"],
        description=undo.get("description"),
        rights_note=undo.get("rights_note"),
        usage_restrictions=undo.get("usage_restrictions"),
        visibility=undo.get("visibility") or "internal",
        status=AssetStatus.DRAFT.value,
        original_filename=undo["original_filename"],
        media_kind=undo["media_kind"],
        creator=undo.get("creator"),
        copyright=undo.get("copyright"),
        uploaded_by_id=undo.get("uploaded_by_id")
        if session.get(User, undo.get("uploaded_by_id") or 0)
        else None,
    )
    session.add(asset)
    session.flush()
    for tag, source in undo.get("tags") or []:
        session.add(AssetTag(asset_id=asset.id, tag=tag, source=source))
    return asset
