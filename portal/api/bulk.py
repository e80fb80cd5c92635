"""``POST /api/v1/bulk``: one set of changes for many assets (by ids or a search), as a dry run or a job
with per-asset results and an undo of the whole batch."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from flask import url_for
from flask.typing import ResponseReturnValue

from models import BulkJob
from portal.api import api_bp
from portal.api import bulk_models as m
from portal.api.schema import operation, parse_body, respond
from portal.errors import ValidationError
from portal.services.catalog import bulk
from portal.services.search.queries import parse_params, run_search
from portal.web.context import client_ip, runtime, viewer


def _selection(body: m.BulkRequest) -> list[int]:
    if (body.ids is None) == (body.search is None):
        raise ValidationError('send either "ids" or "search" (the query string of /api/v1/search)')
    if body.ids is not None:
        return list(dict.fromkeys(body.ids))
    args = {k: v for k, v in parse_qs((body.search or "").lstrip("?")).items() if k not in ("page", "size")}
    ids: list[int] = []
    page = 1
    while len(ids) < bulk.MAX_ASSETS:
        params = parse_params({**args, "page": [str(page)], "size": ["200"]})
        hits = run_search(runtime(), viewer(), params).hits
        ids += [h.id for h in hits if h.id not in ids]
        if len(hits) < 200:
            break
        page += 1
    if not ids:
        raise ValidationError("the search finds no assets")
    return ids[: bulk.MAX_ASSETS]


def _job(job: BulkJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "changes": dict(job.changes),
        "results": [job.results[k] for k in sorted(job.results, key=int)],
        "undoable": job.status == "done" and bool(job.undo),
        "status_url": url_for("api.get_bulk_job", job_id=job.id, _external=True),
        "undo_url": url_for("api.undo_bulk_job", job_id=job.id, _external=True),
    }


@api_bp.post("/bulk")
@operation(responses={200: m.DryRun, 202: m.BulkJobOut}, body=m.BulkRequest, errors=(403,))
def start_bulk() -> ResponseReturnValue:
    """Apply ``changes`` to the assets named by ``ids`` or ``search`` (editors; the page rules apply per
    asset). ``dry_run``: 200 with what would change per asset, or why it is refused. Otherwise 202 with the
    job (progress, per-asset results, an undo for the whole batch)."""
    body = parse_body(m.BulkRequest)
    bulk.check_allowed(viewer())
    raw = body.changes.model_dump(exclude_unset=True)
    changes = bulk.parse_changes(raw)
    ids = _selection(body)
    if len(ids) > bulk.MAX_ASSETS:
        raise ValidationError(f"select at most {bulk.MAX_ASSETS} assets")
    rt = runtime()
    if body.dry_run:
        return respond(m.DryRun, {"items": bulk.dry_run(rt.db, viewer(), ids, changes)})
    with rt.db.transaction() as session:
        job_id = bulk.start(session, viewer(), ids, raw).id
    with rt.db.session() as session:
        data = _job(bulk.get_job(session, viewer(), job_id))
    response = respond(m.BulkJobOut, data, 202)
    response.headers["Location"] = data["status_url"]
    return response


@api_bp.get("/bulk/<int:job_id>")
@operation(responses={200: m.BulkJobOut})
def get_bulk_job(job_id: int) -> ResponseReturnValue:
    """A bulk job: status, progress and per-asset results (its author, and managers)."""
    with runtime().db.session() as session:
        return respond(m.BulkJobOut, _job(bulk.get_job(session, viewer(), job_id)))


@api_bp.post("/bulk/<int:job_id>/undo")
@operation(responses={200: m.DryRun}, errors=(403, 422))
def undo_bulk_job(job_id: int) -> ResponseReturnValue:
    """Put every asset the job changed back (tags, rights note, visibility, expiry, links; workflow steps
    stay); per-asset results."""
    results = bulk.undo(runtime().db, viewer(), job_id, ip=client_ip())
    return respond(m.DryRun, {"items": [results[k] for k in sorted(results, key=int)]})
