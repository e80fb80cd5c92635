"""The managed synonym list of search (rules as written: ``a, b`` two-way, ``a => b`` one-way)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SynonymRule(Base):
    """One synonym rule, parsed by ``indexer.synonyms.parse_rule``."""

    __tablename__ = "synonym_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(2000), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
