"""The custom metadata schema admin page: list, add, change and delete field definitions (admins)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from indexer.custom_fields import AUDIENCES, FIELD_TYPES
from models import Role
from portal.errors import Conflict, NotFound, ValidationError
from portal.services.catalog import custom_fields
from portal.services.governance.policy import require_role
from portal.web.context import client_ip, runtime, viewer
from portal.web.flashing import flash_and_return

custom_fields_bp = Blueprint("custom_fields", __name__)
INDEX = "custom_fields.index"


@custom_fields_bp.get("/admin/fields")
@login_required
def index() -> ResponseReturnValue:
    """Every field definition with its rules, and the form to add one."""
    require_role(viewer(), Role.ADMIN)
    with runtime().db.session() as session:
        specs = custom_fields.list_fields(session)
    rows = [(spec, custom_fields.form_text(spec)) for spec in specs]
    return render_template("admin/fields.html", rows=rows, types=FIELD_TYPES, audiences=AUDIENCES)


@custom_fields_bp.post("/admin/fields")
@login_required
def create() -> ResponseReturnValue:
    """Add a field definition."""
    require_role(viewer(), Role.ADMIN)

    def action() -> str:
        with runtime().db.transaction() as session:
            data = custom_fields.definition_from_form(request.form)
            spec = custom_fields.create_field(session, viewer(), data, ip=client_ip())
            return f"Added the field “{spec.label()}”."

    return flash_and_return(action, INDEX, (ValidationError, Conflict))


@custom_fields_bp.post("/admin/fields/<key>")
@login_required
def update(key: str) -> ResponseReturnValue:
    """Change a definition (its key and type stay); the assets holding a value are reindexed."""
    require_role(viewer(), Role.ADMIN)

    def action() -> str:
        with runtime().db.transaction() as session:
            data = custom_fields.definition_from_form({**request.form.to_dict(), "key": key})
            data.pop("type", None)
            spec = custom_fields.update_field(session, viewer(), key, data, ip=client_ip())
            return f"Saved the field “{spec.label()}”; assets with a value are being reindexed."

    return flash_and_return(action, INDEX, (ValidationError, Conflict, NotFound))


@custom_fields_bp.post("/admin/fields/<key>/delete")
@login_required
def delete(key: str) -> ResponseReturnValue:
    """Delete a definition; a job removes its values and reindexes the assets."""
    require_role(viewer(), Role.ADMIN)

    def action() -> str:
        with runtime().db.transaction() as session:
            custom_fields.delete_field(session, viewer(), key, ip=client_ip())
        return f"Deleted the field {key}; its values are being removed."

    return flash_and_return(action, INDEX, (NotFound,))
