"""Bulk edits: one change set for many assets - a selection of ids, every hit of a search (re-run here with
the user's role filters), or a collection - previewed, then run as a job in chunks with progress, one audit
event per asset and an undo of the whole batch (itself a job).

The work is set-based (``bulk_engine``): rows are loaded a chunk at a time and the single-asset write rules
(``governance.fields``) and workflow rules are decided per asset in Python. The change kinds are a registry
(``bulk_changes``), so new kinds of metadata add a handler, not a branch here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from models import BulkJob, BulkJobItem, Role, User
from models.base import utcnow
from models.db import Database
from portal.errors import NotFound, PortalError, ValidationError
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.brand import collections
from portal.services.catalog import bulk_engine as engine
from portal.services.catalog.bulk_changes import ChangeSet, parse_changes
from portal.services.catalog.bulk_parts import Context
from portal.services.governance.policy import Viewer, require_role
from portal.services.search import sync as search_sync

MAX_ASSETS = 200_000
PREVIEW_ITEMS = 1000
STALE_AFTER = timedelta(minutes=5)  # a running job without a heartbeat this long is taken over
# A job's index updates wait for its end (one large write instead of one per chunk), at most this long.
HOLD_SYNC = timedelta(minutes=10)
ACTIONS = {"edit": "asset.bulk_edit", "undo": "asset.bulk_undo"}
__all__ = ["MAX_ASSETS", "ChangeSet", "Selection", "parse_changes"]


@dataclass(frozen=True)
class Selection:
    """The assets a bulk edit works on and where they came from (shown on the job)."""

    ids: list[int]
    source: dict[str, Any] = field(default_factory=dict)


def check_allowed(viewer: Viewer) -> None:
    """Bulk edits are for editors and above (each asset then checks its own rules)."""
    require_role(viewer, Role.EDITOR)


def select_assets(
    rt: Runtime, viewer: Viewer, *, ids: list[int] | None = None, search: str | None = None,
    collection_id: int | None = None,
) -> Selection:  # fmt: skip
    """Exactly one source: ids, a search query string (``q=...&f.category=...``; run again here as this
    viewer, so their role's filters apply) or a collection id. Empty or too large is a ValidationError."""
    check_allowed(viewer)
    if sum(x is not None for x in (ids, search, collection_id)) != 1:
        raise ValidationError('name the assets by one of "ids", "search" or "collection"')
    if ids is not None:
        selection = Selection(list(dict.fromkeys(ids)), {"kind": "ids"})
    elif search is not None:
        from portal.services.distribution.product_lists import search_asset_ids

        text = search.lstrip("?")
        found = search_asset_ids(rt, viewer, text, limit=MAX_ASSETS + 1)
        selection = Selection(list(dict.fromkeys(found)), {"kind": "search", "search": text})
    else:
        assert collection_id is not None
        with rt.db.session() as session:
            selection = _collection(session, viewer, collection_id)
    if not selection.ids:
        raise ValidationError("the selection holds no assets")
    if len(selection.ids) > MAX_ASSETS:
        raise ValidationError(f"select at most {MAX_ASSETS:,} assets")
    return selection


def _collection(session: Session, viewer: Viewer, collection_id: int) -> Selection:
    """A collection's assets in its order, as far as the viewer may see them: a collection the viewer is
    not a member of answers "no such collection", and its hidden items are never part of the batch."""
    collection = collections.get_collection(session, viewer, collection_id, collections.VIEW)
    ids = collections.visible_item_ids(session, collection_id, viewer)
    source = {"kind": "collection", "collection_id": collection_id, "label": collection.name}
    return Selection(list(ids), source)


def preview(db: Database, viewer: Viewer, selection: Selection, changes: ChangeSet) -> dict[str, Any]:
    """What the changes would do, nothing stored: counts, refusals grouped by reason, and the first
    ``PREVIEW_ITEMS`` per-asset results."""
    check_allowed(viewer)
    ctx = Context(viewer)
    tally = engine.Tally()
    items: list[dict[str, Any]] = []
    with db.session() as session:
        changes.prepare(session, ctx)
        planner = engine.changes_planner(changes)
        for chunk in engine.chunks(selection.ids):
            outcomes = engine.plan_chunk(session, ctx, chunk, changes.parts, planner)
            tally.add(outcomes)
            items += [o.result() for o in outcomes[: max(0, PREVIEW_ITEMS - len(items))]]
            session.expunge_all()
    return {"total": len(selection.ids), **summary_view(tally.as_dict()), "items": items}


def summary_view(summary: dict[str, Any]) -> dict[str, Any]:
    """Counts with the reasons as a list, most frequent first."""
    reasons = summary.get("reasons") or {}
    return {
        "changed": int(summary.get("changed", 0)), "unchanged": int(summary.get("unchanged", 0)),
        "refused": int(summary.get("refused", 0)),
        "reasons": [{"reason": r, "count": n} for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])],
    }  # fmt: skip


def start(session: Session, viewer: Viewer, selection: Selection, raw_changes: dict[str, Any]) -> BulkJob:
    """Record a bulk job and queue it through the outbox (editors and above)."""
    check_allowed(viewer)
    parse_changes(raw_changes)
    if not selection.ids or len(selection.ids) > MAX_ASSETS:
        raise ValidationError(f"select between 1 and {MAX_ASSETS:,} assets")
    job = BulkJob(
        created_by_id=viewer.user_id, kind="edit", source=selection.source, asset_ids={"ids": selection.ids},
        changes=raw_changes, total=len(selection.ids), summary={},
    )  # fmt: skip
    session.add(job)
    session.flush()
    outbox.record(session, "bulk.run", job_id=job.id)
    return job


def get_job(session: Session, viewer: Viewer, job_id: int) -> BulkJob:
    """A bulk job of the viewer's (managers see everyone's); NotFound otherwise."""
    job = session.get(BulkJob, job_id)
    if job is None or (job.created_by_id != viewer.user_id and not viewer.at_least(Role.MANAGER)):
        raise NotFound("no such bulk job")
    return job


def start_undo(session: Session, viewer: Viewer, job_id: int) -> BulkJob:
    """Queue the undo of a finished edit job: every asset it changed gets its values back (tags and links
    by what the job added or removed; workflow steps stay). The undo is a job with progress too."""
    check_allowed(viewer)
    job = get_job(session, viewer, job_id)
    if job.kind != "edit" or job.status != "done":
        raise ValidationError(f"only a finished edit can be undone (this one is {job.status})")
    changed = session.scalars(
        select(BulkJobItem.asset_id)
        .where(BulkJobItem.job_id == job.id, BulkJobItem.outcome == "changed")
        .order_by(BulkJobItem.asset_id)
    ).all()
    if not changed:
        raise ValidationError("this job changed nothing, so there is nothing to undo")
    job.status = "undoing"
    undo = BulkJob(
        created_by_id=viewer.user_id, kind="undo", undo_of_id=job.id, source={"kind": "undo", "job": job.id},
        asset_ids={"ids": list(changed)}, changes={}, total=len(changed), summary={},
    )  # fmt: skip
    session.add(undo)
    session.flush()
    outbox.record(session, "bulk.run", job_id=undo.id)
    return undo


def _job_viewer(session: Session, job: BulkJob) -> Viewer:
    user = session.get(User, job.created_by_id) if job.created_by_id else None
    if user is None or not user.is_active:
        return Viewer(None, Role.PARTNER)  # its author is gone: everything is refused
    return Viewer(user.id, Role(user.role))


def _claim(session: Session, job_id: int) -> bool:
    """Take a queued job, or a running one whose worker stopped beating; False when someone has it."""
    now = utcnow()
    claimed = session.execute(
        update(BulkJob)
        .where(
            BulkJob.id == job_id,
            or_(
                BulkJob.status == "queued",
                and_(
                    BulkJob.status == "running",
                    or_(BulkJob.heartbeat_at.is_(None), BulkJob.heartbeat_at < now - STALE_AFTER),
                ),
            ),
        )
        .values(status="running", heartbeat_at=now)
    )
    return bool(getattr(claimed, "rowcount", 0))


def run(db: Database, job_id: int, ip: str | None = None) -> None:
    """Run a queued job chunk by chunk (each chunk one transaction with its outcomes and progress). Safe to
    run twice: a job is claimed once, and a job taken over after a crash skips the assets already done."""
    with db.transaction() as session:
        if not _claim(session, job_id):
            return
        job = session.get(BulkJob, job_id)
        assert job is not None
        viewer, kind, undo_of = _job_viewer(session, job), job.kind, job.undo_of_id
        done = set(session.scalars(select(BulkJobItem.asset_id).where(BulkJobItem.job_id == job_id)))
        todo = [i for i in job.asset_ids.get("ids", []) if i not in done]
        raw, tally = dict(job.changes), engine.Tally.of(job.summary)
    ctx = Context(viewer, job_id, ip=ip, hold_sync_until=utcnow() + HOLD_SYNC)
    parts: Sequence[str]
    try:
        if kind == "edit":
            changes = parse_changes(raw)
            with db.session() as session:
                changes.prepare(session, ctx)
        for chunk in engine.chunks(todo):
            with db.transaction() as session:
                if kind == "edit":
                    parts, planner = changes.parts, engine.changes_planner(changes)
                else:
                    items = _items_of(session, undo_of, chunk)
                    parts, planner = engine.undo_parts(items), engine.undo_planner(items)
                outcomes = engine.plan_chunk(session, ctx, chunk, parts, planner)
                engine.write_chunk(session, ctx, outcomes, ACTIONS[kind], job_id)
                tally.add(outcomes)
                _progress(session, job_id, len(done) + len(outcomes), tally)
                done.update(chunk)
    except PortalError as exc:
        _finish(db, job_id, "failed", exc.message, undo_of=undo_of)
        return
    except Exception as exc:
        # Let the outbox retry take the job over at once (it skips the chunks already done).
        _release(db, job_id, f"{type(exc).__name__}: {exc}")
        raise
    _finish(db, job_id, "done", None, undo_of=undo_of)


def _release(db: Database, job_id: int, error: str) -> None:
    with db.transaction() as session:
        job = session.get(BulkJob, job_id)
        if job is not None:
            job.heartbeat_at, job.error = None, error[:2000]


def _items_of(session: Session, job_id: int | None, ids: list[int]) -> dict[int, engine.Change]:
    rows = session.execute(
        select(BulkJobItem.asset_id, BulkJobItem.before, BulkJobItem.after).where(
            BulkJobItem.job_id == job_id, BulkJobItem.asset_id.in_(ids), BulkJobItem.outcome == "changed"
        )
    )
    return {asset_id: (dict(before), dict(after)) for asset_id, before, after in rows}


def _progress(session: Session, job_id: int, done: int, tally: engine.Tally) -> None:
    job = session.get(BulkJob, job_id)
    assert job is not None
    job.done, job.summary, job.heartbeat_at = done, tally.as_dict(), utcnow()


def _finish(db: Database, job_id: int, status: str, error: str | None, undo_of: int | None = None) -> None:
    with db.transaction() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None
        job.status, job.error, job.finished_at = status, error, utcnow()
        search_sync.flush_held(session)
        if undo_of is not None:
            original = session.get(BulkJob, undo_of)
            if original is not None:
                # A failed undo leaves the edit undoable again.
                original.status = "undone" if status == "done" else "done"


def job_results(session: Session, job: BulkJob, limit: int = 500) -> tuple[list[dict[str, Any]], bool]:
    """The first ``limit`` per-asset results of a job (by asset id), and whether there are more."""
    rows = session.scalars(
        select(BulkJobItem)
        .where(BulkJobItem.job_id == job.id)
        .order_by(BulkJobItem.asset_id)
        .limit(limit + 1)
    ).all()
    results = [
        engine.Outcome(r.asset_id, r.outcome, dict(r.before), dict(r.after), r.status, r.reason).result()
        for r in rows[:limit]
    ]
    return results, len(rows) > limit


def undo_job_of(session: Session, job: BulkJob) -> BulkJob | None:
    """The newest undo job of an edit job, if any."""
    return session.scalars(
        select(BulkJob).where(BulkJob.undo_of_id == job.id).order_by(BulkJob.id.desc()).limit(1)
    ).first()


def recent_jobs(session: Session, viewer: Viewer, limit: int = 20) -> list[BulkJob]:
    """The viewer's latest bulk jobs (managers: everyone's)."""
    query = select(BulkJob).order_by(BulkJob.id.desc()).limit(limit)
    if not viewer.at_least(Role.MANAGER):
        query = query.where(BulkJob.created_by_id == viewer.user_id)
    return list(session.scalars(query))


def count_changed(session: Session, job_id: int) -> int:
    """How many assets a job changed."""
    return int(
        session.scalar(
            select(func.count(BulkJobItem.id)).where(
                BulkJobItem.job_id == job_id, BulkJobItem.outcome == "changed"
            )
        )
        or 0
    )
