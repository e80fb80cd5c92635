"""``POST /api/v1/bulk``: one set of changes for many assets (by ids, a search or a collection), as a
preview (``dry_run``) or a job with progress, per-asset results and an undo of the whole batch (a job)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from models import BulkJob
from portal.api import api_bp
from portal.api import bulk_models as m
from portal.api.schema import operation, parse_body, respond
from portal.services.catalog import bulk
from portal.web.context import runtime, viewer


def job_view(session: Session, job: BulkJob) -> dict[str, Any]:
    """The JSON form of a job (the web pages' progress uses the same numbers)."""
    results, truncated = bulk.job_results(session, job)
    undo = bulk.undo_job_of(session, job)
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "source": dict(job.source or {}),
        "total": job.total, "done": job.done,
        "percent": int(100 * job.done / job.total) if job.total else 100,
        "summary": bulk.summary_view(job.summary or {}), "changes": dict(job.changes),
        "results": results, "results_truncated": truncated, "error": job.error,
        "undoable": job.kind == "edit" and job.status == "done" and bool((job.summary or {}).get("changed")),
        "undo_of": job.undo_of_id, "undo_job": undo.id if undo else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "status_url": url_for("api.get_bulk_job", job_id=job.id, _external=True),
        "undo_url": url_for("api.undo_bulk_job", job_id=job.id, _external=True),
    }  # fmt: skip


def _accepted(job_id: int) -> ResponseReturnValue:
    with runtime().db.session() as session:
        data = job_view(session, bulk.get_job(session, viewer(), job_id))
    response = respond(m.BulkJobOut, data, 202)
    response.headers["Location"] = data["status_url"]
    return response


@api_bp.post("/bulk")
@operation(responses={200: m.DryRun, 202: m.BulkJobOut}, body=m.BulkRequest, errors=(403, 404))
def start_bulk() -> ResponseReturnValue:
    """Apply ``changes`` to the assets named by ``ids``, ``search`` (re-run with your role's filters) or
    ``collection`` (editors; the single-asset rules apply per asset). ``dry_run``: 200 with the counts
    (change / unchanged / refused by reason) and per-asset results; nothing is stored. Otherwise 202 with
    the job: progress, results, and an undo for the whole batch."""
    body = parse_body(m.BulkRequest)
    bulk.check_allowed(viewer())
    raw = body.changes.model_dump(exclude_unset=True)
    changes = bulk.parse_changes(raw)
    rt = runtime()
    selection = bulk.select_assets(
        rt, viewer(), ids=body.ids, search=body.search, collection_id=body.collection
    )
    if body.dry_run:
        return respond(m.DryRun, bulk.preview(rt.db, viewer(), selection, changes))
    with rt.db.transaction() as session:
        job_id = bulk.start(session, viewer(), selection, raw).id
    return _accepted(job_id)


@api_bp.get("/bulk/<int:job_id>")
@operation(responses={200: m.BulkJobOut})
def get_bulk_job(job_id: int) -> ResponseReturnValue:
    """A bulk job: status, progress, counts and per-asset results (its author, and managers)."""
    with runtime().db.session() as session:
        return respond(m.BulkJobOut, job_view(session, bulk.get_job(session, viewer(), job_id)))


@api_bp.post("/bulk/<int:job_id>/undo")
@operation(responses={202: m.BulkJobOut}, errors=(403, 422))
def undo_bulk_job(job_id: int) -> ResponseReturnValue:
    """Undo a finished edit as a job (202 + the undo job): every asset it changed gets its tags, links,
    visibility, rights note and expiry back (tags and links by what the job added or removed, so later
    additions survive; workflow steps stay)."""
    with runtime().db.transaction() as session:
        undo_id = bulk.start_undo(session, viewer(), job_id).id
    return _accepted(undo_id)
