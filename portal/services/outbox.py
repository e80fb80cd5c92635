"""The write side of the outbox: services record work here, in the transaction that causes it.

A recorded item names a job by its stable task name and carries ids and plain values. Nothing runs here:
``portal.jobs.outbox`` dispatches the item to the job queue after the transaction commits and runs it,
so services never import job modules (imports flow ``portal.jobs -> portal.services``, never back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import OutboxItem

_PENDING_KEY = "assetport_outbox"
# An item that failed this many times is dead-lettered: never dispatched again, listed for admins.
MAX_ATTEMPTS = 5


def record(
    session: Session, task_name: str, *, not_before: datetime | None = None, **args: Any
) -> OutboxItem:
    """Add a unit of work to the current transaction; it is dispatched only if the transaction commits.

    With ``not_before`` in the future the item is not dispatched at commit but by the first sweep after
    that time (delayed retries without a scheduler).
    """
    item = OutboxItem(task=task_name, args=args, not_before=not_before)
    session.add(item)
    session.info.setdefault(_PENDING_KEY, []).append(item)
    return item


def take_recorded(session: Session) -> list[OutboxItem]:
    """The items recorded in this session since the last call (the dispatcher takes them after commit)."""
    items: list[OutboxItem] = session.info.pop(_PENDING_KEY, [])
    return items
