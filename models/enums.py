"""Enumerations shared by the whole application (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """User roles, from most to least privileged."""

    ADMIN = "admin"
    MANAGER = "manager"
    EDITOR = "editor"
    PARTNER = "partner"

    @property
    def rank(self) -> int:
        """Higher means more privileged."""
        return {"admin": 4, "manager": 3, "editor": 2, "partner": 1}[self.value]

    def at_least(self, other: Role) -> bool:
        """True when this role has at least the privileges of ``other``."""
        return self.rank >= other.rank


class AssetStatus(StrEnum):
    """Approval workflow states."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"


class Visibility(StrEnum):
    """Who may see an approved asset."""

    INTERNAL = "internal"
    PARTNER = "partner"
    PUBLIC = "public"


class MediaKind(StrEnum):
    """Broad media type of an asset."""

    IMAGE = "image"
    DOCUMENT = "document"
    VIDEO = "video"
    AUDIO = "audio"
    VECTOR = "vector"


class LinkSource(StrEnum):
    """Where an asset-product link came from."""

    FILENAME = "filename"
    METADATA = "metadata"
    CSV = "csv"
    MANUAL = "manual"
    API = "api"


class PreviewState(StrEnum):
    """State of a version's thumbnail and preview."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    NONE = "none"
