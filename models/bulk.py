"""Bulk edits: one request changing many assets, run as a job in chunks, with per-asset results (and the
values before and after, which the undo job restores)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class BulkJob(Base):
    """The request (selection and changes), its progress and outcome counts; an undo is a job too."""

    __tablename__ = "bulk_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # queued | running | done | failed | undoing | undone
    status: Mapped[str] = mapped_column(String(20), default="queued")
    kind: Mapped[str] = mapped_column(String(10), default="edit")  # edit | undo
    undo_of_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_job.id", ondelete="SET NULL"))
    source: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"kind": "ids|search|collection", ...}
    asset_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ids": [...]}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # {"changed": n, "unchanged": n, "refused": n, "reasons": {"<reason>": n}}
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None]
    # Kept from the first bulk API (issue 11); per-asset outcomes now live in ``bulk_job_item``.
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undo: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class BulkJobItem(Base):
    """What a bulk job did to one asset: changed (with the values before and after), unchanged, or
    refused (with the reason). One row per (job, asset): a job run twice never applies twice."""

    __tablename__ = "bulk_job_item"
    __table_args__ = (
        UniqueConstraint("job_id", "asset_id"),
        Index("ix_bulk_job_item_job_outcome", "job_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_job.id", ondelete="CASCADE"))
    asset_id: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(10))  # changed | unchanged | refused
    status: Mapped[int | None]  # HTTP-like status of a refusal (403, 404, 409, 422)
    reason: Mapped[str | None] = mapped_column(String(500))
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
