"""Durable bookkeeping: the outbox of work to do after commit, and failed logins for rate limiting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class OutboxItem(Base):
    """Work recorded in the same transaction as the change that causes it, drained by jobs.

    A down worker or Redis delays the work but never drops it: pending rows are re-dispatched.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    # A delayed item (a webhook retry with backoff) is dispatched by the sweep once this time has passed.
    not_before: Mapped[datetime | None]


class LoginFailure(Base):
    """A failed login, counted per e-mail and per client address to slow down password guessing."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
