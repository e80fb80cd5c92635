"""SQLAlchemy 2.0 entities, enums, engine/session helpers and Alembic migrations (no Flask here)."""

from models.api_token import ApiToken
from models.asset import Asset, AssetProduct, AssetTag, AssetVersion, Rendition
from models.audit import AuditEvent
from models.base import Base
from models.db import Database
from models.enums import AssetStatus, LinkSource, MediaKind, PreviewState, Role, Visibility
from models.jobs import LoginFailure, OutboxItem
from models.product import Product
from models.saved_search import SavedSearch
from models.user import User

__all__ = [
    "ApiToken",
    "Asset",
    "AssetProduct",
    "AssetStatus",
    "AssetTag",
    "AssetVersion",
    "AuditEvent",
    "Base",
    "Database",
    "LinkSource",
    "LoginFailure",
    "MediaKind",
    "OutboxItem",
    "PreviewState",
    "Product",
    "Rendition",
    "Role",
    "SavedSearch",
    "User",
    "Visibility",
]
