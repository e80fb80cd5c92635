"""Ingest: a file becomes an asset (or is recognised as one we already have, or is rejected)."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Asset, AssetVersion, LinkSource, User
from portal.errors import NotFound, PortalError
from portal.media.probe import MediaInfo, probe_file
from portal.media.render import probe_with_base
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.catalog import linking
from portal.services.catalog.version_rows import create_rows
from portal.services.governance import audit
from portal.services.governance.fields import Field, may_write, viewer_for
from portal.services.governance.policy import Viewer
from portal.services.search import sync as search_sync
from portal.storage.blobstore import BlobStore

log = logging.getLogger(__name__)
MAX_NAME = 255
# How long ingest waits for room in the preview-base cache while the preview jobs are taking entries
# (``PreviewSeeds.put``): a refused base costs its job a second decode of the file.
SEED_WAIT_S = 1.0


@dataclass
class IngestResult:
    """Outcome for one file: a new asset, an existing one (same bytes), or an error."""

    filename: str
    asset_id: int | None = None
    version_id: int | None = None
    created: bool = False
    error: str | None = None
    error_code: str | None = None
    status: int = 201
    linked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file is stored (new or duplicate)."""
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "filename": self.filename,
            "asset_id": self.asset_id,
            "version_id": self.version_id,
            "created": self.created,
            "duplicate": self.ok and not self.created,
            "linked": self.linked,
            "error": None if self.ok else {"code": self.error_code, "message": self.error},
        }


def safe_filename(name: str | None) -> str:
    """A display-safe original file name: no path parts, no control characters, bounded length.

    File names are only ever shown, never used as storage paths (blobs are addressed by hash).
    """
    base = PurePath((name or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not base:
        return "unnamed"
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 16 else base[:MAX_NAME]
    return base


def find_by_sha(session: Session, sha: str) -> AssetVersion | None:
    """The version (hence asset) that already holds these bytes."""
    return session.scalars(select(AssetVersion).where(AssetVersion.sha256 == sha)).first()


def ingest_file(
    rt: Runtime,
    path: Path,
    original_filename: str | None = None,
    *,
    user_id: int | None = None,
    title: str | None = None,
    description: str | None = None,
    link_keys: list[str] | None = None,
    ip: str | None = None,
) -> IngestResult:
    """Store one file as a new asset; same bytes as an existing version yield that asset.

    Rejected files (unsupported, corrupt, bombs) and unknown link keys leave nothing stored and come
    back as an ``IngestResult`` with ``error`` set, so a folder import goes on with the next file.
    """
    filename = safe_filename(original_filename or path.name)
    try:
        return _ingest(rt, path, filename, user_id, title, description, link_keys or [], ip)
    except PortalError as exc:
        return IngestResult(filename, error=exc.message, error_code=exc.code, status=exc.status)


def _ingest(
    rt: Runtime,
    path: Path,
    filename: str,
    user_id: int | None,
    title: str | None,
    description: str | None,
    link_keys: list[str],
    ip: str | None,
) -> IngestResult:
    sha = BlobStore.hash_file(path)
    with rt.db.session() as session:
        # Validate requested links before storing anything: an unknown article number is the caller's error.
        for key in link_keys:
            if not linking.resolve_keys(session, [key]):
                raise NotFound(f"unknown article number or model code: {key}")
        existing = find_by_sha(session, sha)
    if existing is not None:
        return _known_bytes(rt, existing, filename, link_keys, user_id, ip)
    info = probe_for_storage(rt, path, sha)
    try:
        return _store_new(rt, path, sha, info, filename, user_id, title, description, link_keys, ip)
    except BaseException:
        release_base(rt, sha)
        raise


def _store_new(
    rt: Runtime,
    path: Path,
    sha: str,
    info: MediaInfo,
    filename: str,
    user_id: int | None,
    title: str | None,
    description: str | None,
    link_keys: list[str],
    ip: str | None,
) -> IngestResult:
    """Store verified new bytes and their rows (or answer with the asset that stored them meanwhile)."""
    rt.blobs.put_file(path, expected_sha256=sha)
    try:
        with rt.db.transaction() as session:
            asset, version = create_rows(session, info, sha, path.stat().st_size, filename, user_id)
            if description:
                asset.description = description
            linked = _link(rt, session, asset, filename, link_keys, info, user_id)
            if title and title.strip():
                asset.title = title.strip()[:500]
            elif linked and not (info.embedded.get("title") or info.embedded.get("headline")):
                asset.title = _title_from_product(session, asset, filename) or asset.title
            audit.record(
                session,
                "asset.uploaded",
                actor_id=user_id,
                asset_id=asset.id,
                target=filename,
                ip=ip,
                sha256=sha,
                size=version.size_bytes,
                format=info.format,
            )
            outbox.record(session, "previews.build", version_id=version.id)
            search_sync.assets_changed(session, [asset.id])
            return IngestResult(filename, asset.id, version.id, created=True, linked=linked)
    except IntegrityError:
        # Someone stored the same bytes between our check and our insert: theirs is the asset.
        with rt.db.session() as session:
            existing = find_by_sha(session, sha)
        if existing is None:
            raise
        release_base(rt, sha)
        return _known_bytes(rt, existing, filename, link_keys, user_id, ip)


def _known_bytes(
    rt: Runtime,
    version: AssetVersion,
    filename: str,
    link_keys: list[str],
    user_id: int | None,
    ip: str | None,
) -> IngestResult:
    """The same bytes arrived again, maybe under another product's file name: the existing asset gains
    that product's link (one picture may show several products), nothing else is stored."""
    with rt.db.transaction() as session:
        asset = session.get(Asset, version.asset_id)
        if asset is None:
            raise NotFound("the stored copy of this file was deleted meanwhile; upload it again")
        before = {link.key for link in asset.links}
        pending_key = asset.link_key
        # Known bytes of an asset whose links the uploader may not change (archived, or released to
        # partners or the public): the upload answers with the asset, its product links stay as they are.
        if may_write(_uploader(session, user_id), asset, Field.LINKS):
            if not linking.link_asset_by_filename(
                session, asset, filename, rt.settings.filename_pattern, rt.settings.filename_slash_replacement
            ):
                # No product for this name: keep the first file's pending key rather than replacing it.
                asset.link_key = pending_key
            for key in link_keys:
                linking.add_link(session, asset, key, LinkSource.API, user_id)
        added = sorted({link.key for link in asset.links} - before)
        if added:
            search_sync.assets_changed(session, [asset.id])
        audit.record(
            session,
            "asset.uploaded_again",
            actor_id=user_id,
            asset_id=asset.id,
            target=filename,
            ip=ip,
            linked=added,
        )
        return IngestResult(filename, asset.id, version.id, created=False, status=200, linked=added)


def _uploader(session: Session, user_id: int | None) -> Viewer:
    """The uploader as a viewer for the field rules (no user: a system import, which may do anything)."""
    user = session.get(User, user_id) if user_id is not None else None
    return viewer_for(user_id, user.role_enum if user is not None else None)


def probe_for_storage(rt: Runtime, path: Path, sha: str) -> MediaInfo:
    """Verify and describe a file before it is stored (rejects unsupported, corrupt files and bombs);
    keep the decoded first frame for a preview job in this process."""
    if not rt.jobs_in_process:
        return probe_file(path, rt.settings.max_image_pixels)
    info, base = probe_with_base(path, rt.settings.max_image_pixels)
    if base is not None:
        rt.preview_seeds.put(sha, base, wait=SEED_WAIT_S)
    return info


def release_base(rt: Runtime, sha: str) -> None:
    """Drop the decoded base ``probe_for_storage`` kept, when no preview job of ours will take it (the
    upload failed, or another request stored the same bytes first): it would hold a place in the bounded
    cache, which ingest waits for, until it expired."""
    rt.preview_seeds.take(sha)


def _title_from_product(session: Session, asset: Asset, filename: str) -> str | None:
    """ "Nebula Night Sky Paint (2)" for ``546451996_2.png``: the linked product's name and the view."""
    products = linking.products_for_asset(session, asset.id)
    if not products:
        return None
    stem = filename.rsplit(".", 1)[0]
    view = (
        stem[len(asset.link_key) :].strip(" _-") if asset.link_key and stem.startswith(asset.link_key) else ""
    )
    name = products[0].name
    return f"{name} ({view})"[:500] if view else name[:500]


def _link(
    rt: Runtime,
    session: Session,
    asset: Asset,
    filename: str,
    link_keys: list[str],
    info: MediaInfo,
    user_id: int | None,
) -> list[str]:
    links = linking.link_asset_by_filename(
        session, asset, filename, rt.settings.filename_pattern, rt.settings.filename_slash_replacement
    )
    for key in link_keys:
        links.append(linking.add_link(session, asset, key, LinkSource.API, user_id))
    for key in info.embedded.get("article_numbers", []) or []:
        try:
            links.append(linking.add_link(session, asset, str(key), LinkSource.METADATA, user_id))
        except NotFound:
            log.debug("embedded article number %s is not a known product", key)
    return sorted({link.key for link in links})


def collect_files(paths: list[Path]) -> list[Path]:
    """Expand folders (recursively, sorted, hidden entries skipped) into the files to ingest."""
    found: list[Path] = []
    for root in paths:
        if root.is_dir():
            for child in sorted(root.rglob("*")):
                rel = child.relative_to(root).parts
                if child.is_file() and not any(part.startswith(".") for part in rel):
                    found.append(child)
        else:
            found.append(root)
    return found


def ingest_paths(
    rt: Runtime,
    files: list[Path],
    *,
    user_id: int | None = None,
    on_result: Callable[[IngestResult], None] | None = None,
    workers: int | None = None,
) -> list[IngestResult]:
    """Ingest many files in parallel; a bad file never stops the others. Results keep input order."""

    def one(path: Path) -> IngestResult:
        if not path.is_file():
            return IngestResult(
                safe_filename(path.name),
                error=f"not a readable file: {path}",
                error_code="not_found",
                status=404,
            )
        try:
            return ingest_file(rt, path, path.name, user_id=user_id)
        except OSError as exc:
            return IngestResult(
                safe_filename(path.name),
                error=f"cannot read file: {exc.strerror or exc}",
                error_code="io_error",
                status=400,
            )

    results: list[IngestResult] = []
    # One thread more than cores: each file also waits on disk (fsync) while the others decode.
    with ThreadPoolExecutor(max_workers=workers or rt.settings.effective_worker_threads + 1) as pool:
        for result in pool.map(one, files):
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
