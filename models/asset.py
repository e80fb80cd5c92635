"""Assets, their versions (every file ever uploaded), renditions, product links and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.enums import AssetStatus, PreviewState, Visibility
from models.user import User


class Asset(Base):
    """A managed file with its descriptive metadata; the bytes live in its versions."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    original_filename: Mapped[str] = mapped_column(String(500))
    media_kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=AssetStatus.DRAFT.value, index=True)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.INTERNAL.value)
    rights_note: Mapped[str | None] = mapped_column(Text)
    rights_expire_at: Mapped[datetime | None] = mapped_column(index=True)
    # Governance (0006): how the asset may be used, the last reviewer's comment (a rejection reason),
    # when the workflow status last changed (the review queue's age), and up to which expiry moment the
    # expiry job has already reindexed it (so each expiry is handled once, whenever the job runs).
    usage_restrictions: Mapped[str | None] = mapped_column(Text)
    review_comment: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    expiry_handled_at: Mapped[datetime | None]
    creator: Mapped[str | None] = mapped_column(String(300))
    copyright: Mapped[str | None] = mapped_column(String(500))
    # The file-name key (stem minus view suffix) kept so a file that arrives before its product links
    # itself when the product is imported later.
    link_key: Mapped[str | None] = mapped_column(String(300), index=True)
    # Values of the admin-defined custom fields (0020), by field key: str, number, bool, ISO date or a
    # list of option values (``portal.services.catalog.custom_fields`` validates them).
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset_version.id", use_alter=True, ondelete="SET NULL")
    )
    # The version partners and the public get: the last approved one. A new upload to an approved asset
    # becomes current (and goes back to review) while this one stays what leaves the building.
    approved_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset_version.id", use_alter=True, ondelete="SET NULL")
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    current_version: Mapped[AssetVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )
    versions: Mapped[list[AssetVersion]] = relationship(
        back_populates="asset",
        foreign_keys="AssetVersion.asset_id",
        order_by="AssetVersion.number",
        cascade="all, delete-orphan",
    )
    links: Mapped[list[AssetProduct]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="AssetProduct.id"
    )
    tags: Mapped[list[AssetTag]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="AssetTag.tag"
    )
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])

    def __repr__(self) -> str:
        return f"<Asset {self.id} {self.title!r}>"


class AssetVersion(Base):
    """One uploaded file: its content hash (the blob key) and the technical metadata read from it."""

    __tablename__ = "asset_version"
    __table_args__ = (UniqueConstraint("asset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    # Unique: the same bytes are stored once and always belong to one asset.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    original_filename: Mapped[str] = mapped_column(String(500))
    mime_type: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(20))
    width: Mapped[int | None]
    height: Mapped[int | None]
    dpi_x: Mapped[float | None]
    dpi_y: Mapped[float | None]
    color_mode: Mapped[str | None] = mapped_column(String(20))
    bit_depth: Mapped[int | None]
    orientation: Mapped[str | None] = mapped_column(String(20))
    exif_orientation: Mapped[int | None]
    frames: Mapped[int] = mapped_column(default=1)
    pages: Mapped[int | None]
    has_alpha: Mapped[bool] = mapped_column(default=False)
    has_icc: Mapped[bool] = mapped_column(default=False)
    icc_description: Mapped[str | None] = mapped_column(String(300))
    # Descriptive fields read from EXIF/IPTC/XMP (title, keywords, creator, camera, ...).
    embedded: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # GPS and other personal data: kept, but never shown to partners or the public, never indexed.
    private: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Facts of the media kind (0013): duration, codecs, frame rate, sample rate, pages, raw sensor size, ...
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Searchable text of a document (PDF, Office), bounded in size; None for media without text.
    content: Mapped[str | None] = mapped_column(Text, deferred=True)
    # Renditions being built by jobs right now, by preset: the fraction done (0..1), e.g. {"video-720": 0.4}.
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    preview_state: Mapped[str] = mapped_column(String(20), default=PreviewState.PENDING.value)
    preview_error: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="versions", foreign_keys=[asset_id])
    renditions: Mapped[list[Rendition]] = relationship(back_populates="version", cascade="all, delete-orphan")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])

    @property
    def megapixels(self) -> float | None:
        """Pixel count in millions, when known."""
        if not self.width or not self.height:
            return None
        return round(self.width * self.height / 1_000_000, 2)


class Rendition(Base):
    """A derived file (thumbnail, preview, channel rendition) built once per (version, preset)."""

    __tablename__ = "rendition"
    __table_args__ = (UniqueConstraint("version_id", "preset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("asset_version.id", ondelete="CASCADE"))
    preset: Mapped[str] = mapped_column(String(50))
    # Fingerprint of the preset's settings, so a changed preset never serves a stale file.
    preset_hash: Mapped[str] = mapped_column(String(64), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    mime_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[AssetVersion] = relationship(back_populates="renditions")


class AssetProduct(Base):
    """Link between an asset and an article number, or a model code (covering every variant)."""

    __tablename__ = "asset_product"
    __table_args__ = (
        CheckConstraint("(article_number IS NULL) <> (model_code IS NULL)", name="one_key"),
        UniqueConstraint("asset_id", "article_number", "model_code"),
        Index("ix_asset_product_article", "article_number"),
        Index("ix_asset_product_model", "model_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    article_number: Mapped[str | None] = mapped_column(String(64))
    model_code: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="links")

    @property
    def key(self) -> str:
        """The article number or model code this link names."""
        return self.article_number or self.model_code or ""


class AssetTag(Base):
    """A tag on an asset: typed by hand or read from embedded keywords."""

    __tablename__ = "asset_tag"
    __table_args__ = (UniqueConstraint("asset_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(20), default="manual")

    asset: Mapped[Asset] = relationship(back_populates="tags")
