"""Vision pages: the vocabulary admin (managers), the asset page's suggestions and duplicate panel (htmx),
the duplicates report and search by an uploaded image."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import RejectedFile, ValidationError
from portal.services.governance.policy import can_edit, require_role
from portal.services.search.queries import parse_params
from portal.services.vision import duplicates as vision_duplicates
from portal.services.vision import tags as vision_tags
from portal.services.vision import unmerge
from portal.services.vision.model import model_info
from portal.services.vision.similar import MAX_IMAGE_BYTES, remember_query_image
from portal.web.context import client_ip, runtime, viewer
from portal.web.flashing import flash

vision_bp = Blueprint("vision", __name__)
MAX_CSV_BYTES = 1024 * 1024


def _float(raw: str | None, what: str) -> float:
    try:
        return float((raw or "").strip())
    except ValueError:
        raise ValidationError(f"{what} must be a number between 0 and 1") from None


@vision_bp.get("/admin/vision")
@login_required
def admin() -> ResponseReturnValue:
    """The tag vocabulary and the active model (managers)."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        rows = vision_tags.vocabulary(session)
        return render_template("vision/admin.html", rows=rows, info=model_info(runtime().settings))


@vision_bp.post("/admin/vision/tags")
@login_required
def save_tag() -> ResponseReturnValue:
    """Add a tag or update one by name: group, threshold, prompts (one per line or ``|``-separated)."""
    form = request.form
    prompts = [p for line in (form.get("prompts") or "").splitlines() for p in line.split("|")]
    with runtime().db.transaction() as session:
        row = vision_tags.save_tag(
            session,
            viewer(),
            form.get("name") or "",
            group=form.get("group") or "object",
            threshold=_float(form.get("threshold") or "0.35", "the threshold"),
            prompts=prompts,
        )
        name = row.name
    flash(f"Saved tag “{name}”.", "success")
    return redirect(url_for("vision.admin"))


@vision_bp.post("/admin/vision/tags/<int:tag_id>")
@login_required
def update_tag(tag_id: int) -> ResponseReturnValue:
    """Change one tag's threshold, or enable / disable it."""
    form = request.form
    threshold = _float(form["threshold"], "the threshold") if "threshold" in form else None
    enabled = form.get("enabled") == "1" if "enabled" in form else None
    with runtime().db.transaction() as session:
        row = vision_tags.update_tag(session, viewer(), tag_id, threshold=threshold, enabled=enabled)
        name = row.name
    flash(f"Updated “{name}”.", "success")
    return redirect(url_for("vision.admin", _anchor=f"tag-{tag_id}"))


@vision_bp.post("/admin/vision/defaults")
@login_required
def load_defaults() -> ResponseReturnValue:
    """Add the default product-photography vocabulary (existing tags stay as they are)."""
    with runtime().db.transaction() as session:
        added = vision_tags.load_defaults(session, viewer())
    flash(f"Added {added} default tags.", "success")
    return redirect(url_for("vision.admin"))


@vision_bp.post("/admin/vision/import")
@login_required
def import_csv() -> ResponseReturnValue:
    """Import a vocabulary CSV; good lines are saved, each bad line is listed with its reason. A file that
    cannot be read at all (none chosen, too large, not UTF-8, malformed CSV) is said on the same page."""
    require_role(viewer(), Role.MANAGER)
    try:
        report = _import_vocabulary()
    except ValidationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("vision.admin"))
    flash(f"Imported: {report.created} new, {report.updated} updated.", "success")
    for error in report.errors[:50]:
        flash(error, "danger")
    return redirect(url_for("vision.admin"))


def _import_vocabulary() -> vision_tags.ImportReport:
    upload = request.files.get("file")
    data = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not data:
        raise ValidationError("choose a CSV file to import")
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError("the CSV file is larger than 1 MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the CSV file must be UTF-8 text") from None
    with runtime().db.transaction() as session:
        return vision_tags.import_csv(session, viewer(), text)


@vision_bp.get("/assets/<int:asset_id>/vision")
@login_required
def panel(asset_id: int) -> ResponseReturnValue:
    """The asset page's vision panel: tag suggestions and near-duplicate flags (staff)."""
    return _panel(asset_id)


def _panel(asset_id: int) -> ResponseReturnValue:
    from portal.services.catalog import assets as asset_service

    with runtime().db.session() as session:
        asset = asset_service.get_asset(session, viewer(), asset_id)
        items = vision_tags.suggestions_for(session, viewer(), asset_id)
        flags = vision_duplicates.open_flags(session, asset_id) if can_edit(viewer()) else []
        different = vision_duplicates.different_products(session, asset_id, [o.id for _f, o in flags])
        merges = unmerge.undoable_merges(session, asset_id) if can_edit(viewer()) else []
        return render_template(
            "vision/_panel.html",
            asset=asset,
            suggestions=items,
            flags=flags,
            different=different,
            merges=merges,
            can_decide=viewer().at_least(Role.MANAGER),
        )


@vision_bp.post("/suggestions/<int:suggestion_id>/<any(accept, reject):decision>")
@login_required
def decide(suggestion_id: int, decision: str) -> ResponseReturnValue:
    """Accept or reject a suggestion; htmx gets the refreshed panel, a plain form the asset page."""
    with runtime().db.transaction() as session:
        item = vision_tags.decide(session, viewer(), suggestion_id, decision == "accept", ip=client_ip())
        asset_id = item.asset_id
    if request.headers.get("HX-Request") == "true":
        return _panel(asset_id)
    return redirect(url_for("assets.detail", asset_id=asset_id))


@vision_bp.post("/duplicates/<int:flag_id>/<any(merge, keep):action>")
@login_required
def duplicate(flag_id: int, action: str) -> ResponseReturnValue:
    """Merge the flagged asset into the one it resembles as a new version, or keep both."""
    with runtime().db.transaction() as session:
        if action == "merge":
            target = vision_duplicates.merge(session, viewer(), flag_id, ip=client_ip())
            message = f"Merged in as a new version of asset #{target}."
        else:
            target = vision_duplicates.keep(session, viewer(), flag_id, ip=client_ip()).asset_id
            message = "Kept both assets."
    flash(message, "success")
    return redirect(url_for("assets.detail", asset_id=target))


@vision_bp.post("/duplicates/merges/<int:event_id>/undo")
@login_required
def undo_merge(event_id: int) -> ResponseReturnValue:
    """Undo a merge: the merged-away file is a separate (draft) asset again."""
    with runtime().db.transaction() as session:
        restored = unmerge.undo_merge(session, viewer(), event_id, ip=client_ip())
    flash(f"Merge undone: the file is asset #{restored} again (a draft).", "success")
    return redirect(url_for("assets.detail", asset_id=restored))


@vision_bp.get("/admin/duplicates")
@login_required
def duplicates() -> ResponseReturnValue:
    """Clusters of near-duplicate assets with thumbnails (managers)."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        return render_template("vision/duplicates.html", clusters=vision_duplicates.clusters(session))


@vision_bp.post("/search/image")
@login_required
def image_search() -> ResponseReturnValue:
    """Search by an uploaded or dropped image (the image is not stored)."""
    from portal.web.search import search_url

    params = parse_params(request.args.to_dict(flat=False), default_size=48)
    upload = request.files.get("image")
    data = upload.read(MAX_IMAGE_BYTES + 1) if upload else b""  # more is refused anyway
    try:
        token = remember_query_image(runtime(), data, (upload.filename or "image") if upload else "image")
    except (ValidationError, RejectedFile) as exc:
        # No file, or not a readable image: said on the search page it came from, not an error page.
        flash(exc.message, "danger")
        return redirect(search_url(params.query_string()), code=303)
    # Post/redirect/get: the results live at a plain search URL carrying the token, so facet clicks,
    # paging, reloads and the back button keep the image query.
    target = dataclasses.replace(params, image=token, similar_to=None, page=1)
    return redirect(search_url(target.query_string()), code=303)
