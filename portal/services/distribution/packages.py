"""Packages: a ZIP (or a link table) of the right files for a product list, built in the background.

``create_package`` records the request and an outbox item; the ``packages.build`` job resolves every
input line (report: found / missing / ambiguous / not_approved / expired), plans the files and names them
from the template, then streams them into a ZIP on disk (stored for JPEG/PNG/WebP, deflated otherwise,
ZIP64 when large) with ``manifest.csv`` (sha256 of every file), updating the progress as it goes. The
manifest hashes are the content-addressed store keys, which the store verified when it wrote the bytes.
A package over ``package_max_bytes`` stops with a clear message; the download link expires after
``package_link_ttl_seconds``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Asset, AssetVersion, Package, PackageFile, PackageLine, Product, Role
from models.base import utcnow
from portal.errors import NotFound, PortalError, ValidationError
from portal.media.filenames import dedupe, render_path, template_problems
from portal.media.presets import applies_to
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.distribution import package_files, renditions
from portal.services.distribution import product_lists as package_lists
from portal.services.distribution.package_files import Progress
from portal.services.distribution.product_lists import LineResult, resolve_assets, resolve_lines
from portal.services.governance.policy import Viewer, require_role
from portal.services.notify import events as notify_events
from portal.services.paging import MAX_ID, parse_id

log = logging.getLogger(__name__)
KINDS = ("zip", "links")
DEFAULT_TEMPLATE = "{article_number}_{n}.{ext}"
MAX_PRESETS = 8


def create_package(
    session: Session,
    viewer: Viewer,
    *,
    lines: list[str],
    presets: list[str],
    template: str = DEFAULT_TEMPLATE,
    kind: str = "zip",
    source: str = "list",
    enqueue: bool = True,
) -> Package:
    """Record a package request and its build job (partners and up). ValidationError for bad input.

    ``enqueue=False`` leaves the building to the caller (the CLI runs it in the foreground)."""
    require_role(viewer, Role.PARTNER)
    problems = []
    if not lines:
        problems.append("give at least one article number")
    if len(lines) > package_lists.MAX_LINES:
        # The same bound as a pasted or uploaded list, whichever way (web, API, CLI) the lines came.
        problems.append(f"too many lines: {len(lines)} (the limit is {package_lists.MAX_LINES})")
    if kind not in KINDS:
        problems.append(f"kind: one of {', '.join(KINDS)}")
    if source not in ("list", "selection", "search"):
        problems.append("source: list, selection or search")
    if source == "selection":
        bad = [v for v in lines if not _is_id(v)]
        if bad:
            problems.append(f"asset ids must be whole numbers from 1 to {MAX_ID}: {', '.join(bad[:5])}")
    known = renditions.preset_specs(session)
    names = list(dict.fromkeys(p.strip() for p in presets if p.strip()))
    unknown = [p for p in names if p not in known and p != renditions.ORIGINAL]
    if not names or unknown or len(names) > MAX_PRESETS:
        problems.append(f"presets: choose 1 to {MAX_PRESETS} of {', '.join([*known, 'original'])}")
    problems.extend(template_problems(template))
    if problems:
        raise ValidationError("; ".join(problems))
    assert viewer.role is not None
    package = Package(
        created_by_id=viewer.user_id, viewer_role=viewer.role.value, kind=kind, presets=names,
        template=template.strip(), source=source, lines=[str(v)[:300] for v in lines],
    )  # fmt: skip
    session.add(package)
    session.flush()
    if enqueue:
        outbox.record(session, "packages.build", package_id=package.id)
    return package


def get_package(session: Session, viewer: Viewer, package_id: int) -> Package:
    """A package its creator (or an admin) may see; NotFound otherwise."""
    package = session.get(Package, package_id)
    if package is None or not (package.created_by_id == viewer.user_id or viewer.at_least(Role.ADMIN)):
        raise NotFound("no such package")
    return package


def list_packages(session: Session, viewer: Viewer, limit: int = 50) -> list[Package]:
    """The viewer's recent packages, newest first."""
    query = select(Package).order_by(Package.id.desc()).limit(limit)
    return list(session.scalars(query.where(Package.created_by_id == viewer.user_id)))


# --- building ----------------------------------------------------------------------------------------


def build(rt: Runtime, package_id: int, progress: Progress | None = None) -> str | None:
    """Resolve, plan and write a package; safe to run twice (a finished package is left alone).
    Returns the final status, None for a missing package."""
    with rt.db.transaction() as session:
        package = session.get(Package, package_id)
        if package is None or package.status in ("done", "failed", "expired"):
            return None if package is None else package.status
        package.status, package.error = "running", None
        session.execute(delete(PackageLine).where(PackageLine.package_id == package_id))
        session.execute(delete(PackageFile).where(PackageFile.package_id == package_id))
    try:
        _plan(rt, package_id)
        with rt.db.session() as session:
            kind = session.get(Package, package_id).kind  # type: ignore[union-attr]
        if kind == "zip":
            path, size = package_files.write_zip(rt, package_id, progress)
        else:
            path, size = None, package_files.prebuild(rt, package_id, progress)
    except PortalError as exc:
        _finish(rt, package_id, "failed", error=exc.message)
        return "failed"
    except Exception as exc:
        # Never left "running": the package fails with its reason, the traceback goes to the log.
        log.exception("package %s failed", package_id)
        _finish(rt, package_id, "failed", error=f"internal error ({type(exc).__name__}); it has been logged")
        return "failed"
    _finish(rt, package_id, "done", path=path, size=size)
    return "done"


def _is_id(value: str) -> bool:
    """True for the text of an id a database column can hold (1 to ``MAX_ID``)."""
    text = str(value).strip()
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def _plan(rt: Runtime, package_id: int) -> None:
    """Write the report lines and the planned files with their names."""
    with rt.db.transaction() as session, session.no_autoflush:
        package = session.get(Package, package_id)
        assert package is not None
        viewer = Viewer(package.created_by_id, Role(package.viewer_role))
        if package.source == "list":
            results = resolve_lines(
                session, viewer, list(package.lines), strip_zeros=rt.settings.package_strip_leading_zeros
            )
        else:
            ids = [parse_id(str(v)) for v in package.lines]
            bad = [str(v) for v, i in zip(package.lines, ids, strict=True) if i is None]
            if bad:  # a recorded selection is checked at the door; anything else is a broken record
                raise ValidationError(f"not asset ids: {', '.join(bad[:5])}")
            results = resolve_assets(session, viewer, [i for i in ids if i is not None])
        specs = renditions.preset_specs(session)
        context = _preload(session, results)
        context.slash_replacement = rt.settings.filename_slash_replacement
        taken: set[str] = {"manifest.csv"}
        rows: list[Any] = []
        for result in results:
            files = _files_for(package, result, specs, taken, context)
            rows.extend(files)
            rows.append(_line_row(package_id, result, len(files)))
        session.add_all(rows)
        package.files_total = sum(1 for r in rows if isinstance(r, PackageFile))


@dataclass
class _Context:
    """Rows a plan needs, loaded in a few queries: versions by id, products by article number."""

    assets: dict[int, Asset]
    versions: dict[int, AssetVersion]
    products: dict[str, Product]
    slash_replacement: str = "-"


def _preload(session: Session, results: list[LineResult]) -> _Context:
    asset_ids = sorted({a for r in results for a, _v in r.assets})
    version_ids = sorted({v for r in results for _a, v in r.assets})
    numbers = sorted({r.article_number for r in results if r.article_number})
    context = _Context({}, {}, {})
    for start in range(0, max(len(asset_ids), len(version_ids), len(numbers)), 500):
        chunk = slice(start, start + 500)
        context.assets.update(
            (a.id, a) for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids[chunk])))
        )
        query = select(AssetVersion).where(AssetVersion.id.in_(version_ids[chunk]))
        context.versions.update((v.id, v) for v in session.scalars(query))
        query_p = select(Product).where(Product.article_number.in_(numbers[chunk]))
        context.products.update((p.article_number, p) for p in session.scalars(query_p))
    return context


def _line_row(package_id: int, result: LineResult, files: int) -> PackageLine:
    return PackageLine(
        package_id=package_id, line_no=result.line_no, input=result.input[:300],
        article_number=result.article_number, status=result.status, message=result.message[:500],
        asset_ids=[str(a) for a, _v in result.assets], files=files,
    )  # fmt: skip


def _files_for(
    package: Package, result: LineResult, specs: dict[str, Any], taken: set[str], context: _Context
) -> list[PackageFile]:
    files = []
    product = context.products.get(result.article_number or "")
    for preset in package.presets:
        for n, (asset_id, version_id) in enumerate(result.assets, 1):
            asset, version = context.assets.get(asset_id), context.versions.get(version_id)
            if asset is None or version is None:
                continue
            if preset != renditions.ORIGINAL and not applies_to(specs[preset], asset.media_kind):
                continue  # e.g. a 720p video preset for a still image: that file has no such rendition
            ext = _extension(version) if preset == renditions.ORIGINAL else specs[preset].extension
            values = renditions.name_values(asset, version, preset, ext, product)
            # "7310/22-B" is named as its file name spells it ("7310-22-B_1.jpg"), so the files link back.
            number = (result.article_number or "").replace("/", context.slash_replacement)
            values.update(n=n, article_number=number.replace("\\", context.slash_replacement))
            if product is None:  # the line named a model code
                values["model_code"] = result.article_number
            path = dedupe(render_path(package.template, values), taken)
            files.append(
                PackageFile(
                    package_id=package.id,
                    line_no=result.line_no,
                    article_number=result.article_number,
                    asset_id=asset_id,
                    version_id=version_id,
                    preset=preset,
                    path=path,
                )
            )
    return files


def _extension(version: AssetVersion) -> str:
    name = version.original_filename
    return name.rsplit(".", 1)[-1].lower() if "." in name else (version.format or "bin").lower()


def _finish(
    rt: Runtime, package_id: int, status: str, *, path: str | None = None, size: int | None = None,
    error: str | None = None,
) -> None:  # fmt: skip
    with rt.db.transaction() as session:
        package = session.get(Package, package_id)
        if package is None:
            return
        package.status, package.error, package.finished_at = status, error, utcnow()
        package.file_path, package.size_bytes = path, size
        if status == "done":
            package.expires_at = utcnow() + timedelta(seconds=rt.settings.package_link_ttl_seconds)
            notify_events.package_ready(session, package)
