"""The synonym list admin page: add and remove rules, import and export them as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import Conflict, NotFound, ValidationError
from portal.services.governance.policy import require_role
from portal.services.search import synonyms
from portal.web.context import runtime, viewer
from portal.web.flashing import flash_and_return

synonyms_bp = Blueprint("synonyms", __name__)
INDEX = "synonyms.index"


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

    def action() -> str:
        with runtime().db.transaction() as session:
            text = synonyms.add_rule(session, viewer(), request.form.get("rule", "")).rule
        synonyms.forget_expansions(runtime())
        return f"Added {text}."

    return flash_and_return(action, INDEX, (ValidationError, Conflict))


@synonyms_bp.post("/admin/synonyms/<int:rule_id>/delete")
@login_required
def remove(rule_id: int) -> ResponseReturnValue:
    """Remove one rule."""

    def action() -> str:
        with runtime().db.transaction() as session:
            text = synonyms.delete_rule(session, viewer(), rule_id)
        synonyms.forget_expansions(runtime())
        return f"Removed {text}."

    return flash_and_return(action, INDEX, (NotFound,))


@synonyms_bp.post("/admin/synonyms/import")
@login_required
def import_rules() -> ResponseReturnValue:
    """Import a CSV (``terms,targets``), adding to the list or replacing it."""

    def action() -> str:
        upload = request.files.get("file")
        if upload is None or not upload.filename:  # no file chosen: never "replace" the list with nothing
            raise ValidationError("Choose a CSV file to import.")
        replace = request.form.get("replace") == "1"
        with runtime().db.transaction() as session:
            added = synonyms.import_csv(session, viewer(), upload.read(synonyms.MAX_CSV_BYTES + 1), replace)
        synonyms.forget_expansions(runtime())
        return f"Imported {added} rules."

    return flash_and_return(action, INDEX, (ValidationError,))


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
