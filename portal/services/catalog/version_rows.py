"""The rows a stored file becomes: a new asset with its first version, or a further version's row."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from models import Asset, AssetTag, AssetVersion, PreviewState
from portal.media.probe import MediaInfo


def title_from_filename(name: str) -> str:
    """A readable default title: the stem with separators turned into spaces."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[_]+", " ", stem).strip() or name


def create_rows(
    session: Session, info: MediaInfo, sha: str, size: int, filename: str, user_id: int | None
) -> tuple[Asset, AssetVersion]:
    """A new asset and its first version from a probed file (flushed, so both have ids), with the
    keywords embedded in the file as tags."""
    meta = info.embedded
    asset = Asset(
        title=str(meta.get("title") or meta.get("headline") or title_from_filename(filename))[:500],
        description=meta.get("description"),
        original_filename=filename,
        media_kind=info.media_kind.value,
        creator=_clip(meta.get("creator"), 300),
        copyright=_clip(meta.get("copyright"), 500),
        uploaded_by_id=user_id,
    )
    session.add(asset)
    session.flush()
    version = build_version(info, sha, size, filename, user_id, asset_id=asset.id, number=1)
    session.add(version)
    session.flush()
    asset.current_version_id = version.id
    for keyword in _keywords(meta):
        session.add(AssetTag(asset_id=asset.id, tag=keyword, source="embedded"))
    return asset, version


def build_version(
    info: MediaInfo,
    sha: str,
    size: int,
    filename: str,
    user_id: int | None,
    *,
    asset_id: int,
    number: int,
) -> AssetVersion:
    """A new (unsaved) version row from a probed file (new assets and new versions alike)."""
    meta = info.embedded
    return AssetVersion(
        asset_id=asset_id,
        number=number,
        sha256=sha,
        size_bytes=size,
        original_filename=filename,
        mime_type=info.mime_type,
        format=info.format,
        width=info.width,
        height=info.height,
        dpi_x=info.dpi_x,
        dpi_y=info.dpi_y,
        color_mode=info.color_mode,
        bit_depth=info.bit_depth,
        orientation=info.orientation,
        exif_orientation=info.exif_orientation,
        frames=info.frames,
        pages=info.pages,
        has_alpha=info.has_alpha,
        has_icc=info.has_icc,
        icc_description=info.icc_description,
        embedded=meta,
        private=info.private,
        facts=info.facts,
        content=info.content,
        preview_state=PreviewState.PENDING.value,
        uploaded_by_id=user_id,
    )


def _keywords(meta: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in meta.get("keywords") or []:
        tag = str(raw).strip().lower()[:100]
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def _clip(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value else None
