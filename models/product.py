"""Products, keyed by article number."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Product(Base):
    """A sellable variant from the PIM; ``model_code`` groups the variants of one product model."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_number: Mapped[str] = mapped_column(String(64), unique=True)
    model_code: Mapped[str | None] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(300))
    variant: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    product_type: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Names and descriptions in other languages, by language code: {"de": {"name": ..., "description": ...}}.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    weight: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Product {self.article_number}>"
