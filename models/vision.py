"""Vision data: image embeddings per version and model, the tag vocabulary, tag suggestions and
near-duplicate flags."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SuggestionState(StrEnum):
    """What a manager decided about a suggested tag."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class DuplicateState(StrEnum):
    """What became of a near-duplicate flag."""

    OPEN = "open"
    MERGED = "merged"
    KEPT = "kept"


class AssetEmbedding(Base):
    """The image vector of one version under one model (float32 bytes, L2-normalised)."""

    __tablename__ = "asset_embedding"
    __table_args__ = (
        UniqueConstraint("version_id", "model_id"),
        Index("ix_asset_embedding_model_asset", "model_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("asset_version.id", ondelete="CASCADE"))
    model_id: Mapped[str] = mapped_column(String(200))
    dim: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def array(self) -> NDArray[np.float32]:
        """The stored vector as a numpy array."""
        return np.frombuffer(self.vector, dtype=np.float32).copy()


class TagVocabulary(Base):
    """A tag the models may suggest: its prompts (CLIP prompt ensemble) and its score threshold."""

    __tablename__ = "tag_vocabulary"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    group: Mapped[str] = mapped_column(String(50), default="")
    prompts: Mapped[list[str]] = mapped_column(default=list)
    threshold: Mapped[float] = mapped_column(Float, default=0.25)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TagSuggestion(Base):
    """A tag a model suggested for an asset, with its score, until a manager accepts or rejects it."""

    __tablename__ = "tag_suggestion"
    __table_args__ = (UniqueConstraint("asset_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    model_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default=SuggestionState.PENDING.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DuplicateFlag(Base):
    """An asset whose image is very close to an older one: merge it in as a version, or keep both."""

    __tablename__ = "duplicate_flag"
    __table_args__ = (UniqueConstraint("asset_id", "similar_asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    similar_asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    model_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default=DuplicateState.OPEN.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
