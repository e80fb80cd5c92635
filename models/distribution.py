"""Distribution: rendition presets (channels), packages with their report and files, webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class RenditionPreset(Base):
    """A channel: how a delivered file is made (format, size, colour, metadata, file name)."""

    __tablename__ = "rendition_preset"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(10))  # JPEG | PNG | WEBP | TIFF
    max_edge: Mapped[int | None]  # None: full size
    dpi: Mapped[int | None]
    colour: Mapped[str] = mapped_column(String(10), default="srgb")  # srgb | keep | cmyk
    quality: Mapped[int] = mapped_column(default=85)
    background: Mapped[str] = mapped_column(String(7), default="#ffffff")
    keep_alpha: Mapped[bool] = mapped_column(default=False)
    write_metadata: Mapped[bool] = mapped_column(default=True)
    filename_template: Mapped[str] = mapped_column(String(300), default="{title}_{preset}.{ext}")
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Package(Base):
    """A ZIP or link table built in the background from a product list, a selection or a search."""

    __tablename__ = "package"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # The role the package was asked with: the job checks permissions as that viewer.
    viewer_role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10), default="zip")  # zip | links
    presets: Mapped[list[str]] = mapped_column(default=list)
    template: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20), default="list")  # list | selection | search
    lines: Mapped[list[str]] = mapped_column(default=list)  # input lines as given
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done|failed
    files_total: Mapped[int] = mapped_column(default=0)
    files_done: Mapped[int] = mapped_column(default=0)
    bytes_written: Mapped[int] = mapped_column(BigInteger, default=0)
    file_path: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]

    report: Mapped[list[PackageLine]] = relationship(
        back_populates="package", cascade="all, delete-orphan", order_by="PackageLine.line_no"
    )
    files: Mapped[list[PackageFile]] = relationship(
        back_populates="package", cascade="all, delete-orphan", order_by="PackageFile.id"
    )


class PackageLine(Base):
    """The report for one input line: found, missing, ambiguous, not_approved or expired."""

    __tablename__ = "package_line"
    __table_args__ = (UniqueConstraint("package_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    input: Mapped[str] = mapped_column(String(300))
    article_number: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(500), default="")
    asset_ids: Mapped[list[str]] = mapped_column(default=list)
    files: Mapped[int] = mapped_column(default=0)

    package: Mapped[Package] = relationship(back_populates="report")


class PackageFile(Base):
    """One file of a package: which asset version in which preset, under which path in the ZIP."""

    __tablename__ = "package_file"
    __table_args__ = (Index("ix_package_file_package", "package_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    article_number: Mapped[str | None] = mapped_column(String(128))
    asset_id: Mapped[int]
    version_id: Mapped[int]
    preset: Mapped[str] = mapped_column(String(50))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)

    package: Mapped[Package] = relationship(back_populates="files")


class WebhookSubscription(Base):
    """An endpoint that wants signed JSON posts for some events."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    """One event for one subscription, with its attempts (retried with backoff) and last response."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    subscription: Mapped[WebhookSubscription] = relationship(back_populates="deliveries")
