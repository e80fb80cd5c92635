"""Review pages: the managers' approval queue (filters, bulk, keyboard), the dashboard of expiring rights,
the editors' own submissions, and the workflow, rights and version forms of an asset page."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from models import Role
from portal.errors import BadRequest, Conflict, PortalError, ValidationError
from portal.services.catalog import versions
from portal.services.catalog.assets import get_asset
from portal.services.governance import rights, workflow
from portal.services.governance.policy import require_role
from portal.services.paging import MAX_ID, parse_paging
from portal.web import pickers
from portal.web.auth import _safe_next
from portal.web.context import client_ip, runtime, viewer
from portal.web.flashing import flash

review_bp = Blueprint("review", __name__)


@review_bp.app_context_processor
def _nav_counts() -> dict[str, Any]:
    """Counts for the navigation bar (review queue for managers, rejected uploads for editors)."""

    def counts() -> dict[str, int]:
        who = viewer()
        if not who.is_authenticated:
            return {}
        with runtime().db.session() as session:
            return workflow.nav_counts(session, who)

    return {"nav_counts": counts}


@review_bp.get("/review")
@login_required
def queue() -> ResponseReturnValue:
    """Assets waiting for review with large previews, oldest first (managers and admins)."""
    who = viewer()
    require_role(who, Role.MANAGER)
    page, size = parse_paging(request.args.get("page"), request.args.get("size"), default_size=24)
    args = request.args.to_dict()
    # The product picker's chip (or, without JavaScript, its text box): the value that is not empty.
    args["product"] = next((v for v in request.args.getlist("product") if v.strip()), "")
    filters = workflow.parse_queue_filters(args)
    chips = pickers.product_chips([filters.article_number] if filters.article_number else [])
    with runtime().db.session() as session:
        result = workflow.review_queue(session, who, filters, page=page, size=size)
        uploaders, categories = workflow.queue_choices(session)
        return render_template(
            "review/queue.html", result=result, filters=filters, uploaders=uploaders, categories=categories,
            product_chips=chips,
        )  # fmt: skip


def _back(default: str) -> Response:
    return redirect(_safe_next(request.form.get("next") or default))


@review_bp.post("/review/<int:asset_id>/transition")
@login_required
def transition(asset_id: int) -> ResponseReturnValue:
    """Apply one workflow action from a button (queue or asset page); a refused one is explained."""
    action = request.form.get("action", "")
    try:
        with runtime().db.transaction() as session:
            asset = workflow.transition(
                session, viewer(), asset_id, action, request.form.get("comment"), ip=client_ip()
            )
            title, status = asset.title, asset.status
    except (Conflict, ValidationError) as exc:
        flash(exc.message, "danger")
    else:
        flash(f"“{title}” is now {status.replace('_', ' ')}.", "success")
    return _back(url_for("assets.detail", asset_id=asset_id))


@review_bp.post("/review/bulk")
@login_required
def bulk() -> ResponseReturnValue:
    """Approve or reject every selected asset (each on its own; refusals are listed)."""
    who = viewer()
    require_role(who, Role.MANAGER)
    try:
        ids = [int(v) for v in request.form.getlist("ids")]
    except ValueError:
        raise BadRequest("ids must be asset numbers") from None
    if not all(abs(i) <= MAX_ID for i in ids):
        # Out of the id column's range: the database driver would overflow (a 500), not say "not found".
        raise BadRequest("ids must be asset numbers")
    if not ids:
        flash("Select at least one asset.", "warning")
        return _back(url_for("review.queue"))
    action = request.form.get("action", "")
    try:
        outcome = workflow.bulk_transition(
            runtime().db, who, ids, action, request.form.get("comment"), ip=client_ip()
        )
    except ValidationError as exc:
        flash(exc.message, "danger")
        return _back(url_for("review.queue"))
    if outcome.done:
        flash(f"{action.capitalize()}d {len(outcome.done)} asset(s).", "success")
    for asset_id, reason in outcome.failed.items():
        flash(f"Asset {asset_id}: {reason}", "danger")
    return _back(url_for("review.queue"))


@review_bp.get("/review/mine")
@login_required
def mine() -> ResponseReturnValue:
    """The editor's own drafts, submissions in review and rejections with their reasons."""
    with runtime().db.session() as session:
        items = workflow.my_submissions(session, viewer())
        return render_template("review/mine.html", items=items)


@review_bp.get("/review/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    """Managers' dashboard: the queue size, rights expiring within 14 days, rights expired lately."""
    who = viewer()
    require_role(who, Role.MANAGER)
    with runtime().db.session() as session:
        return render_template(
            "review/dashboard.html",
            counts=workflow.nav_counts(session, who),
            expiring=rights.expiring_soon(session),
            expired=rights.recently_expired(session),
            warn_days=rights.WARN_DAYS,
        )


@review_bp.post("/assets/<int:asset_id>/rights")
@login_required
def edit_rights(asset_id: int) -> ResponseReturnValue:
    """Save visibility, rights note, usage restrictions and expiry (editors and above)."""
    try:
        edit = rights.parse_rights_form(request.form)
        with runtime().db.transaction() as session:
            changed = rights.update_rights(session, viewer(), asset_id, edit, ip=client_ip())
    except ValidationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="rights"))
    message = (
        ("Saved: " + ", ".join(c.replace("_", " ") for c in changed) + ".") if changed else "Nothing changed."
    )
    flash(message, "success" if changed else "info")
    return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="rights"))


@review_bp.post("/assets/<int:asset_id>/versions")
@login_required
def upload_version(asset_id: int) -> ResponseReturnValue:
    """Upload a new file as the asset's current version (editors and above)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a file to upload as the new version.", "danger")
        return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="versions"))
    rt = runtime()
    try:
        with tempfile.TemporaryDirectory(dir=rt.blobs.tmp_dir, prefix="version-") as tmp:
            path = Path(tmp) / "upload"
            upload.save(path)
            result = versions.add_version(
                rt,
                viewer(),
                asset_id,
                path,
                upload.filename,
                comment=request.form.get("comment"),
                ip=client_ip(),
            )
    except (Conflict, ValidationError) as exc:
        flash(exc.message, "danger")
    except PortalError as exc:
        if exc.status in (403, 404):
            raise
        flash(f"{upload.filename}: {exc.message}", "danger", verbatim=True)  # the file name as it is
    else:
        note = " It is back in review; partners keep the approved version." if result.back_in_review else ""
        flash(f"Version {result.number} uploaded.{note}", "success")
    return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="versions"))


@review_bp.post("/assets/<int:asset_id>/versions/<int:version_id>/restore")
@login_required
def restore_version(asset_id: int, version_id: int) -> ResponseReturnValue:
    """Make an old version current again."""
    try:
        with runtime().db.transaction() as session:
            asset = versions.restore_version(session, viewer(), asset_id, version_id, ip=client_ip())
            number = asset.current_version.number if asset.current_version else None
    except Conflict as exc:
        flash(exc.message, "danger")
    else:
        flash(f"Version {number} is current again.", "success")
    return redirect(url_for("assets.detail", asset_id=asset_id, _anchor="versions"))


@review_bp.get("/assets/<int:asset_id>/compare")
@login_required
def compare(asset_id: int) -> ResponseReturnValue:
    """Two versions' previews side by side (``a`` and ``b`` are version numbers; default: newest two)."""

    def number(name: str) -> int | None:
        raw = request.args.get(name, "").strip()
        if not raw:
            return None
        # isascii: "²".isdigit() is true but int() refuses it.
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError(f"{name} must be a version number")
        return int(raw)

    who = viewer()
    with runtime().db.session() as session:
        history = versions.version_history(session, who, asset_id)
        left, right = versions.pick_pair(history, number("a"), number("b"))
        asset = get_asset(session, who, asset_id)
        return render_template("review/compare.html", asset=asset, left=left, right=right, history=history)


@review_bp.app_template_global()
def workflow_actions(asset: Any) -> list[str]:
    """The workflow actions the current viewer may take on ``asset`` (for its buttons)."""
    return workflow.allowed_actions(viewer(), asset)


@review_bp.app_template_global()
def approved_number(asset: Any) -> int | None:
    """The number of the asset's approved version (its versions are loaded on the detail page)."""
    return next((v.number for v in asset.versions if v.id == asset.approved_version_id), None)
