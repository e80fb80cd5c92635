"""Signed, expiring download links (``/d/<token>``) for package ZIPs and single files, and link tables.

A token is the package id (and file id) signed with the instance secret and a timestamp; it is valid for
``package_link_ttl_seconds`` and never longer than its package. Opening a file link re-checks that the
asset is still released and in rights for the package's viewer, and builds the rendition if needed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Asset, Package, PackageFile, Role
from models.base import utcnow
from portal.errors import NotFound
from portal.runtime import Runtime
from portal.services.catalog import variants
from portal.services.csv_text import spreadsheet_text
from portal.services.distribution import custom_columns, package_files
from portal.services.distribution.renditions import Delivery
from portal.services.governance.policy import Viewer, can_download, in_rights, is_released

_SALT = "assetport-download"
EXPIRED = "expired"  # a finished package past its expiry whose file was removed by ``purge_expired``
# "note": "inherited from <article number>" for a file a sibling variant's asset serves (variant inheritance).
LINK_COLUMNS = ("line", "article_number", "file", "preset", "size", "sha256", "url", "expires_at", "note")


@dataclass(frozen=True)
class ZipDownload:
    """A finished package ZIP to send."""

    path: Path
    filename: str
    size: int


def _serializer(rt: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.settings.resolved_secret_key, salt=_SALT)


def token_for(rt: Runtime, package_id: int, file_id: int | None = None) -> str:
    """A signed token for a package's ZIP (no file id) or one of its files."""
    payload: dict[str, int] = {"p": package_id}
    if file_id is not None:
        payload["f"] = file_id
    return str(_serializer(rt).dumps(payload))


def _read(rt: Runtime, token: str) -> tuple[int, int | None]:
    try:
        data = _serializer(rt).loads(token, max_age=rt.settings.package_link_ttl_seconds)
    except SignatureExpired:
        raise NotFound("this download link has expired") from None
    except BadSignature:
        raise NotFound("this download link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise NotFound("this download link is not valid")
    file_id = data.get("f")
    return data["p"], file_id if isinstance(file_id, int) else None


def open_download(session: Session, rt: Runtime, token: str) -> ZipDownload | Delivery:
    """What a ``/d/<token>`` link serves; NotFound for bad, expired or no longer permitted links."""
    package_id, file_id = _read(rt, token)
    package = session.get(Package, package_id)
    if package is None:
        raise NotFound("this package no longer exists")
    if package.expires_at is not None and package.expires_at <= utcnow():
        raise NotFound("this download link has expired")
    if file_id is None:
        path = zip_path(package)
        return ZipDownload(path, f"package-{package.id}.zip", path.stat().st_size)
    row = session.get(PackageFile, file_id)
    if row is None or row.package_id != package.id:
        raise NotFound("this download link is not valid")
    viewer = Viewer(package.created_by_id, Role(package.viewer_role))
    asset = session.get(Asset, row.asset_id)
    # Permissions are checked again now: an asset withdrawn or expired since the table was made is gone.
    # Staff may download drafts, so release and rights are asked on top of can_download.
    deliverable = asset is not None and is_released(asset) and in_rights(asset)
    if asset is None or not deliverable or not can_download(viewer, asset, row.preset):
        raise NotFound("this file is no longer available")
    sha, mime, size = package_files.resolve_file(rt, row.version_id, row.preset)
    name = row.path.rsplit("/", 1)[-1]
    return Delivery(sha, mime, name, f'"{sha}"', size, False, asset.id, row.version_id, row.preset)


def link_rows(session: Session, rt: Runtime, package: Package, base_url: str) -> list[dict[str, Any]]:
    """One row per file: where it goes, its hash and a signed, expiring URL."""
    if package.status == EXPIRED:
        raise NotFound("this package has expired; build it again")
    if package.status != "done":
        raise NotFound("this package is not finished yet")
    expires = package.expires_at.isoformat() if package.expires_at else ""
    files = list(
        session.scalars(
            select(PackageFile).where(PackageFile.package_id == package.id).order_by(PackageFile.id)
        )
    )
    inherited = variants.inherited_for_articles(
        session, {f.article_number for f in files if f.article_number}
    )
    root = base_url.rstrip("/")
    viewer = Viewer(package.created_by_id, Role(package.viewer_role))
    specs = custom_columns.export_fields(session, viewer)
    names = custom_columns.column_names(specs)
    cells = custom_columns.asset_cells(session, specs, [f.asset_id for f in files])
    return [
        {
            "line": f.line_no,
            "article_number": f.article_number or "",
            "file": f.path,
            "preset": f.preset,
            "size": f.size_bytes or "",
            "sha256": f.sha256 or "",
            "url": f"{root}/d/{token_for(rt, package.id, f.id)}",
            "expires_at": expires,
            # Custom field values the package's creator may see, one ``cf.<key>`` column each.
            **dict(zip(names, cells.get(f.asset_id, [""] * len(names)), strict=True)),
            "note": _note(inherited.get(f.article_number or "", {}).get(f.asset_id)),
        }
        for f in files
    ]


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """The link table's columns: the fixed ones, then the custom field columns of its rows."""
    return [*LINK_COLUMNS, *(k for k in (rows[0] if rows else {}) if k not in LINK_COLUMNS)]


def _note(source: str | None) -> str:
    return variants.inherited_note(source) if source else ""


def links_csv(rows: list[dict[str, Any]]) -> bytes:
    """The link table as CSV (UTF-8 with BOM, so spreadsheet programs read it right)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_columns(rows))
    writer.writeheader()
    writer.writerows({k: spreadsheet_text(v) for k, v in row.items()} for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


def links_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The link table as an XLSX workbook (streamed writer: rows are not kept as cell objects)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("links")
    columns = _columns(rows)
    sheet.append(columns)
    for row in rows:
        sheet.append([_text_cell(sheet, row[c]) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet: Any, value: object) -> object:
    """Text as a text cell: openpyxl writes a string starting with ``=`` as a formula, which would run
    an article number or a custom field value in the partner's spreadsheet (and lose the text)."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def package_status(session: Session, package: Package) -> dict[str, Any]:
    """The JSON form of a package's state and report summary (API and progress polling)."""
    counts: dict[str, int] = {}
    for line in package.report:
        counts[line.status] = counts.get(line.status, 0) + 1
    return {
        "id": package.id,
        "kind": package.kind,
        "status": package.status,
        "presets": package.presets,
        "template": package.template,
        "files_total": package.files_total,
        "files_done": package.files_done,
        "bytes_written": package.bytes_written,
        "size_bytes": package.size_bytes,
        "error": package.error,
        "report_counts": counts,
        "expires_at": package.expires_at.isoformat() if package.expires_at else None,
        "created_at": package.created_at.isoformat(),
    }


def zip_path(package: Package) -> Path:
    """The finished ZIP on disk; NotFound when gone, not a ZIP, unfinished or expired."""
    if package.status != "done" or package.kind != "zip" or not package.file_path:
        raise NotFound("this package has no ZIP to download")
    if package.expires_at is not None and package.expires_at <= utcnow():
        raise NotFound("this package has expired; build it again")
    path = Path(package.file_path)
    if not path.is_file():
        raise NotFound("this package's file is gone; build it again")
    return path


def purge_expired(rt: Runtime, now: datetime | None = None) -> int:
    """Delete the files of finished packages past their expiry and mark them expired (the report stays);
    returns how many packages were purged. Safe to run twice, and alongside a download in progress
    (an open file stays readable on POSIX until it is closed)."""
    moment = now or utcnow()
    with rt.db.transaction() as session:
        due = session.scalars(
            select(Package).where(
                Package.status == "done", Package.expires_at.is_not(None), Package.expires_at <= moment
            )
        ).all()
        for package in due:
            if package.file_path:
                # Only files in the packages folder: a row must never make this delete anything else.
                path = Path(package.file_path).resolve()
                if path.parent == (rt.settings.instance_dir / "packages").resolve():
                    path.unlink(missing_ok=True)
            package.status, package.file_path = EXPIRED, None
        return len(due)
