"""Bulk edits: the same changes applied to many assets, each through the single-asset services (so the
page rules apply per asset), with a dry run, per-asset results and an undo of the whole batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import BulkJob, Role, User
from models.base import utcnow
from models.db import Database
from portal.errors import NotFound, PortalError, ValidationError
from portal.services import outbox
from portal.services.catalog import assets as asset_service
from portal.services.catalog import bulk_fields, editing
from portal.services.governance import rights, workflow
from portal.services.governance.policy import Viewer, require_role

MAX_ASSETS = 1000
CHANGE_KEYS = frozenset(
    {"add_tags", "remove_tags", "set_tags", "visibility", "rights_note", "expires_at", "add_links",
     "remove_links", "action"}
) | bulk_fields.KEYS  # fmt: skip


@dataclass(frozen=True)
class Changes:
    """What to change on every asset (absent: leave alone)."""

    given: frozenset[str]
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    set_tags: list[str] | None = None
    visibility: str | None = None
    rights_note: str | None = None
    expires_at: str | None = None
    add_links: list[str] = field(default_factory=list)
    remove_links: list[str] = field(default_factory=list)
    action: str | None = None
    set_fields: dict[str, Any] = field(default_factory=dict)  # custom fields: bulk_fields
    clear_fields: list[str] = field(default_factory=list)


def check_allowed(viewer: Viewer) -> None:
    """Bulk edits are for editors and above (each asset then checks its own rules)."""
    require_role(viewer, Role.EDITOR)


def parse_changes(raw: dict[str, Any]) -> Changes:
    """Validate a ``changes`` object; unknown keys and wrong types are a ValidationError."""
    unknown = sorted(set(raw) - CHANGE_KEYS)
    if unknown:
        raise ValidationError(f"unknown change(s) {', '.join(unknown)}; use {', '.join(sorted(CHANGE_KEYS))}")
    if not raw:
        raise ValidationError("changes: name at least one change")
    if "set_tags" in raw and ("add_tags" in raw or "remove_tags" in raw):
        raise ValidationError("set_tags replaces the tags: do not combine it with add_tags or remove_tags")
    bulk_fields.check(raw.get("set_fields", {}), raw.get("clear_fields", []))
    return Changes(given=frozenset(raw), **raw)


def _snapshot(session: Session, viewer: Viewer, asset_id: int) -> dict[str, Any]:
    detail = asset_service.asset_detail(session, viewer, asset_id)
    keys = ("title", "description", "rights_note", "visibility", "usage_restrictions", "rights_expire_at")
    snap = {k: detail.get(k) for k in keys}
    snap["tags"] = list(detail["tags"])
    snap["links"] = [link["article_number"] or link["model_code"] for link in detail["links"]]
    snap["fields"] = dict(detail.get("fields") or {})
    return snap


def _apply(session: Session, viewer: Viewer, asset_id: int, c: Changes, ip: str | None) -> dict[str, Any]:
    """Apply the changes to one asset through the services; returns its state before."""
    before = _snapshot(session, viewer, asset_id)
    tags = list(before["tags"])
    if c.set_tags is not None:
        tags = [t for t in editing.parse_tags(",".join(c.set_tags))]
    tags = [t for t in tags if t not in set(editing.parse_tags(",".join(c.remove_tags)))]
    tags += [t for t in editing.parse_tags(",".join(c.add_tags)) if t not in tags]
    note = c.rights_note if "rights_note" in c.given else before["rights_note"]
    if tags != before["tags"] or "rights_note" in c.given:
        form = {"title": before["title"] or "", "description": before["description"] or ""}
        form |= {"rights_note": note or "", "tags": ",".join(tags)}
        editing.update_asset_metadata(session, viewer, asset_id, editing.parse_metadata_form(form), ip=ip)
    if c.given & {"visibility", "expires_at"}:
        form = {
            "visibility": c.visibility or before["visibility"],
            "rights_note": note or "",
            "usage_restrictions": before["usage_restrictions"] or "",
            "rights_expire_at": (c.expires_at if "expires_at" in c.given else before["rights_expire_at"])
            or "",
        }
        rights.update_rights(session, viewer, asset_id, rights.parse_rights_form(form), ip=ip)
    for key in c.add_links:
        editing.link_product(session, viewer, asset_id, key, ip=ip)
    if c.remove_links:
        detail = asset_service.asset_detail(session, viewer, asset_id)
        wanted = set(c.remove_links)
        for link in detail["links"]:
            if (link["article_number"] or link["model_code"]) in wanted:
                editing.unlink_product(session, viewer, asset_id, link["id"], ip=ip)
    bulk_fields.apply(session, viewer, asset_id, c.set_fields, c.clear_fields, ip)
    if c.action:
        workflow.transition(session, viewer, asset_id, c.action, None, ip=ip)
    session.flush()
    return before


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}


Result = tuple[dict[str, Any], dict[str, Any] | None]


def _one(
    db: Database, viewer: Viewer, asset_id: int, changes: Changes, *, commit: bool, ip: str | None
) -> Result:
    """Per-asset result (``ok`` with the changes, or ``refused`` with the reason) and the undo snapshot."""
    session = db.sessionmaker()
    try:
        before = _apply(session, viewer, asset_id, changes, ip)
        after = _snapshot(session, viewer, asset_id)
        if commit:
            session.commit()
        return {"asset_id": asset_id, "result": "ok", "changes": _diff(before, after)}, before
    except PortalError as exc:
        return {"asset_id": asset_id, "result": "refused", "status": exc.status, "reason": exc.message}, None
    finally:
        session.rollback()
        session.close()


def dry_run(db: Database, viewer: Viewer, ids: list[int], changes: Changes) -> list[dict[str, Any]]:
    """What the changes would do to each asset, or why they would be refused; nothing is stored."""
    require_role(viewer, Role.EDITOR)
    return [_one(db, viewer, i, changes, commit=False, ip=None)[0] for i in ids]


def start(session: Session, viewer: Viewer, ids: list[int], raw_changes: dict[str, Any]) -> BulkJob:
    """Record a bulk job and queue it (editors and above)."""
    require_role(viewer, Role.EDITOR)
    parse_changes(raw_changes)
    if not ids or len(ids) > MAX_ASSETS:
        raise ValidationError(f"select between 1 and {MAX_ASSETS} assets")
    job = BulkJob(created_by_id=viewer.user_id, asset_ids={"ids": ids}, changes=raw_changes, total=len(ids))
    session.add(job)
    session.flush()
    outbox.record(session, "bulk.run", job_id=job.id)
    return job


def _job_viewer(session: Session, job: BulkJob) -> Viewer:
    user = session.get(User, job.created_by_id) if job.created_by_id else None
    if user is None or not user.is_active:
        return Viewer(None, Role.PARTNER)  # its author is gone: everything is refused
    return Viewer(user.id, Role(user.role))


def run(db: Database, job_id: int, ip: str | None = None) -> None:
    """Apply a queued job asset by asset (each in its own transaction), recording results and undo."""
    with db.transaction() as session:
        job = session.get(BulkJob, job_id)
        if job is None or job.status != "queued":
            return
        job.status = "running"
        viewer, ids, changes = (
            _job_viewer(session, job),
            list(job.asset_ids["ids"]),
            parse_changes(job.changes),
        )
    results: dict[str, Any] = {}
    undo: dict[str, Any] = {}
    for n, asset_id in enumerate(ids, 1):
        result, before = _one(db, viewer, asset_id, changes, commit=True, ip=ip)
        results[str(asset_id)] = result
        if before is not None and result["changes"]:
            undo[str(asset_id)] = before
        if n % 50 == 0 or n == len(ids):
            with db.transaction() as session:
                job = session.get(BulkJob, job_id)
                assert job is not None
                job.done, job.results, job.undo = n, dict(results), dict(undo)
    with db.transaction() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None
        job.status, job.finished_at = "done", utcnow()


def get_job(session: Session, viewer: Viewer, job_id: int) -> BulkJob:
    """A bulk job of the viewer's (managers see everyone's); NotFound otherwise."""
    job = session.get(BulkJob, job_id)
    if job is None or (job.created_by_id != viewer.user_id and not viewer.at_least(Role.MANAGER)):
        raise NotFound("no such bulk job")
    return job


def undo(db: Database, viewer: Viewer, job_id: int, ip: str | None = None) -> dict[str, Any]:
    """Put every changed asset of a finished job back as it was; per-asset results."""
    with db.session() as session:
        job = get_job(session, viewer, job_id)
        if job.status != "done":
            raise ValidationError(f"only a finished job can be undone (this one is {job.status})")
        snapshots = dict(job.undo)
    results: dict[str, Any] = {}
    for key, before in snapshots.items():
        back = {"set_tags": before["tags"], "rights_note": before["rights_note"]}
        back |= {"visibility": before["visibility"], "expires_at": before["rights_expire_at"]}
        session = db.sessionmaker()
        try:
            current = _snapshot(session, viewer, int(key))
            back["add_links"] = [k for k in before["links"] if k not in current["links"]]
            back["remove_links"] = [k for k in current["links"] if k not in before["links"]]
            back |= bulk_fields.undo_changes(before, current)
        except PortalError:
            pass
        finally:
            session.close()
        results[key], _ = _one(db, viewer, int(key), parse_changes(back), commit=True, ip=ip)
    with db.transaction() as session:
        job = get_job(session, viewer, job_id)
        job.status = "undone"
    return results
