"""The files of a planned package: streamed into a ZIP with its manifest, or built ahead for a link table,
with throttled progress in the database (``packages.build`` runs these after planning)."""

from __future__ import annotations

import csv
import io
import secrets
import time
from collections.abc import Callable

from sqlalchemy import select, update

from models import AssetVersion, Package, PackageFile
from portal.errors import NotFound, PayloadTooLarge
from portal.media.zipstream import ZipStream
from portal.runtime import Runtime
from portal.services.csv_text import spreadsheet_text
from portal.services.distribution import custom_columns, renditions

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 0.5  # seconds between progress writes


def _file_rows(rt: Runtime, package_id: int) -> list[tuple[int, int, str, str]]:
    with rt.db.session() as session:
        rows = session.execute(
            select(PackageFile.id, PackageFile.version_id, PackageFile.preset, PackageFile.path)
            .where(PackageFile.package_id == package_id)
            .order_by(PackageFile.id)
        ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _original_facts(rt: Runtime, rows: list[tuple[int, int, str, str]]) -> dict[int, tuple[str, str, int]]:
    """(sha256, mime type, size) of every original in a plan, in a few queries."""
    ids = sorted({version_id for _f, version_id, preset, _p in rows if preset == renditions.ORIGINAL})
    facts: dict[int, tuple[str, str, int]] = {}
    with rt.db.session() as session:
        for start in range(0, len(ids), 500):
            query = select(
                AssetVersion.id, AssetVersion.sha256, AssetVersion.mime_type, AssetVersion.size_bytes
            )
            for vid, sha, mime, size in session.execute(
                query.where(AssetVersion.id.in_(ids[start : start + 500]))
            ):
                facts[vid] = (sha, mime, size)
    return facts


def resolve_file(rt: Runtime, version_id: int, preset: str) -> tuple[str, str, int]:
    """(sha256, mime type, size) of a version in a preset, building the rendition when needed."""
    if preset == renditions.ORIGINAL:
        with rt.db.session() as session:
            version = session.get(AssetVersion, version_id)
            if version is None:
                raise NotFound("a version in this package no longer exists")
            return version.sha256, version.mime_type, version.size_bytes
    with rt.db.session() as session:
        spec = renditions.get_preset(session, preset)
    built = renditions.ensure_rendition(rt, version_id, spec)
    return built.sha256, built.mime_type, built.size


def write_zip(rt: Runtime, package_id: int, progress: Progress | None) -> tuple[str, int]:
    """Stream the planned files into a ZIP beside ``manifest.csv``; (path, size). Over the size limit it
    stops with ``PayloadTooLarge`` and leaves no partial file."""
    folder = rt.settings.instance_dir / "packages"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"package-{package_id}-{secrets.token_hex(8)}.zip"
    part = final.with_suffix(".zip.part")
    rows = _file_rows(rt, package_id)
    limit = rt.settings.package_max_bytes
    archive = ZipStream(part)
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    tracker = _Tracker(rt, package_id, len(rows), progress)
    custom, cells = custom_columns.package_cells(rt, package_id, [a for _n, a in tracker.lines.values()])
    writer.writerow(["path", "article_number", "asset_id", "version_id", "preset", "size", "sha256", *custom])
    originals = _original_facts(rt, rows)
    try:
        for file_id, version_id, preset, path in rows:
            known = originals.get(version_id) if preset == renditions.ORIGINAL else None
            sha, mime, size = known or resolve_file(rt, version_id, preset)
            if archive.bytes_written + size > limit:
                raise PayloadTooLarge(
                    f"the package would exceed the size limit of {_human(limit)} after "
                    f"{tracker.done} of {len(rows)} files; choose fewer articles or a smaller preset"
                )
            archive.add_file(path, rt.blobs.path_for(sha), mime)
            tracker.file_done(file_id, sha, size, archive.bytes_written)
            art, aid = tracker.meta(file_id)
            cols = [path, art, aid, version_id, preset, size, sha, *cells.get(aid, [])]
            writer.writerow([spreadsheet_text(c) for c in cols])
        archive.add_bytes("manifest.csv", manifest.getvalue().encode())
        archive.close()
    except BaseException:
        archive.abort()
        raise
    part.replace(final)
    tracker.flush(force=True)
    return str(final), final.stat().st_size


def prebuild(rt: Runtime, package_id: int, progress: Progress | None) -> int:
    """Link tables: build every rendition now, so each link answers at once; returns the total size."""
    rows = _file_rows(rt, package_id)
    tracker = _Tracker(rt, package_id, len(rows), progress)
    total = 0
    for file_id, version_id, preset, _path in rows:
        sha, _mime, size = resolve_file(rt, version_id, preset)
        total += size
        tracker.file_done(file_id, sha, size, total)
    tracker.flush(force=True)
    return total


class _Tracker:
    """Progress in the database (throttled) and to an optional callback; file hashes and sizes."""

    def __init__(self, rt: Runtime, package_id: int, total: int, progress: Progress | None) -> None:
        self.rt, self.package_id, self.total, self.progress = rt, package_id, total, progress
        self.done, self.bytes = 0, 0
        self.pending: dict[int, tuple[str, int]] = {}
        self.last = time.monotonic()
        with rt.db.session() as session:
            self.lines = {
                f.id: (f.article_number or "", f.asset_id)
                for f in session.scalars(select(PackageFile).where(PackageFile.package_id == package_id))
            }

    def meta(self, file_id: int) -> tuple[str, int]:
        return self.lines.get(file_id, ("", 0))

    def file_done(self, file_id: int, sha: str, size: int, written: int) -> None:
        self.done += 1
        self.bytes = written
        self.pending[file_id] = (sha, size)
        if self.progress is not None:
            self.progress(self.done, self.total)
        self.flush()

    def flush(self, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < _PROGRESS_EVERY:
            return
        self.last = time.monotonic()
        with self.rt.db.transaction() as session:
            package = session.get(Package, self.package_id)
            if package is not None:
                package.files_done, package.bytes_written = self.done, self.bytes
            if self.pending:  # one executemany for every file since the last write
                values = [
                    {"id": f, "sha256": sha, "size_bytes": size} for f, (sha, size) in self.pending.items()
                ]
                session.execute(update(PackageFile), values)
        self.pending.clear()


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
