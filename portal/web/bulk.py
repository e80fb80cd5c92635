"""Bulk edit pages: the form (for a selection, every hit of a search, or a collection), the preview, the
job with live progress (htmx polling, like packages), and the undo of the whole batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from indexer.custom_fields import FieldSpec
from models import Role
from portal.errors import ValidationError
from portal.services.catalog import bulk, custom_values
from portal.services.governance import workflow
from portal.services.paging import parse_id
from portal.web import bulk_view, pickers
from portal.web.context import runtime, viewer

bulk_bp = Blueprint("bulk", __name__)
MAX_FORM_IDS = bulk.MAX_ASSETS


def _ids(values: list[str]) -> list[int] | None:
    ids = [i for i in (parse_id(v) for v in values) if i is not None]
    if len(ids) != len([v for v in values if v.strip()]):
        raise ValidationError("asset ids must be whole numbers")
    return ids or None


def _source(args: MultiDict[str, str]) -> dict[str, Any]:
    """The selection a form or link names: ``asset_ids`` (repeated), ``search`` or ``collection``."""
    collection = (args.get("collection") or "").strip()
    if collection and parse_id(collection) is None:
        raise ValidationError("collection must be a collection id")
    return {
        "ids": _ids(args.getlist("asset_ids")),
        "search": args.get("search")
        if args.get("search") is not None and not args.getlist("asset_ids")
        else None,
        "collection_id": parse_id(collection),
    }


def _custom_fields() -> list[FieldSpec]:
    """The custom fields this viewer may see (the form shows them; only those are read back)."""
    with runtime().db.session() as session:
        return custom_values.visible_fields(session, viewer())


def _field_changes(form: MultiDict[str, str], fields: Sequence[FieldSpec]) -> dict[str, Any]:
    """``set_fields``/``clear_fields`` from the custom field rows: each shown field (``cf_shown``) says
    ``cf_mode.<key>`` keep, set (the value of the shared macro's input) or clear."""
    modes = {key: form.get(f"cf_mode.{key}") or "keep" for key in dict.fromkeys(form.getlist("cf_shown"))}
    to_set = [key for key, mode in modes.items() if mode == "set"]
    picked = MultiDict([("cf_shown", key) for key in to_set])
    picked.update([(f"cf.{key}", v) for key in to_set for v in form.getlist(f"cf.{key}")])
    values = custom_values.parse_form_values(fields, viewer(), picked)
    labels = {spec.key: spec.label() for spec in fields}
    empty = [labels[key] for key in to_set if key in values and values[key] is None]
    if empty:
        raise ValidationError(f"give a value to set for {', '.join(empty)} (or choose to clear it)")
    out: dict[str, Any] = {}
    if values:
        out["set_fields"] = values
    cleared = [key for key, mode in modes.items() if mode == "clear" and key in labels]
    if cleared:
        out["clear_fields"] = cleared
    return out


def changes_from_form(form: MultiDict[str, str], fields: Sequence[FieldSpec] = ()) -> dict[str, Any]:
    """The change set (as the API takes it) from the bulk edit form; fields left empty change nothing.
    ``fields``: the custom fields the form showed (their rows are read when given)."""
    changes: dict[str, Any] = _field_changes(form, fields) if fields else {}

    def words(name: str) -> list[str]:
        return [w for w in (form.get(name) or "").replace(";", ",").split(",") if w.strip()]

    for name in ("add_tags", "remove_tags", "set_tags"):
        if words(name):
            changes[name] = words(name)
    for name in ("add_links", "remove_links"):
        keys = [k for k in form.getlist(name) if k.strip()]
        if keys:
            changes[name] = keys
    if form.get("visibility"):
        changes["visibility"] = form["visibility"]
    if form.get("change_rights_note"):
        changes["rights_note"] = form.get("rights_note") or None
    expiry = form.get("expiry_mode") or "keep"
    if expiry == "set":
        if not form.get("expires_at"):
            raise ValidationError("choose the expiry date, or leave the expiry as it is")
        changes["expires_at"] = form["expires_at"]
    elif expiry == "clear":
        changes["expires_at"] = None
    if form.get("action"):
        changes["action"] = form["action"]
        if form.get("comment"):
            changes["comment"] = form["comment"]
    return changes


def _selection(source: dict[str, Any]) -> bulk.Selection:
    return bulk.select_assets(
        runtime(), viewer(), ids=source["ids"], search=source["search"], collection_id=source["collection_id"]
    )


def _form_page(
    source: dict[str, Any], form: MultiDict[str, str], error: str | None = None
) -> ResponseReturnValue:
    selection = _selection(source)
    actions = [t.action for t in workflow.TRANSITIONS.values() if viewer().at_least(t.role)]
    context = {
        "source": source, "selection": selection, "form": form, "error": error, "actions": actions,
        "is_manager": viewer().at_least(Role.MANAGER), "back": _back(source),
        "custom_fields": _custom_fields(),
        # The products chosen before, each with its name and thumbnail again (nothing chosen is lost).
        "chips": {name: pickers.product_chips(form.getlist(name)) for name in ("add_links", "remove_links")},
    }  # fmt: skip
    return render_template("bulk/edit.html", **context), 422 if error else 200


def _back(source: dict[str, Any]) -> str:
    if source["collection_id"] is not None:
        return url_for("collections.detail", collection_id=source["collection_id"])
    if source["search"] is not None:
        return url_for("search.index") + ("?" + source["search"].lstrip("?") if source["search"] else "")
    return url_for("search.index")


@bulk_bp.route("/bulk", methods=["GET", "POST"])
@login_required
def edit() -> ResponseReturnValue:
    """The bulk edit form. GET ``?search=<query string>`` or ``?collection=<id>`` (links), POST with
    ``asset_ids`` (the search page's selection bar)."""
    bulk.check_allowed(viewer())
    args = request.form if request.method == "POST" else request.args
    source = _source(args)
    if source["ids"] is None and source["search"] is None and source["collection_id"] is None:
        raise ValidationError("select some assets first (or edit every hit of a search)")
    return _form_page(source, MultiDict())


@bulk_bp.post("/bulk/preview")
@login_required
def preview() -> ResponseReturnValue:
    """What the change set would do to the selection; nothing is written. Confirm starts the job."""
    source = _source(request.form)
    fields = _custom_fields()
    try:
        raw = changes_from_form(request.form, fields)
        changes = bulk.parse_changes(raw)
        selection = _selection(source)
        shown = bulk.preview(runtime().db, viewer(), selection, changes)
    except ValidationError as exc:
        return _form_page(source, request.form, exc.message)
    samples = [i for i in shown["items"] if i["result"] == "ok" and i.get("changes")][:20]
    return render_template(
        "bulk/preview.html", source=source, selection=selection, preview=shown, raw=raw, form=request.form,
        rows=bulk_view.sample_rows(samples, fields), asked=bulk_view.asked_fields(raw, fields),
    )  # fmt: skip


@bulk_bp.post("/bulk/start")
@login_required
def start() -> ResponseReturnValue:
    """Start the job (after the preview) and show its progress."""
    source = _source(request.form)
    raw = changes_from_form(request.form, _custom_fields())
    selection = _selection(source)
    with runtime().db.transaction() as session:
        job_id = bulk.start(session, viewer(), selection, raw).id
    return redirect(url_for("bulk.job", job_id=job_id))


def _job_context(job_id: int) -> dict[str, Any]:
    with runtime().db.session() as session:
        job = bulk.get_job(session, viewer(), job_id)
        undo = bulk.undo_job_of(session, job)
        summary = bulk.summary_view(job.summary or {})
        data = {
            "id": job.id, "kind": job.kind, "status": job.status, "total": job.total, "done": job.done,
            "percent": int(100 * job.done / job.total) if job.total else 100, "error": job.error,
            "source": dict(job.source or {}), "changes": dict(job.changes), "undo_of": job.undo_of_id,
            "undo_job": undo.id if undo else None, "created_at": job.created_at,
            "undoable": job.kind == "edit" and job.status == "done" and summary["changed"] > 0,
        }  # fmt: skip
    return {"job": data, "summary": summary}


@bulk_bp.get("/bulk/jobs/<int:job_id>")
@login_required
def job(job_id: int) -> ResponseReturnValue:
    """A bulk job: live progress, then the counts and "Undo"."""
    return render_template("bulk/job.html", **_job_context(job_id))


@bulk_bp.get("/bulk/jobs/<int:job_id>/progress")
@login_required
def progress(job_id: int) -> ResponseReturnValue:
    """The progress fragment the job page polls while the job runs."""
    return render_template("bulk/_progress.html", **_job_context(job_id))


@bulk_bp.post("/bulk/jobs/<int:job_id>/undo")
@login_required
def undo(job_id: int) -> ResponseReturnValue:
    """Undo the whole batch (a job too); shows the undo's progress."""
    with runtime().db.transaction() as session:
        undo_id = bulk.start_undo(session, viewer(), job_id).id
    return redirect(url_for("bulk.job", job_id=undo_id))


def search_edit_url(query_string: str) -> str:
    """The link "Edit all hits" of a search page."""
    return url_for("bulk.edit") + "?" + urlencode({"search": query_string.lstrip("?")})
