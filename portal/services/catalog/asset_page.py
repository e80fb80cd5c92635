"""The data of an asset's detail page: the version this viewer gets, its facts, products, versions, audit
trail and the channel renditions the viewer may download."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from indexer.custom_fields import FieldSpec, load_specs
from models import Asset, AssetProduct, AssetVersion, AuditEvent, Product
from portal.media.presets import applies_to
from portal.services.catalog import assets as asset_service
from portal.services.catalog import custom_values, linking, variants
from portal.services.distribution import renditions
from portal.services.governance.policy import Viewer, can_download, can_edit, public_status

# Thumbnails and previews are shown on the page; the other presets are offered as downloads.
PREVIEW_PRESETS = ("thumb", "preview")


@dataclass(frozen=True)
class LinkRow:
    """One product link as the detail page lists it."""

    id: int
    kind: str  # "article" (one variant) or "model" (every variant of a model code)
    key: str
    source: str
    name: str | None  # the product's name (for a model code: its first variant's)
    variants: int  # products the link covers


@dataclass
class AssetPage:
    """Everything the asset detail page shows; private metadata only for staff."""

    asset: Asset
    version: AssetVersion | None
    versions: list[AssetVersion]
    products: list[Product]
    links: list[LinkRow]
    audit: list[AuditEvent]
    editable: bool
    camera: str | None
    captured: str | None
    keywords: list[str]
    private: dict[str, Any]
    # Channel renditions (preset name, label, format) this viewer may download.
    channels: list[tuple[str, str, str]] = field(default_factory=list)
    # The workflow status as this viewer may know it (partners see a released asset as approved).
    status: str = ""
    # Custom fields: the values this viewer may see (definition, display text), and the definitions
    # the edit form shows (staff only; partners never get staff-only fields).
    custom: list[tuple[FieldSpec, str]] = field(default_factory=list)
    custom_fields: list[FieldSpec] = field(default_factory=list)
    # Required fields still empty (named next to the submit button).
    missing_required: list[FieldSpec] = field(default_factory=list)
    # Sibling variants this asset also serves (variant inheritance): article number -> linked article.
    inherited_by: dict[str, str] = field(default_factory=dict)


def _camera(embedded: Mapping[str, Any]) -> str | None:
    parts = [str(embedded[k]).strip() for k in ("camera_make", "camera_model") if embedded.get(k)]
    if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
        parts = parts[1:]
    return " ".join(parts) or None


def asset_page(session: Session, viewer: Viewer, asset_id: int) -> AssetPage:
    """The data of an asset's detail page (NotFound when the viewer may not see it)."""
    asset = asset_service.get_asset(session, viewer, asset_id)
    staff = can_edit(viewer)
    # Partners see the approved version's file and facts, never a newer one still in review.
    version = asset_service.served_version(viewer, asset)
    embedded: Mapping[str, Any] = (version.embedded if version else None) or {}
    keywords = embedded.get("keywords") or []
    products = linking.products_for_asset(session, asset.id)
    specs = custom_values.fields_for(viewer, load_specs(session))
    return AssetPage(
        asset=asset,
        version=version,
        versions=sorted(asset.versions if staff else [version] if version else [], key=lambda v: -v.number),
        products=products,
        links=_link_rows(asset.links, products),
        audit=asset_service.audit_trail(session, asset.id) if staff else [],
        editable=staff,
        camera=_camera(embedded),
        captured=str(embedded["captured_at"]) if embedded.get("captured_at") else None,
        keywords=[str(k) for k in keywords] if isinstance(keywords, list) else [str(keywords)],
        private=dict(version.private or {}) if staff and version is not None else {},
        channels=_channels(session, viewer, asset, version),
        status=public_status(viewer, asset),
        custom=custom_values.shown_values(specs, viewer, asset),
        custom_fields=specs if staff else [],
        missing_required=custom_values.missing_required(specs, asset) if staff else [],
        inherited_by=variants.inherited_by_asset(session, asset.id),
    )


def _channels(
    session: Session, viewer: Viewer, asset: Asset, version: AssetVersion | None
) -> list[tuple[str, str, str]]:
    """The channel presets offered as downloads: those that fit the asset's kind (stills of pictures,
    videos and vectors, web video and audio), and only when the viewer may download."""
    if version is None or (version.width is None and asset.media_kind not in ("audio", "document")):
        return []
    return [
        (spec.name, spec.label or spec.name, spec.format.upper())
        for spec in renditions.list_presets(session, viewer)
        if spec.name not in PREVIEW_PRESETS
        and applies_to(spec, asset.media_kind)
        and can_download(viewer, asset, spec.name)
    ]


def _link_rows(links: list[AssetProduct], products: list[Product]) -> list[LinkRow]:
    rows = []
    for link in links:
        if link.article_number:
            covered = [p for p in products if p.article_number == link.article_number]
            kind = "article"
        else:
            covered = [p for p in products if p.model_code == link.model_code]
            kind = "model"
        rows.append(
            LinkRow(link.id, kind, link.key, link.source, covered[0].name if covered else None, len(covered))
        )
    return sorted(rows, key=lambda r: (r.kind != "article", r.key))
