"""The synonym list admin page: add and remove rules, import and export them as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import Conflict, NotFound, ValidationError
from portal.services.governance.policy import require_role
from portal.services.search import synonyms
from portal.web.context import runtime, viewer

synonyms_bp = Blueprint("synonyms", __name__)


@synonyms_bp.get("/admin/synonyms")
@login_required
def index() -> ResponseReturnValue:
    """Every rule, with the add and import forms."""
    require_role(viewer(), Role.ADMIN)
    with runtime().db.session() as session:
        rules = [(row.id, row.rule, "=>" in row.rule) for row in synonyms.list_rules(session)]
    return render_template("admin/synonyms.html", rules=rules)


@synonyms_bp.post("/admin/synonyms")
@login_required
def add() -> ResponseReturnValue:
    """Add one rule (``a, b`` two-way or ``a => b`` one-way)."""
    try:
        with runtime().db.transaction() as session:
            text = synonyms.add_rule(session, viewer(), request.form.get("rule", "")).rule
    except (ValidationError, Conflict) as exc:
        flash(exc.message, "danger")
    else:
        synonyms.forget_expansions(runtime())
        flash(f"Added {text}.", "success")
    return redirect(url_for("synonyms.index"))


@synonyms_bp.post("/admin/synonyms/<int:rule_id>/delete")
@login_required
def remove(rule_id: int) -> ResponseReturnValue:
    """Remove one rule."""
    try:
        with runtime().db.transaction() as session:
            text = synonyms.delete_rule(session, viewer(), rule_id)
    except NotFound as exc:
        flash(exc.message, "danger")
    else:
        synonyms.forget_expansions(runtime())
        flash(f"Removed {text}.", "success")
    return redirect(url_for("synonyms.index"))


@synonyms_bp.post("/admin/synonyms/import")
@login_required
def import_rules() -> ResponseReturnValue:
    """Import a CSV (``terms,targets``), adding to the list or replacing it."""
    upload = request.files.get("file")
    if upload is None:
        flash("Choose a CSV file to import.", "danger")
        return redirect(url_for("synonyms.index"))
    try:
        with runtime().db.transaction() as session:
            added = synonyms.import_csv(
                session, viewer(), upload.read(synonyms.MAX_CSV_BYTES + 1), request.form.get("replace") == "1"
            )
    except ValidationError as exc:
        flash(exc.message, "danger")
    else:
        synonyms.forget_expansions(runtime())
        flash(f"Imported {added} rules.", "success")
    return redirect(url_for("synonyms.index"))


@synonyms_bp.get("/admin/synonyms.csv")
@login_required
def export_rules() -> ResponseReturnValue:
    """The list as CSV."""
    require_role(viewer(), Role.ADMIN)
    with runtime().db.session() as session:
        body = synonyms.export_csv(session)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="assetport-synonyms.csv"'
    return response
