"""Bulk edits: one request changing many assets, run as a job, with per-asset results and an undo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class BulkJob(Base):
    """The request (asset ids and changes), progress, per-asset results and what undo restores."""

    __tablename__ = "bulk_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | undone
    asset_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ids": [...]}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"<asset id>": {...}}
    undo: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"<asset id>": snapshot before}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
