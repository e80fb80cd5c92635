"""Asset pages: the thumbnail grid (landing page), the detail page, metadata edits and product links."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import NotFound, ValidationError
from portal.services.catalog import asset_page, custom_values, editing
from portal.services.catalog import assets as asset_service
from portal.services.governance.policy import can_edit, require_role
from portal.services.paging import parse_paging
from portal.web import pickers
from portal.web.context import client_ip, runtime, viewer
from portal.web.flashing import flash

assets_bp = Blueprint("assets", __name__)
SORT_LABELS = {"newest": "Newest first", "title": "Title A-Z", "updated": "Recently updated"}
SIZE_UNITS = ("bytes", "KB", "MB", "GB", "TB")


@assets_bp.app_template_filter("filesize")
def filesize(value: int | None) -> str:
    """Human-readable size in decimal units: ``1.4 MB``."""
    if value is None:
        return "-"
    size = float(value)
    for unit in SIZE_UNITS:
        if size < 1000 or unit == SIZE_UNITS[-1]:
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{value} bytes"


@assets_bp.app_template_filter("duration")
def duration(value: float | None) -> str:
    """A media duration as ``m:ss`` or ``h:mm:ss``."""
    if value is None:
        return "-"
    total = round(float(value))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@assets_bp.app_template_global()
def url_with(**changes: Any) -> str:
    """The current page's URL with some query values replaced (None removes one); for pagers and filters."""
    args: dict[str, Any] = dict(request.view_args or {})
    args.update(request.args.to_dict(flat=False))
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "assets.index", **args)


@assets_bp.app_template_filter("when")
def when(value: datetime | None) -> str:
    """A timestamp as ``2025-01-31 14:05 UTC``."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@assets_bp.app_context_processor
def _page_context() -> dict[str, Any]:
    """Values every template may use: whether the viewer may edit, and the roles."""
    return {"viewer_can_edit": can_edit(viewer()), "Role": Role}


@assets_bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """The landing page is the asset grid."""
    return redirect(url_for("assets.index"))


@assets_bp.get("/assets")
@login_required
def index() -> ResponseReturnValue:
    """Thumbnail grid (or list) of the assets the viewer may see, paged and sorted, optionally for one
    article number, with the selection bar (download selected, and for managers share and collect)."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"))
    article_number = (request.args.get("article_number") or "").strip()
    sort = request.args.get("sort") or "newest"
    view = "list" if request.args.get("view") == "list" else "grid"
    who = viewer()
    with runtime().db.session() as session:
        result = asset_service.list_assets(
            session, who, page=page, size=size, article_number=article_number or None, sort=sort
        )
        # htmx swaps only the results; history restores (no HX-Target) and plain requests get the page.
        partial = request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results"
        template = "assets/_results.html" if partial else "assets/index.html"
        can_share = who.at_least(Role.MANAGER)
        html = render_template(
            template, result=result, article_number=article_number, sort=sort, view=view,
            sorts=SORT_LABELS, can_share=can_share, selectable=True, can_bulk=who.at_least(Role.EDITOR),
        )  # fmt: skip
    return html, 200, {"Vary": "HX-Request, HX-Target"}


@assets_bp.get("/assets/<int:asset_id>")
@login_required
def detail(asset_id: int) -> ResponseReturnValue:
    """One asset: preview, metadata, products, versions, audit trail and (for editors) the edit forms."""
    return _render_detail(asset_id)


def _render_detail(
    asset_id: int,
    status: int = 200,
    form: dict[str, str] | None = None,
    typed: Any = None,
    link_keys: list[str] | None = None,
) -> ResponseReturnValue:
    chips = pickers.product_chips(link_keys) if link_keys else []
    with runtime().db.session() as session:
        data = asset_page.asset_page(session, viewer(), asset_id)
        html = render_template(
            "assets/detail.html", page=data, asset=data.asset, form=form or {}, typed_form=typed,
            link_chips=chips,
        )  # fmt: skip
        return html, status


@assets_bp.post("/assets/<int:asset_id>/edit")
@login_required
def edit(asset_id: int) -> ResponseReturnValue:
    """Save title, description, tags and rights note (editors and above)."""
    require_role(viewer(), Role.EDITOR)
    try:
        changes = editing.parse_metadata_form(request.form)
        with runtime().db.session() as session:
            specs = custom_values.visible_fields(session, viewer())
        values = custom_values.parse_form_values(specs, viewer(), request.form)
        changes = replace(changes, custom_fields=values)
    except ValidationError as exc:
        # Show the form again with what was typed and the reason, instead of losing the input.
        flash(exc.message, "danger")
        return _render_detail(asset_id, exc.status, form=request.form.to_dict(), typed=request.form)
    with runtime().db.transaction() as session:
        changed = editing.update_asset_metadata(session, viewer(), asset_id, changes, ip=client_ip())
    if changed:
        flash("Saved: " + ", ".join(name.replace("_", " ") for name in changed) + ".", "success")
    else:
        flash("Nothing changed.", "info")
    return redirect(url_for("assets.detail", asset_id=asset_id))


@assets_bp.post("/assets/<int:asset_id>/links")
@login_required
def add_link(asset_id: int) -> ResponseReturnValue:
    """Link the asset to the products (article numbers or model codes, ``key`` repeated) chosen in the
    picker (editors and above): all or none."""
    keys = [k for k in request.form.getlist("key") if k.strip()]
    with runtime().db.session() as session:
        # An unknown asset is a 404 page, not a form error.
        asset_service.get_asset(session, viewer(), asset_id)
        try:
            links = editing.link_products(session, viewer(), asset_id, keys, ip=client_ip())
            linked = [link.key for link in links]
            session.commit()
        except (NotFound, ValidationError) as exc:
            # An unknown key is a mistake in the form: say so on the page (422) and keep what was chosen,
            # the unknown ones marked.
            session.rollback()
            flash(exc.message, "danger")
            return _render_detail(asset_id, 422, link_keys=keys)
    flash(f"Linked to {', '.join(linked)}.", "success")
    return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="products"))


@assets_bp.post("/assets/<int:asset_id>/links/<int:link_id>/delete")
@login_required
def remove_link(asset_id: int, link_id: int) -> ResponseReturnValue:
    """Remove one product link (editors and above)."""
    with runtime().db.transaction() as session:
        key = editing.unlink_product(session, viewer(), asset_id, link_id, ip=client_ip())
    flash(f"Link to {key} removed.", "success")
    return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="products"))
