"""Reading the audit trail: filtered, paged listings and a CSV export (admins and managers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from models import AuditEvent, Role, User
from portal.errors import ValidationError
from portal.services.csv_text import spreadsheet_text
from portal.services.governance.policy import Viewer, require_role
from portal.services.governance.rights import parse_expiry
from portal.services.paging import MAX_ID, Page

CSV_COLUMNS = ("id", "at", "actor", "action", "asset_id", "target", "ip", "detail")


@dataclass(frozen=True)
class AuditFilters:
    """Actor e-mail (substring), action (prefix, e.g. ``workflow.``), asset id, date range (UTC)."""

    actor: str | None = None
    action: str | None = None
    asset_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Read ``actor``, ``action``, ``asset``, ``from`` and ``to`` (dates); bad values are a 422."""
    raw_asset = (args.get("asset") or "").strip()
    # isascii: "²".isdigit() is true but int() refuses it.
    if raw_asset and not (raw_asset.isascii() and raw_asset.isdigit() and int(raw_asset) <= MAX_ID):
        raise ValidationError("asset must be an asset number")
    since = parse_expiry(args.get("from"))
    until = parse_expiry(args.get("to"))
    if since is not None and len((args.get("from") or "").strip()) == 10:
        since = since - timedelta(days=1) + timedelta(seconds=1)  # a "from" date means its start
    return AuditFilters(
        actor=(args.get("actor") or "").strip().lower() or None,
        action=(args.get("action") or "").strip() or None,
        asset_id=int(raw_asset) if raw_asset else None,
        since=since,
        until=until,
    )


def _query(filters: AuditFilters) -> Select[Any]:
    where: list[ColumnElement[bool]] = []
    if filters.actor:
        where.append(AuditEvent.actor_id.in_(select(User.id).where(User.email.contains(filters.actor))))
    if filters.action:
        where.append(AuditEvent.action.startswith(filters.action))
    if filters.asset_id is not None:
        where.append(AuditEvent.asset_id == filters.asset_id)
    if filters.since is not None:
        where.append(AuditEvent.at >= filters.since)
    if filters.until is not None:
        where.append(AuditEvent.at <= filters.until)
    return select(AuditEvent).where(*where)


def search_events(
    session: Session, viewer: Viewer, filters: AuditFilters, *, page: int = 1, size: int = 100
) -> Page[AuditEvent]:
    """Matching events, newest first."""
    require_role(viewer, Role.MANAGER)
    query = _query(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * size).limit(size)
    ).all()
    return Page(list(rows), total, page, size)


def export_csv(session: Session, viewer: Viewer, filters: AuditFilters) -> Iterator[str]:
    """Every matching event as CSV lines (header first), oldest first, streamed in chunks."""
    require_role(viewer, Role.MANAGER)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    query = _query(filters).order_by(AuditEvent.at, AuditEvent.id).execution_options(yield_per=500)
    for event in session.scalars(query):
        detail = "; ".join(f"{k}={v}" for k, v in sorted((event.detail or {}).items()) if v is not None)
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                spreadsheet_text(event.actor.email if event.actor else ""),  # "=x@y.z" is a valid address
                event.action,
                event.asset_id or "",
                spreadsheet_text(event.target or ""),
                event.ip or "",
                spreadsheet_text(detail),
            ]
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
