"""Collection pages (every logged-in user): mine and shared with me, one collection's grid with its
package, share-link and bulk-edit actions, sharing with users or roles, and the "add to collection"
picker's target (used by the asset grid, the search selection bar and the asset page)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

from models import Asset, Role
from portal.errors import ValidationError
from portal.services.brand import collection_shares as sharing
from portal.services.brand import collections as service
from portal.services.brand.collections import EDIT, OWN, VIEW
from portal.services.distribution import packages, renditions
from portal.services.paging import MAX_ID
from portal.web.context import runtime, viewer
from portal.web.flashing import flash

collections_bp = Blueprint("collections", __name__, url_prefix="/collections")
# The bulk-edit page, where it exists, takes ``?collection=<id>`` as its source.
BULK_ENDPOINTS = ("bulk.index", "bulk.edit", "bulk.form", "bulk.page")
NEW = "new"


@collections_bp.before_request
@login_required
def _logged_in() -> None:
    """Every page here needs a login (partners included)."""


@collections_bp.app_context_processor
def _picker_context() -> dict[str, Any]:
    """For the picker and the asset page, asked lazily: ``collection_choices()`` (the collections the
    viewer may add to) and ``collections_holding(asset_id)`` (those the viewer sees that hold it)."""

    def collection_choices() -> list[tuple[int, str]]:
        if not viewer().is_authenticated:
            return []
        with runtime().db.session() as session:
            return [(c.id, c.name) for c in service.list_collections(session, viewer(), EDIT)]

    def collections_holding(asset_id: int) -> list[tuple[int, str]]:
        if not viewer().is_authenticated:
            return []
        with runtime().db.session() as session:
            return [(c.id, c.name) for c in service.collections_holding(session, viewer(), asset_id)]

    return {"collection_choices": collection_choices, "collections_holding": collections_holding}


def bulk_edit_url(collection_id: int) -> str | None:
    """The bulk-edit page with this collection as its source, when the portal has one."""
    for endpoint in BULK_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, collection=collection_id)
    return None


@collections_bp.get("/")
def index() -> ResponseReturnValue:
    """My collections and those shared with me, with how many assets I see in each."""
    me = viewer()
    with runtime().db.session() as session:
        found = service.list_collections(session, me)
        counts = service.visible_counts(session, me, [c.id for c in found])
        rows = [
            {"id": c.id, "name": c.name, "description": c.description, "count": counts.get(c.id, 0),
             "access": service.access_level(me, c), "mine": c.created_by_id == me.user_id}
            for c in found
        ]  # fmt: skip
    return render_template(
        "collections/index.html",
        mine=[r for r in rows if r["mine"]],
        shared=[r for r in rows if not r["mine"]],
    )


@collections_bp.post("/")
def create() -> ResponseReturnValue:
    """Create a collection of my own and open it."""
    with runtime().db.transaction() as session:
        collection = service.create_collection(
            session, viewer(), request.form.get("name", ""), request.form.get("description", "")
        )
        collection_id = collection.id
    flash("Collection created. Add assets from the grid, the search or an asset page.", "success")
    return redirect(url_for("collections.detail", collection_id=collection_id))


@collections_bp.get("/<int:collection_id>")
def detail(collection_id: int) -> ResponseReturnValue:
    """One collection: the grid of the assets I may see, and what I may do with it."""
    me = viewer()
    with runtime().db.session() as session:
        collection = service.get_collection(session, me, collection_id, VIEW)
        level = service.access_level(me, collection)
        ids = service.visible_item_ids(session, collection_id, me)
        by_id = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(ids)))} if ids else {}
        context = {
            "collection": collection,
            "level": level,
            "can_edit": service.allows(level, EDIT),
            "is_owner": level == OWN,
            "assets": [by_id[i] for i in ids if i in by_id],
            "shares": sharing.list_shares(session, me, collection_id) if level == OWN else [],
            "presets": [p.name for p in renditions.list_presets(session, me)],
            "roles": [r.value for r in Role],
            "can_share_link": me.at_least(Role.MANAGER),
            "bulk_url": bulk_edit_url(collection_id) if me.at_least(Role.EDITOR) else None,
        }
        return render_template("collections/detail.html", **context)


@collections_bp.post("/<int:collection_id>/edit")
def edit(collection_id: int) -> ResponseReturnValue:
    """Rename the collection or change its description (owner and editors)."""
    with runtime().db.transaction() as session:
        service.update_collection(
            session, viewer(), collection_id,
            name=request.form.get("name", ""), description=request.form.get("description", ""),
        )  # fmt: skip
    flash("Collection saved.", "success")
    return redirect(url_for("collections.detail", collection_id=collection_id))


@collections_bp.post("/<int:collection_id>/delete")
def delete(collection_id: int) -> ResponseReturnValue:
    """Delete the collection (its owner); the assets stay."""
    with runtime().db.transaction() as session:
        service.delete_collection(session, viewer(), collection_id)
    flash("Collection deleted; its assets are untouched.", "success")
    return redirect(url_for("collections.index"))


@collections_bp.post("/add")
def add() -> ResponseReturnValue:
    """The picker's target: add the posted ``asset_ids`` to a chosen collection or to a new one."""
    form = request.form
    ids = _ids(form.getlist("asset_ids"))
    choice = (form.get("collection_id") or "").strip()
    chosen = None if choice in ("", NEW) else _int(choice)
    with runtime().db.transaction() as session:
        collection, added = service.add_to_collection(
            session, viewer(), ids, chosen, form.get("new_collection") or ""
        )
        name, collection_id = collection.name, collection.id
    flash(
        f"Added {added} of {len(ids)} {'asset' if len(ids) == 1 else 'assets'} to “{name}”"
        + ("" if added == len(ids) else " (the others were in it already)")
        + ".",
        "success",
    )
    back = _safe_back(form.get("back", ""))
    return redirect(back or url_for("collections.detail", collection_id=collection_id))


@collections_bp.post("/<int:collection_id>/items/<int:asset_id>/<action>")
def change_item(collection_id: int, asset_id: int, action: str) -> ResponseReturnValue:
    """Remove an asset, or move it one place up or down (owner and editors)."""
    with runtime().db.transaction() as session:
        if action == "remove":
            service.remove_item(session, viewer(), collection_id, asset_id)
        elif action in ("up", "down"):
            service.move_item(session, viewer(), collection_id, asset_id, -1 if action == "up" else 1)
        else:
            raise ValidationError("remove, up or down")
    if action == "remove":
        flash("Removed from the collection.", "success")
    return redirect(url_for("collections.detail", collection_id=collection_id) + f"#item-{asset_id}")


@collections_bp.post("/<int:collection_id>/shares")
def share(collection_id: int) -> ResponseReturnValue:
    """Share with a user (e-mail) or a role, to view or to edit (its owner)."""
    form = request.form
    target = form.get("target", "user")
    with runtime().db.transaction() as session:
        sharing.share(
            session, viewer(), collection_id, permission=form.get("permission", VIEW),
            email=form.get("email", "") if target == "user" else None,
            role=form.get("role", "") if target == "role" else None,
        )  # fmt: skip
    flash("Shared. Members see only the assets their own role may see.", "success")
    return redirect(url_for("collections.detail", collection_id=collection_id) + "#sharing")


@collections_bp.get("/people")
def people() -> ResponseReturnValue:
    """The share form's people picker: ``{"items": [{"email", "name"}]}`` for ``q`` (who may be found:
    ``collection_shares.find_people``)."""
    with runtime().db.session() as session:
        found = sharing.find_people(session, viewer(), request.args.get("q") or "")
    return jsonify({"items": [{"email": p.email, "name": p.name} for p in found]})


@collections_bp.post("/<int:collection_id>/shares/<int:share_id>/delete")
def unshare(collection_id: int, share_id: int) -> ResponseReturnValue:
    """Stop sharing with one user or role (its owner)."""
    with runtime().db.transaction() as session:
        sharing.unshare(session, viewer(), collection_id, share_id)
    flash("No longer shared with them.", "success")
    return redirect(url_for("collections.detail", collection_id=collection_id) + "#sharing")


@collections_bp.post("/<int:collection_id>/package")
def package(collection_id: int) -> ResponseReturnValue:
    """Download as package: a ZIP of the assets I see in it, built in the background by the package
    builder (which checks every file against my role again)."""
    me = viewer()
    with runtime().db.transaction() as session:
        service.get_collection(session, me, collection_id, VIEW)
        ids = service.visible_item_ids(session, collection_id, me)
        if not ids:
            raise ValidationError("this collection has no assets you may download")
        made = packages.create_package(
            session, me, lines=[str(i) for i in ids], presets=request.form.getlist("preset") or ["web"],
            source="selection", kind="zip",
        )  # fmt: skip
        package_id = made.id
    return redirect(url_for("packages.detail", package_id=package_id))


def _ids(values: list[str]) -> list[int]:
    parts = [p for v in values for p in re.split(r"[\s,;]+", v or "") if p]
    # isascii: "²".isdigit() is true but int() refuses it.
    if not all(p.isascii() and p.isdigit() and len(p) <= 10 and int(p) <= MAX_ID for p in parts):
        raise ValidationError("asset ids are whole numbers")
    return [int(p) for p in parts]


def _int(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 10) or not 1 <= int(value) <= MAX_ID:
        raise ValidationError("choose a collection or name a new one")
    return int(value)


def _safe_back(target: str) -> str:
    """Only a path of this portal is a place to go back to (no open redirects)."""
    target = (target or "").strip()
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    if safe and target.isprintable() and len(target) < 4000:
        return target
    return ""
