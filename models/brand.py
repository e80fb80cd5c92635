"""The public brand hub (settings, sections, curated collections) and share links with their access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

DEFAULT_PUBLIC_PRESETS = ["web", "print"]


class BrandSettings(Base):
    """The hub's look and rules; a singleton (the row with id 1)."""

    __tablename__ = "brand_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="Our brand")
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_mime: Mapped[str | None] = mapped_column(String(100))
    # A #rrggbb colour, validated by the service (it ends up in a style sheet).
    colour: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    intro: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    # Bumped whenever the terms text changes, so visitors accept the new text once more.
    terms_version: Mapped[int] = mapped_column(default=1)
    public_presets: Mapped[list[str]] = mapped_column(default=lambda: list(DEFAULT_PUBLIC_PRESETS))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Collection(Base):
    """An ordered list of assets (a lightbox): owned by the user who made it, shared with users or roles,
    used by hub sections and share links. Names are unique per owner."""

    __tablename__ = "collection"
    __table_args__ = (UniqueConstraint("created_by_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The owner (None once the owner's account is gone: admins and the shares still reach it).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection",
        cascade="all, delete-orphan",
        order_by="(CollectionItem.position, CollectionItem.id)",
    )
    shares: Mapped[list[CollectionShare]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="CollectionShare.id"
    )


class CollectionShare(Base):
    """A collection shared with one user or with a role (that role and every higher one), to view or edit."""

    __tablename__ = "collection_share"
    __table_args__ = (
        UniqueConstraint("collection_id", "user_id"),
        UniqueConstraint("collection_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    permission: Mapped[str] = mapped_column(String(10), default="view")  # "view" | "edit"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="shares")


class CollectionItem(Base):
    """One asset in a collection, at a position."""

    __tablename__ = "collection_item"
    __table_args__ = (UniqueConstraint("collection_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[Collection] = relationship(back_populates="items")


class BrandSection(Base):
    """A block on the hub's home page: a curated collection or a saved search (query string)."""

    __tablename__ = "brand_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))  # "collection" | "saved_search"
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    # For saved searches: the hub search's query string (``q=...&f.category=...``).
    query: Mapped[str] = mapped_column(String(4000), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    collection: Mapped[Collection | None] = relationship()


class ShareLink(Base):
    """A link for someone without an account: a selection, a collection or a search, with its rules."""

    __tablename__ = "share_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only the SHA-256 of the token is stored; the link itself is shown once, when it is made.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "selection" | "collection" | "search"
    # selection: {"asset_ids": [...]}; collection: {"collection_id": n}; search: {"query": "q=..."}
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    title: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(String(300))
    allowed_presets: Mapped[list[str]] = mapped_column(default=list)
    download: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareLinkAccess(Base):
    """One view of a share link's page or one download through it."""

    __tablename__ = "share_link_access"
    __table_args__ = (Index("ix_share_link_access_link_at", "link_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_link.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))  # "view" | "download"
    asset_id: Mapped[int | None]
    preset: Mapped[str | None] = mapped_column(String(50))
    client_ip: Mapped[str | None] = mapped_column(String(64))
