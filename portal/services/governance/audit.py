"""Writing audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    asset_id: int | None = None,
    target: str | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (so it is kept exactly when the change is)."""
    event = AuditEvent(
        action=action, actor_id=actor_id, asset_id=asset_id, target=target, ip=ip, detail=detail
    )
    session.add(event)
    return event
