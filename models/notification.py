"""Notifications: what a user is told in the portal and by e-mail, and their per-kind preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Notification(Base):
    """One message to one recipient: a user (in-app list and/or e-mail) or an outside address (e-mail only).

    ``email_status``: ``none`` (no mail wanted), ``pending`` (a job sends it), ``sent``, ``failed`` (retries
    used up) or ``skipped`` (no SMTP server configured).
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "in_app"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(1000))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    in_app: Mapped[bool] = mapped_column(default=True)
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    email_status: Mapped[str] = mapped_column(String(10), default="none")
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_error: Mapped[str | None] = mapped_column(Text)
    email_sent_at: Mapped[datetime | None]
    # How many events this one stands for (a burst of submissions is folded into one notice and one mail).
    grouped: Mapped[int] = mapped_column(default=1)


class NotificationPreference(Base):
    """Whether a user wants one kind of notification in the portal and by e-mail (no row: both on)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)


class NotificationKey(Base):
    """An event already announced (``rights:<asset>:<expiry>:<user>``): makes a periodic scan idempotent."""

    __tablename__ = "notification_key"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
