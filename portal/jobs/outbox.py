"""The outbox's run side: work recorded by services (``portal.services.outbox.record``) in the same
transaction as its cause is dispatched to the queue after commit and run here.

A lost enqueue (Redis down, process killed) only delays the work: ``sweep`` re-dispatches pending rows.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from models import OutboxItem
from models.base import utcnow
from portal.jobs.queue import start_periodic
from portal.jobs.registry import run_task, task
from portal.runtime import Runtime
from portal.services import outbox as recorded

log = logging.getLogger(__name__)
MAX_ATTEMPTS = recorded.MAX_ATTEMPTS


def install(rt: Runtime) -> None:
    """Dispatch recorded work after each commit of this runtime's sessions."""

    def after_commit(session: Session) -> None:
        for item in recorded.take_recorded(session):
            if item.id is None or (item.not_before is not None and item.not_before > utcnow()):
                continue
            try:
                rt.queue.enqueue("outbox.run", lane=item.task.split(".", 1)[0], item_id=item.id)
            except Exception:
                # The change is committed and the work is in the outbox: a down queue only delays it
                # until the next sweep, so the caller's request must not fail here.
                log.warning("could not dispatch outbox item %s; it stays pending", item.id, exc_info=True)

    def after_rollback(session: Session) -> None:
        recorded.take_recorded(session)

    event.listen(rt.db.sessionmaker, "after_commit", after_commit)
    event.listen(rt.db.sessionmaker, "after_soft_rollback", lambda s, _t: after_rollback(s))


@task("outbox.run")
def run_item(rt: Runtime, item_id: int) -> None:
    """Run one outbox item; a missing, finished or dead-lettered item is a no-op; failures are kept for a
    retry until ``MAX_ATTEMPTS``, then the item is dead (shown to admins on /admin/jobs, never run again)."""
    with rt.db.session() as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.done_at is not None or item.attempts >= MAX_ATTEMPTS:
            return
        name, args = item.task, dict(item.args)
    try:
        run_task(rt, name, args)
    except Exception as exc:
        log.exception("outbox item %s (%s) failed", item_id, name)
        _mark(rt, item_id, error=f"{type(exc).__name__}: {exc}")
        raise
    _mark(rt, item_id, error=None)


def _mark(rt: Runtime, item_id: int, error: str | None) -> None:
    with rt.db.transaction() as session:
        item = session.get(OutboxItem, item_id)
        if item is None:
            return
        item.attempts += 1
        if error is None:
            item.done_at = utcnow()
            item.last_error = None
        else:
            item.last_error = error[:2000]
            if item.attempts >= MAX_ATTEMPTS:
                log.error("outbox item %s (%s) is dead after %d attempts", item_id, item.task, item.attempts)


@task("outbox.sweep")
def sweep(rt: Runtime, older_than_seconds: float = 0.0) -> int:
    """Re-dispatch pending items (not done, attempts left); returns how many were enqueued."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with rt.db.session() as session:
        rows = session.execute(
            select(OutboxItem.id, OutboxItem.task)
            .where(
                OutboxItem.done_at.is_(None),
                OutboxItem.attempts < MAX_ATTEMPTS,
                OutboxItem.created_at <= cutoff,
                or_(OutboxItem.not_before.is_(None), OutboxItem.not_before <= utcnow()),
            )
            .order_by(OutboxItem.id)
        ).all()
    for item_id, task_name in rows:
        rt.queue.enqueue("outbox.run", lane=task_name.split(".", 1)[0], item_id=item_id)
    return len(rows)


def start_periodic_sweep(rt: Runtime, every_seconds: float = 60.0) -> threading.Event:
    """Re-dispatch stuck or failed items every minute from a daemon thread; set the event to stop it.

    Only items older than one period are swept, so work that is merely queued is not doubled.
    """
    # A down queue is exactly what the sweep is for: it is tried again next period.
    jobs = [("outbox.sweep", {"older_than_seconds": every_seconds})]
    return start_periodic(rt, every_seconds, "assetport-outbox-sweep", jobs, "outbox sweep")


def pending_items(rt: Runtime, task_name: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """The oldest pending outbox items of one task, as (id, args): a coalescing job folds them into its
    own run and then marks them done with ``mark_folded``."""
    with rt.db.session() as session:
        rows = session.execute(
            select(OutboxItem.id, OutboxItem.args)
            .where(OutboxItem.task == task_name, OutboxItem.done_at.is_(None))
            .order_by(OutboxItem.id)
            .limit(limit)
        ).all()
    return [(int(item_id), dict(args or {})) for item_id, args in rows]


def mark_folded(rt: Runtime, item_ids: list[int]) -> None:
    """Mark outbox items done whose work a coalescing job has just done (items done meanwhile stay)."""
    if not item_ids:
        return
    with rt.db.transaction() as session:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(item_ids), OutboxItem.done_at.is_(None))
            .values(done_at=utcnow())
        )
