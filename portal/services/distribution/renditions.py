"""Channel renditions: presets, the rendition cache per (version, preset) and permission-checked delivery.

``deliver`` builds a missing or stale rendition synchronously (a 12 MP web JPEG takes a fraction of a
second; a full-size print TIFF about a second), so a stable link always answers with the file rather
than "not ready". Pre-building happens through the ``renditions.build`` job (``schedule``), e.g. when a
version is approved or a package needs many files. A rendition row stores the fingerprint of the preset
it was built with; a changed preset therefore never serves the old file.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Asset, AssetVersion, Product, Rendition, RenditionPreset, Role
from portal.errors import NotFound, ValidationError
from portal.media import presets as preset_rules
from portal.media.deliver import Credits, render_preset
from portal.media.filenames import render_filename
from portal.media.presets import BUILTIN, PREVIEW_JOB_PRESETS, PresetSpec
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.catalog import linking
from portal.services.distribution import av_jobs
from portal.services.governance import audit
from portal.services.governance.policy import (
    ANONYMOUS,
    STAFF,
    Viewer,
    can_view,
    require_download,
    require_role,
    served_version_id,
)

log = logging.getLogger(__name__)
ORIGINAL = "original"
# Types a browser may render inline; everything else (SVG, HTML, PDF, TIFF ...) is sent as an attachment.
INLINE_SAFE = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif", "video/mp4", "audio/mp4"}
)
_BUILD_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Delivery:
    """A file ready to send: blob key, type, download name, ETag, size, inline or attachment.

    ``shared_cache`` is True when the bytes are the released version of a public asset, so a CDN may keep
    them (the stable link revalidates with the ETag); everything else must stay in private caches.
    """

    sha256: str
    mime_type: str
    filename: str
    etag: str
    size: int
    inline: bool
    asset_id: int = 0
    version_id: int = 0
    preset: str = ""
    shared_cache: bool = False


@dataclass(frozen=True)
class BuiltRendition:
    """A stored rendition's blob key and facts."""

    sha256: str
    mime_type: str
    size: int
    width: int
    height: int


# --- presets -----------------------------------------------------------------------------------------


def _spec_of(row: RenditionPreset) -> PresetSpec:
    return PresetSpec(
        name=row.name,
        format=row.format,
        max_edge=row.max_edge,
        dpi=row.dpi,
        colour=row.colour,
        quality=row.quality,
        background=row.background,
        keep_alpha=row.keep_alpha,
        write_metadata=row.write_metadata,
        filename_template=row.filename_template,
        label=row.label,
    )


def preset_specs(session: Session) -> dict[str, PresetSpec]:
    """Every preset by name: the built-in ones, overridden or extended by the stored ones."""
    specs = dict(BUILTIN)
    for row in session.scalars(select(RenditionPreset).order_by(RenditionPreset.name)):
        specs[row.name] = _spec_of(row)
    return specs


def list_presets(session: Session, viewer: Viewer) -> list[PresetSpec]:
    """The presets a viewer may ask for, built-ins first (everyone may pick any channel of a file they
    may download; the brand hub narrows this list itself)."""
    specs = preset_specs(session)
    order = [*BUILTIN, *sorted(n for n in specs if n not in BUILTIN)]
    return [specs[name] for name in order]


def get_preset(session: Session, name: str) -> PresetSpec:
    """One preset by name; NotFound for unknown names."""
    spec = preset_specs(session).get(name)
    if spec is None:
        raise NotFound(f"unknown preset {name!r}")
    return spec


def save_preset(session: Session, viewer: Viewer, spec: PresetSpec) -> PresetSpec:
    """Create or change a preset (managers); a changed built-in is stored as an override."""
    require_role(viewer, Role.MANAGER)
    problems = preset_rules.validate(spec)
    if problems:
        raise ValidationError("; ".join(problems))
    row = session.scalars(select(RenditionPreset).where(RenditionPreset.name == spec.name)).first()
    row = row or RenditionPreset(name=spec.name, builtin=spec.name in BUILTIN)
    for field in (
        "label", "format", "max_edge", "dpi", "colour", "quality", "background", "keep_alpha",
        "write_metadata", "filename_template",
    ):  # fmt: skip
        setattr(row, field, getattr(spec, field))
    session.add(row)
    session.flush()
    return spec


def delete_preset(session: Session, viewer: Viewer, name: str) -> None:
    """Delete a custom preset, or reset a built-in one to its defaults (managers)."""
    require_role(viewer, Role.MANAGER)
    row = session.scalars(select(RenditionPreset).where(RenditionPreset.name == name)).first()
    if row is None:
        raise NotFound(f"no stored preset {name!r}")
    session.delete(row)


# --- the rendition cache -----------------------------------------------------------------------------


def _fresh(row: Rendition | None, spec: PresetSpec, fingerprint: str) -> bool:
    if row is None:
        return False
    if row.preset_hash == fingerprint:
        return True
    # The previews job stores thumb/preview without a fingerprint: valid while the preset is built-in.
    return row.preset_hash == "" and spec.name in PREVIEW_JOB_PRESETS and spec == BUILTIN[spec.name]


def _cmyk_profile(rt: Runtime) -> Path | None:
    path = rt.settings.cmyk_profile_path
    return Path(path) if path and Path(path).is_file() else None


def _lock_for(version_id: int, preset: str) -> threading.Lock:
    with _LOCKS_GUARD:
        if len(_BUILD_LOCKS) > 4096:
            _BUILD_LOCKS.clear()  # bounded; a dropped lock only risks one duplicate build
        return _BUILD_LOCKS.setdefault((version_id, preset), threading.Lock())


def ensure_rendition(
    rt: Runtime, version_id: int, spec: PresetSpec, progress: Callable[[float], None] | None = None
) -> BuiltRendition:
    """The stored rendition of a version for a preset, built (once per process at a time) when missing or
    stale. NotFound for a missing version; RejectedFile when the source cannot be rendered."""
    fingerprint = spec.fingerprint(rt.settings.cmyk_profile_path)
    with _lock_for(version_id, spec.name):
        with rt.db.session() as session:
            row = _rendition_row(session, version_id, spec.name)
            if _fresh(row, spec, fingerprint):
                assert row is not None
                return BuiltRendition(row.sha256, row.mime_type, row.size_bytes, row.width, row.height)
            version = session.get(AssetVersion, version_id)
            if version is None:
                raise NotFound("no such version")
            source, credits = rt.blobs.path_for(version.sha256), _credits(version)
        built = _render_and_store(rt, source, spec, credits, progress)
        _upsert(rt, version_id, spec.name, fingerprint, built)
        return built


def _credits(version: AssetVersion) -> Credits:
    asset = version.asset
    embedded = version.embedded or {}
    creator = asset.creator or embedded.get("creator")
    rights = asset.copyright or embedded.get("copyright")
    return Credits(str(creator) if creator else None, str(rights) if rights else None)


def _render_and_store(
    rt: Runtime,
    source: Path,
    spec: PresetSpec,
    credits: Credits,
    progress: Callable[[float], None] | None = None,
) -> BuiltRendition:
    # Rendered into a temp file in the store's folder: a full-size print TIFF never sits in memory twice.
    with tempfile.NamedTemporaryFile(dir=rt.blobs.tmp_dir, prefix="rend-", suffix=".part") as tmp:
        result = render_preset(
            source,
            spec,
            tmp,  # type: ignore[arg-type]  # a binary file object
            credits=credits,
            cmyk_profile=_cmyk_profile(rt),
            max_pixels=rt.settings.max_image_pixels,
            progress=progress,
        )
        tmp.flush()
        blob = rt.blobs.put_file(Path(tmp.name))
    return BuiltRendition(blob.sha256, spec.mime_type, blob.size, result.width, result.height)


def _rendition_row(session: Session, version_id: int, preset: str) -> Rendition | None:
    return session.scalars(
        select(Rendition).where(Rendition.version_id == version_id, Rendition.preset == preset)
    ).first()


def _upsert(rt: Runtime, version_id: int, preset: str, fingerprint: str, built: BuiltRendition) -> None:
    for _attempt in range(2):
        try:
            with rt.db.transaction() as session:
                row = _rendition_row(session, version_id, preset)
                row = row or Rendition(version_id=version_id, preset=preset)
                row.preset_hash = fingerprint
                row.sha256, row.mime_type, row.size_bytes = built.sha256, built.mime_type, built.size
                row.width, row.height = built.width, built.height
                session.add(row)
            return
        except IntegrityError:
            # Another process inserted the same (version, preset) at the same moment: update theirs.
            log.debug("rendition %s/%s inserted concurrently; retrying as update", version_id, preset)
    raise RuntimeError(f"could not store rendition {version_id}/{preset}")


# Channel presets built as soon as a version is approved, so partners' first downloads need not wait
# (presets have no per-preset flag; the rest are built on first request and cached).
PREBUILD_PRESETS = ("web", "print", "video-720", "audio-web")


def schedule_prebuilt(session: Session, version_id: int) -> list[str]:
    """Record background builds of the pre-built channel presets that exist and fit the version's kind;
    returns their names."""
    version = session.get(AssetVersion, version_id)
    kind = version.asset.media_kind if version is not None else "image"
    specs = preset_specs(session)
    names = [n for n in PREBUILD_PRESETS if n in specs and preset_rules.applies_to(specs[n], kind)]
    if names:
        schedule(session, version_id, names)
    return names


def schedule(session: Session, version_id: int, presets: list[str] | None = None) -> None:
    """Record background builds of a version's renditions (default: every channel preset)."""
    names = presets or [n for n in preset_specs(session) if n not in PREVIEW_JOB_PRESETS]
    for name in names:
        outbox.record(session, "renditions.build", version_id=version_id, preset=name)


# --- delivery ----------------------------------------------------------------------------------------


def _pick_version(session: Session, viewer: Viewer, asset: Asset, version_id: int | None) -> AssetVersion:
    served = served_version_id(viewer, asset)
    if version_id is None:
        version_id = served
    elif not viewer.at_least(STAFF) and version_id != served:
        # Partners and the public get released bytes only: a pinned link to another version is gone.
        raise NotFound("this version of the asset is not available")
    version = session.get(AssetVersion, version_id) if version_id else None
    if version is None or version.asset_id != asset.id:
        raise NotFound("this asset has no such file")
    return version


def file_name_values(
    session: Session, asset: Asset, version: AssetVersion, spec_name: str, ext: str
) -> dict[str, object]:
    """Template values for one file of an asset (the first linked article names it)."""
    products = linking.products_for_asset(session, asset.id)
    return name_values(asset, version, spec_name, ext, products[0] if products else None)


def name_values(
    asset: Asset, version: AssetVersion, spec_name: str, ext: str, product: Product | None
) -> dict[str, object]:
    """Template values for one file of an asset named after ``product`` (None: no product fields)."""
    stem = version.original_filename.rsplit(".", 1)[0]
    return {
        "article_number": product.article_number if product else None,
        "model_code": product.model_code if product else None,
        "product_name": product.name if product else None,
        "title": asset.title or stem,
        "asset_id": asset.id,
        "version": version.number,
        "preset": spec_name,
        "n": 1,
        "ext": ext,
        "original": stem,
    }


def deliver(
    session: Session,
    rt: Runtime,
    viewer: Viewer,
    asset_id: int,
    preset: str,
    *,
    version_id: int | None = None,
) -> Delivery:
    """The file of ``preset`` (or ``original``) for an asset, as ``viewer`` may get it.

    Checks ``policy.require_download``; picks the served version (staff: current; others: approved), or
    the pinned ``version_id`` (others: only the released one). Builds a missing or stale rendition now.
    NotFound for hidden assets, unknown presets and missing files; RejectedFile when a source cannot be
    rendered (e.g. a PDF without pages).
    """
    asset = require_download(viewer, session.get(Asset, asset_id), preset)
    version = _pick_version(session, viewer, asset, version_id)
    shared = _shareable(asset, version)
    if preset == ORIGINAL:
        mime = version.mime_type
        return Delivery(
            version.sha256, mime, version.original_filename, f'"{version.sha256}"', version.size_bytes,
            mime in INLINE_SAFE, asset.id, version.id, ORIGINAL, shared,
        )  # fmt: skip
    spec = get_preset(session, preset)
    if not preset_rules.applies_to(spec, asset.media_kind):
        raise NotFound(f"preset {preset!r} does not apply to {asset.media_kind} files")
    if spec.format in preset_rules.AV_FORMATS:
        av_jobs.built_or_scheduled(session, rt, version, spec)
    built = ensure_rendition(rt, version.id, spec)
    values = file_name_values(session, asset, version, spec.name, spec.extension)
    name = render_filename(spec.filename_template, values)
    return Delivery(
        built.sha256, built.mime_type, name, f'"{built.sha256}"', built.size,
        built.mime_type in INLINE_SAFE, asset.id, version.id, spec.name, shared,
    )  # fmt: skip


def _shareable(asset: Asset, version: AssetVersion) -> bool:
    return can_view(ANONYMOUS, asset) and version.id == (
        asset.approved_version_id or asset.current_version_id
    )


def version_id_by_number(session: Session, asset_id: int, number: int) -> int:
    """The id of an asset's version ``number``; NotFound when there is none."""
    version_id = session.scalar(
        select(AssetVersion.id).where(AssetVersion.asset_id == asset_id, AssetVersion.number == number)
    )
    if version_id is None:
        raise NotFound("this asset has no such version")
    return version_id


def record_download(rt: Runtime, viewer: Viewer, delivery: Delivery, ip: str | None) -> None:
    """Audit a download of an original or a channel rendition (thumbnails and previews are page views)."""
    if delivery.preset in PREVIEW_JOB_PRESETS:
        return
    with rt.db.transaction() as session:
        audit.record(
            session,
            "download",
            actor_id=viewer.user_id,
            asset_id=delivery.asset_id,
            ip=ip,
            preset=delivery.preset,
            version_id=delivery.version_id,
        )
