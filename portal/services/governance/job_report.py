"""What admins see of background work that went wrong: dead-lettered and failing outbox items, failed
packages and packages stuck in "running". A dead item can be given a fresh set of attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import OutboxItem, Package, Role
from models.base import utcnow
from portal.errors import Conflict, NotFound
from portal.services.governance.policy import Viewer, require_role
from portal.services.outbox import MAX_ATTEMPTS

# A package "running" for longer than this without finishing is shown as stuck.
STUCK_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class JobRow:
    """One problem job: an outbox item (``kind`` "outbox") or a package build (``kind`` "package")."""

    kind: str
    id: int
    task: str
    state: str  # dead | retrying | failed | stuck
    attempts: int
    error: str | None
    created_at: datetime


def problem_jobs(session: Session, viewer: Viewer, limit: int = 200) -> list[JobRow]:
    """Dead and retrying outbox items, failed and stuck packages, newest first (admins only)."""
    require_role(viewer, Role.ADMIN)
    rows: list[JobRow] = []
    items = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.done_at.is_(None), OutboxItem.attempts > 0)
        .order_by(OutboxItem.id.desc())
        .limit(limit)
    ).all()
    for item in items:
        state = "dead" if item.attempts >= MAX_ATTEMPTS else "retrying"
        rows.append(
            JobRow("outbox", item.id, item.task, state, item.attempts, item.last_error, item.created_at)
        )
    stuck_before = utcnow() - STUCK_AFTER
    packages = session.scalars(
        select(Package)
        .where(
            or_(
                Package.status == "failed",
                (Package.status == "running") & (Package.created_at < stuck_before),
            )
        )
        .order_by(Package.id.desc())
        .limit(limit)
    ).all()
    for package in packages:
        state = "failed" if package.status == "failed" else "stuck"
        rows.append(
            JobRow("package", package.id, "packages.build", state, 1, package.error, package.created_at)
        )
    return sorted(rows, key=lambda r: r.created_at, reverse=True)[:limit]


def retry_outbox_item(session: Session, viewer: Viewer, item_id: int) -> OutboxItem:
    """Give a dead outbox item a fresh set of attempts; the next sweep dispatches it (admins only)."""
    require_role(viewer, Role.ADMIN)
    item = session.get(OutboxItem, item_id)
    if item is None:
        raise NotFound("job not found")
    if item.done_at is not None or item.attempts < MAX_ATTEMPTS:
        raise Conflict("only a dead job can be retried; this one is done or still being retried")
    item.attempts = 0
    return item
