"""Brand hub administration: settings and logo (admins); sections, collections and share links with
revoke and access log (managers). Pages in the portal's own layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from models.base import utcnow
from portal.errors import NotFound, ValidationError
from portal.services.brand import collections as collection_service
from portal.services.brand import hub as brand_service
from portal.services.brand import share_links as sharelinks
from portal.services.brand.hub import section_params
from portal.services.governance.policy import require_role
from portal.services.notify import events as notify_events
from portal.services.paging import MAX_ID
from portal.web.context import runtime, viewer
from portal.web.flashing import flash, flash_and_return
from portal.web.search import describe, search_url

brand_admin_bp = Blueprint("brand_admin", __name__, url_prefix="/brand-admin")
DEFAULT_LINK_DAYS = 30


@brand_admin_bp.before_request
@login_required
def _managers_only() -> None:
    require_role(viewer(), Role.MANAGER)


@brand_admin_bp.get("/")
def index() -> ResponseReturnValue:
    """Settings, sections, collections and share links on one page."""
    with runtime().db.session() as db:
        collections = collection_service.list_collections(db, viewer())
        counts = collection_service.visible_counts(db, viewer(), [c.id for c in collections])
        return render_template(
            "brand/admin/index.html",
            brand=brand_service.get_settings(db),
            sections=brand_service.list_sections(db),
            collections=[(c, counts.get(c.id, 0)) for c in collections],
            links=sharelinks.list_links(db),
            presets=brand_service.KNOWN_PRESETS,
            is_admin=viewer().at_least(Role.ADMIN),
            default_expiry=(utcnow() + timedelta(days=DEFAULT_LINK_DAYS)).strftime("%Y-%m-%d"),
            state=sharelinks.link_state,
        )


@brand_admin_bp.post("/settings")
def save_settings() -> ResponseReturnValue:
    """Save name, colour, intro, terms and the public presets (admins)."""
    form = request.form
    with runtime().db.transaction() as db:
        brand_service.update_settings(
            db,
            viewer(),
            name=form.get("name", ""),
            colour=form.get("colour", ""),
            intro=form.get("intro", ""),
            terms=form.get("terms", ""),
            public_presets=form.getlist("public_presets"),
        )
    flash("Brand settings saved.", "success")
    return redirect(url_for("brand_admin.index"))


@brand_admin_bp.post("/logo")
def upload_logo() -> ResponseReturnValue:
    """Replace the logo (admins); a file that is no usable logo is said on the same page."""
    upload = request.files.get("logo")

    def replace() -> str:
        if upload is None or not upload.filename:
            raise ValidationError("choose a logo file")
        rt = runtime()
        with rt.db.transaction() as db:
            brand_service.set_logo(db, rt, viewer(), upload.read(brand_service.MAX_LOGO_BYTES + 1))
        return "Logo updated."

    return flash_and_return(replace, "brand_admin.index", (ValidationError,))


@brand_admin_bp.post("/sections")
def add_section() -> ResponseReturnValue:
    """Add a section: a collection or a saved search."""
    form = request.form
    with runtime().db.transaction() as db:
        brand_service.create_section(
            db,
            viewer(),
            title=form.get("title", ""),
            kind=form.get("kind", ""),
            collection_id=_int_or_none(form.get("collection_id")),
            query=form.get("query", "").lstrip("?"),
            description=form.get("description", ""),
        )
    return redirect(url_for("brand_admin.index"))


@brand_admin_bp.post("/sections/<int:section_id>/<action>")
def change_section(section_id: int, action: str) -> ResponseReturnValue:
    """Move a section up or down, or delete it."""
    with runtime().db.transaction() as db:
        if action == "delete":
            brand_service.delete_section(db, viewer(), section_id)
        elif action in ("up", "down"):
            brand_service.move_section(db, viewer(), section_id, -1 if action == "up" else 1)
        else:
            raise NotFound(f"unknown action {action!r}")
    return redirect(url_for("brand_admin.index"))


@brand_admin_bp.post("/collections")
def add_collection() -> ResponseReturnValue:
    """Create a team collection: owned by the manager, shared with every manager to edit. Assets are
    added from the grid, the search and the asset page (the collection picker), never by typing ids."""
    with runtime().db.transaction() as db:
        collection = collection_service.create_collection(
            db, viewer(), request.form.get("name", ""), request.form.get("description", ""),
            share_role=Role.MANAGER,
        )  # fmt: skip
        collection_id = collection.id
    return redirect(url_for("collections.detail", collection_id=collection_id))


@brand_admin_bp.post("/links")
def create_link() -> ResponseReturnValue:
    """Make a share link and show its URL once."""
    form = request.form
    kind = form.get("kind", "")
    targets: dict[str, dict[str, Any]] = {
        # One hidden field per picked asset (the picker), or one list (the form prefilled from the search).
        "selection": {"asset_ids": _ids(" ".join(form.getlist("asset_ids"))) if kind == "selection" else []},
        "collection": {"collection_id": _int_or_none(form.get("collection_id"))},
        "search": {"query": form.get("query", "")},
    }
    target = targets.get(kind, {})
    recipients = notify_events.parse_recipients(form.get("recipients"))
    with runtime().db.transaction() as db:
        made = sharelinks.create_link(
            db,
            viewer(),
            kind=kind,
            target=target,
            expires_at=_end_of_day(form.get("expires", "")),
            title=form.get("title", ""),
            note=form.get("note", ""),
            password=form.get("password") or None,
            allowed_presets=form.getlist("allowed_presets"),
            download=form.get("download") == "on",
        )
        url = url_for("share.show", token=made.token, _external=True)
        # Mailed by a job after commit (the token is dropped from the stored notification once mailed).
        notify_events.share_link_sent(db, made.id, recipients, url)
    page = render_template("brand/admin/link_created.html", url=url, link_id=made.id, recipients=recipients)
    # The token is shown this once: never kept by a cache, never re-shown from history.
    return page, 200, {"Cache-Control": "no-store"}


@brand_admin_bp.route("/links/new", methods=["GET", "POST"])
def new_link() -> ResponseReturnValue:
    """The share-link form prefilled from the search page: ``kind=search&query=...`` (the search's query
    string), ``kind=selection&asset_ids=1&asset_ids=2`` (the assets ticked in the grid, posted) or
    ``kind=collection&collection_id=n`` (a collection's page)."""
    args = request.values
    kind = args.get("kind", "")
    query = args.get("query", "").lstrip("?")
    ids = _ids(" ".join(args.getlist("asset_ids")))
    collection_id = _int_or_none(args.get("collection_id"))
    back = ""
    if kind == "collection":
        with runtime().db.session() as db:
            collection = collection_service.get_collection(db, viewer(), collection_id or 0)
            about = f"The collection “{collection.name}”"
        back = url_for("collections.detail", collection_id=collection_id)
    elif kind == "search":
        section_params(query)  # a bad search is a clear 422 here, not later
        about = describe(query)
    elif kind == "selection":
        if not ids:
            raise ValidationError("select at least one asset to share")
        about = f"{len(ids)} selected asset{'' if len(ids) == 1 else 's'}"
    else:
        raise ValidationError(
            "share a search (kind=search), a selection (kind=selection) or a collection (kind=collection)"
        )
    return render_template(
        "brand/admin/link_new.html",
        kind=kind,
        query=query,
        asset_ids=", ".join(map(str, ids)),
        collection_id=collection_id,
        about=about,
        back=back or (search_url(query) if kind == "search" else _safe_back(args.get("back", ""))),
        presets=brand_service.KNOWN_PRESETS,
        default_expiry=(utcnow() + timedelta(days=DEFAULT_LINK_DAYS)).strftime("%Y-%m-%d"),
    )


@brand_admin_bp.post("/selection/collect")
def collect_selection() -> ResponseReturnValue:
    """Add the assets ticked in the search grid to a collection (an existing one, or a new one by name)."""
    form = request.form
    ids = _ids(" ".join(form.getlist("asset_ids")))
    new_name = (form.get("new_collection") or "").strip()
    chosen = None if new_name else _int_or_none(form.get("collection_id"))
    with runtime().db.transaction() as db:
        collection, added = collection_service.add_to_collection(db, viewer(), ids, chosen, new_name)
        name = collection.name
    flash(f"Added {added} of {len(ids)} selected assets to the collection “{name}”.", "success")
    return redirect(_safe_back(form.get("back", "")) or url_for("brand_admin.index"))


def _safe_back(target: str) -> str:
    """Only the portal's own search page is a place to go back to (no open redirects)."""
    base = url_for("search.index")
    if target == base or target.startswith(base + "?"):
        return target
    return ""


@brand_admin_bp.get("/links/<int:link_id>")
def link_detail(link_id: int) -> ResponseReturnValue:
    """A link's settings and access log."""
    with runtime().db.session() as db:
        link = sharelinks.get_link(db, viewer(), link_id)
        return render_template(
            "brand/admin/link.html",
            link=link,
            state=sharelinks.link_state(link),
            log=sharelinks.access_log(db, link_id),
        )


@brand_admin_bp.post("/links/<int:link_id>/revoke")
def revoke_link(link_id: int) -> ResponseReturnValue:
    """Stop a link now."""
    with runtime().db.transaction() as db:
        sharelinks.revoke(db, viewer(), link_id)
    flash("The link was revoked; it now answers “no longer available”.", "success")
    return redirect(url_for("brand_admin.link_detail", link_id=link_id))


def _ids(text: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,;]+", text or "") if p]
    # isascii: "²".isdigit() is true but int() refuses it.
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise ValidationError("asset ids are whole numbers separated by commas or spaces")
    return [int(p) for p in parts]


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and int(value) <= MAX_ID else None


def _end_of_day(value: str) -> datetime:
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError("the expiry date must look like 2026-12-31") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
