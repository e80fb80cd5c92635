"""Package pages: ask for a package (pasted numbers, CSV/XLSX column, selection or search), watch its
progress live (htmx polling), read the report, download the ZIP or the link table; ``/d/<token>``."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.errors import ValidationError
from portal.services.distribution import packages, renditions
from portal.services.distribution import product_lists as package_lists
from portal.services.distribution import signed_links as package_links
from portal.services.distribution.signed_links import ZipDownload
from portal.services.paging import parse_id
from portal.web import pickers
from portal.web.context import client_ip, runtime, viewer
from portal.web.files import PRIVATE, send_delivery
from portal.web.public import disposition

packages_bp = Blueprint("packages", __name__)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_context(error: str | None = None, columns: list[str] | None = None) -> dict[str, object]:
    # The products picked before an error come back as chips, named and with thumbnails.
    chips = pickers.product_chips(request.form.getlist("product"))
    with runtime().db.session() as session:
        presets = renditions.list_presets(session, viewer())
        recent = packages.list_packages(session, viewer())
        return {
            "presets": presets, "recent": recent, "error": error, "columns": columns or [],
            "form": request.form, "default_template": packages.DEFAULT_TEMPLATE,
            "product_chips": chips,
        }  # fmt: skip


@packages_bp.get("/packages")
@login_required
def index() -> ResponseReturnValue:
    """The package form and the viewer's recent packages."""
    return render_template("packages/index.html", **_form_context())


@packages_bp.post("/packages")
@login_required
def create() -> ResponseReturnValue:
    """Create a package from the form; errors re-render the form with the message (and column choice)."""
    try:
        lines, source = _lines_from_form()
        with runtime().db.transaction() as session:
            package = packages.create_package(
                session, viewer(), lines=lines, source=source, kind=request.form.get("kind", "zip"),
                presets=request.form.getlist("preset"),
                template=request.form.get("template") or packages.DEFAULT_TEMPLATE,
            )  # fmt: skip
            package_id = package.id
    except ValidationError as exc:
        columns = exc.detail.get("columns")
        return render_template("packages/index.html", **_form_context(exc.message, columns)), 422
    return redirect(url_for("packages.detail", package_id=package_id))


def _lines_from_form() -> tuple[list[str], str]:
    """Input lines and their source: selected asset ids, a search, an uploaded list or pasted text."""
    # asset_id: the package form; asset_ids: the selection bar of the grid and the search results.
    raw = request.form.getlist("asset_id") or request.form.getlist("asset_ids")
    selected = [v for v in raw if parse_id(v) is not None]
    if selected:
        return selected, "selection"
    if request.form.get("search") is not None:
        return _search_ids(request.form.get("search", "")), "search"
    upload = request.files.get("list_file")
    if upload is not None and upload.filename:
        data = upload.read(package_lists.MAX_LIST_BYTES + 1)
        try:
            return package_lists.column_values(upload.filename, data, request.form.get("column")), "list"
        except ValidationError as exc:
            header, _rows = package_lists.read_table(upload.filename, data)
            raise ValidationError(exc.message, columns=header) from exc
    # Pasted numbers, then the products picked in the form's picker (each once; never split on commas,
    # which an article number may hold).
    lines = package_lists.parse_text(request.form.get("articles", ""))
    picked = [k.strip() for k in request.form.getlist("product") if k.strip() and k.strip() not in lines]
    return lines + list(dict.fromkeys(picked)), "list"


def _search_ids(query_string: str) -> list[str]:
    """The asset ids of a search page query string (``q=...&f.category=...``), at most one package's worth."""
    return [str(i) for i in package_lists.search_asset_ids(runtime(), viewer(), query_string)]


@packages_bp.get("/packages/<int:package_id>")
@login_required
def detail(package_id: int) -> ResponseReturnValue:
    """A package: live progress, report, downloads."""
    return render_template("packages/detail.html", **_detail_context(package_id))


@packages_bp.get("/packages/<int:package_id>/progress")
@login_required
def progress(package_id: int) -> ResponseReturnValue:
    """The progress fragment the detail page polls while the package is being built."""
    return render_template("packages/_progress.html", **_detail_context(package_id))


def _detail_context(package_id: int) -> dict[str, object]:
    rt = runtime()
    with rt.db.session() as session:
        package = packages.get_package(session, viewer(), package_id)
        status = package_links.package_status(session, package)
        token = (
            package_links.token_for(rt, package.id)
            if package.status == "done" and package.kind == "zip"
            else None
        )
        return {"package": package, "status": status, "report": list(package.report), "token": token}


@packages_bp.get("/packages/<int:package_id>/links.<fmt>")
@login_required
def link_table(package_id: int, fmt: str) -> ResponseReturnValue:
    """The link table of a package as CSV or XLSX: one signed, expiring URL per file."""
    if fmt not in ("csv", "xlsx"):
        raise ValidationError("link tables come as .csv or .xlsx")
    rt = runtime()
    with rt.db.session() as session:
        package = packages.get_package(session, viewer(), package_id)
        rows = package_links.link_rows(session, rt, package, request.host_url)
    if fmt == "csv":
        body, mime = package_links.links_csv(rows), "text/csv"
    else:
        body, mime = package_links.links_xlsx(rows), XLSX_TYPE
    response = Response(body, mimetype=mime)
    response.headers["Content-Disposition"] = disposition("attachment", f"package-{package_id}-links.{fmt}")
    return response


@packages_bp.get("/d/<token>")
def download(token: str) -> ResponseReturnValue:
    """A signed download link: a package ZIP or one file of a link table (no login; the link is the key)."""
    rt = runtime()
    with rt.db.session() as session:
        found = package_links.open_download(session, rt, token)
    if isinstance(found, ZipDownload):
        response = Response(_file_chunks(found), mimetype="application/zip", direct_passthrough=True)
        response.headers["Content-Length"] = str(found.size)
        response.headers["Content-Disposition"] = disposition("attachment", found.filename)
    else:
        renditions.record_download(rt, viewer(), found, client_ip())
        # The same headers as every file answer (safe type, CSP, nosniff, ETag); never cached below.
        response = send_delivery(found, PRIVATE)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _file_chunks(found: ZipDownload) -> Iterator[bytes]:
    with open(found.path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            yield chunk
