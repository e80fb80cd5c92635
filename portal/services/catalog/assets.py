"""Reading assets for pages and the API: listings, detail, audit trail, file selection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from indexer.custom_fields import load_specs
from models import Asset, AssetVersion, AuditEvent, Rendition
from portal.errors import ValidationError
from portal.services.catalog import custom_values, linking, variants
from portal.services.governance.policy import (
    Viewer,
    can_edit,
    public_status,
    require_view,
    served_version_id,
    visible_assets,
)
from portal.services.paging import Page

# The asset grid's orders, each with the id as a unique tie-break (stable pages).
SORTS = {
    "newest": (Asset.created_at.desc(), Asset.id.desc()),
    "title": (func.lower(Asset.title).asc(), Asset.id.asc()),
    "updated": (Asset.updated_at.desc(), Asset.id.desc()),
}


def list_assets(
    session: Session,
    viewer: Viewer,
    *,
    page: int = 1,
    size: int = 48,
    article_number: str | None = None,
    sort: str = "newest",
) -> Page[Asset]:
    """Assets the viewer may see, optionally for one article number; ``sort`` is one of ``SORTS``
    (newest first by default; an unknown value is a ValidationError)."""
    if sort not in SORTS:
        raise ValidationError(f"sort must be one of {', '.join(SORTS)}")
    where = [visible_assets(viewer)]
    if article_number:
        where.append(Asset.id.in_(linking.asset_ids_for_article(session, article_number.strip())))
    total = session.scalar(select(func.count(Asset.id)).where(*where)) or 0
    rows = session.scalars(
        select(Asset)
        .where(*where)
        .options(selectinload(Asset.links))
        .order_by(*SORTS[sort])
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(list(rows), total, page, size)


def get_asset(session: Session, viewer: Viewer, asset_id: int) -> Asset:
    """One asset the viewer may see (NotFound otherwise, also for ids that exist but are hidden)."""
    asset = session.get(Asset, asset_id, options=[selectinload(Asset.versions), selectinload(Asset.tags)])
    return require_view(viewer, asset)


def rendition_for(session: Session, version_id: int, preset: str) -> Rendition | None:
    """The stored rendition of a version for a preset, if built."""
    return session.scalars(
        select(Rendition).where(Rendition.version_id == version_id, Rendition.preset == preset)
    ).first()


def audit_trail(session: Session, asset_id: int, limit: int = 100) -> list[AuditEvent]:
    """Newest-first audit events of an asset."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.asset_id == asset_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).all()
    )


def version_to_dict(version: AssetVersion, *, include_private: bool) -> dict[str, Any]:
    """JSON-ready technical metadata of one version (GPS only for staff)."""
    data: dict[str, Any] = {
        "id": version.id,
        "number": version.number,
        "sha256": version.sha256,
        "size_bytes": version.size_bytes,
        "original_filename": version.original_filename,
        "mime_type": version.mime_type,
        "format": version.format,
        "width": version.width,
        "height": version.height,
        "megapixels": version.megapixels,
        "dpi": [version.dpi_x, version.dpi_y] if version.dpi_x else None,
        "color_mode": version.color_mode,
        "bit_depth": version.bit_depth,
        "orientation": version.orientation,
        "exif_orientation": version.exif_orientation,
        "frames": version.frames,
        "pages": version.pages,
        "has_alpha": version.has_alpha,
        "has_icc": version.has_icc,
        "icc_description": version.icc_description,
        "embedded": version.embedded,
        "facts": version.facts or {},  # duration, codecs, sample rate, pages, raw sensor size, ...
        "renditions_in_progress": version.progress or {},
        "preview_state": version.preview_state,
        "preview_error": version.preview_error,
        "created_at": version.created_at.isoformat(),
    }
    if include_private:
        data["private"] = version.private
    return data


def served_version(viewer: Viewer | None, asset: Asset) -> AssetVersion | None:
    """The version this viewer gets (staff: current; partners and the public: the approved one)."""
    if viewer is None:
        return asset.current_version
    served = served_version_id(viewer, asset)
    if served == asset.current_version_id:
        return asset.current_version
    return next((v for v in asset.versions if v.id == served), None)


def asset_summary(asset: Asset, viewer: Viewer | None = None) -> dict[str, Any]:
    """The short JSON form used in listings; with a viewer, what that viewer may know (partners see the
    approved version's facts and the released status, not a newer version that is still in review)."""
    current = served_version(viewer, asset)
    return {
        "id": asset.id,
        "title": asset.title,
        "original_filename": asset.original_filename,
        "media_kind": asset.media_kind,
        "status": public_status(viewer, asset) if viewer is not None else asset.status,
        "visibility": asset.visibility,
        "width": current.width if current else None,
        "height": current.height if current else None,
        "format": current.format if current else None,
        "article_numbers": sorted({link.key for link in asset.links}),
        "thumbnail_url": f"/a/{asset.id}/thumb",
        "created_at": asset.created_at.isoformat(),
    }


def asset_detail(session: Session, viewer: Viewer, asset_id: int) -> dict[str, Any]:
    """Everything about one asset for the API: metadata, links, linked article numbers, versions."""
    asset = get_asset(session, viewer, asset_id)
    staff = can_edit(viewer)
    data = asset_summary(asset, viewer)
    served = served_version_id(viewer, asset)
    versions = asset.versions if staff else [v for v in asset.versions if v.id == served]
    data.update(
        {
            "description": asset.description,
            "creator": asset.creator,
            "copyright": asset.copyright,
            "rights_note": asset.rights_note,
            "usage_restrictions": asset.usage_restrictions,
            "rights_expire_at": asset.rights_expire_at.isoformat() if asset.rights_expire_at else None,
            "tags": [t.tag for t in asset.tags],
            "links": [
                {
                    "id": link.id,
                    "article_number": link.article_number,
                    "model_code": link.model_code,
                    "source": link.source,
                }
                for link in asset.links
            ],
            "article_numbers": linking.article_numbers_for_asset(session, asset.id),
            "inherited_by": [
                {"article_number": number, "inherited_from": source}
                for number, source in sorted(variants.inherited_by_asset(session, asset.id).items())
            ],
            "current_version": asset.current_version_id if staff else served,
            "versions": [version_to_dict(v, include_private=staff) for v in versions],
            "updated_at": asset.updated_at.isoformat(),
            # Custom field values this viewer may see (staff-only ones for editors and above only).
            "fields": custom_values.values_for(load_specs(session), viewer, asset.custom_fields),
        }
    )
    return data
