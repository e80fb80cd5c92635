"""Cached text embeddings: the vector of one text under one text model, so an index sync embeds each
distinct document text once (``portal.services.search.text_cache``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class TextEmbedding(Base):
    """One text's vector under one model (float32 bytes), keyed by a hash of (model id, text)."""

    __tablename__ = "text_embedding"
    __table_args__ = (Index("ix_text_embedding_used_at", "used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200))
    dim: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
