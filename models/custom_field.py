"""Admin-defined metadata fields (the custom metadata schema); the values live on ``Asset.custom_fields``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class CustomField(Base):
    """One field definition: its key (the name values are stored and indexed under), type, labels per
    language, the options of a select (controlled vocabulary, labels per language) and its rules."""

    __tablename__ = "custom_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    # text | long_text | number | date | boolean | select | multi_select
    type: Mapped[str] = mapped_column(String(20))
    # language -> label, e.g. {"en": "Season", "de": "Saison"}
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # For selects: {"options": [{"value": "summer", "labels": {"en": "Summer"}}, ...]}
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    required: Mapped[bool] = mapped_column(default=False)
    # "all" (shown to partners and the public on what they may see) or "staff" (editors and above only)
    audience: Mapped[str] = mapped_column(String(10), default="all")
    searchable: Mapped[bool] = mapped_column(default=False)
    facet: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<CustomField {self.key} {self.type}>"
