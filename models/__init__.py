"""SQLAlchemy 2.0 entities, enums, engine/session helpers and Alembic migrations (no Flask here)."""

from models.api_token import ApiToken
from models.asset import Asset, AssetProduct, AssetTag, AssetVersion, Rendition
from models.audit import AuditEvent
from models.base import Base
from models.brand import (
    BrandSection,
    BrandSettings,
    Collection,
    CollectionItem,
    CollectionShare,
    ShareLink,
    ShareLinkAccess,
)
from models.bulk import BulkJob, BulkJobItem
from models.custom_field import CustomField
from models.db import Database
from models.distribution import (
    Package,
    PackageFile,
    PackageLine,
    RenditionPreset,
    WebhookDelivery,
    WebhookSubscription,
)
from models.enums import AssetStatus, LinkSource, MediaKind, PreviewState, Role, Visibility
from models.jobs import LoginFailure, OutboxItem
from models.notification import Notification, NotificationKey, NotificationPreference
from models.product import Product
from models.saved_search import SavedSearch
from models.synonym import SynonymRule
from models.text_embedding import TextEmbedding
from models.user import User
from models.vision import AssetEmbedding, DuplicateFlag, TagSuggestion, TagVocabulary

__all__ = [
    "ApiToken",
    "Asset",
    "AssetEmbedding",
    "AssetProduct",
    "AssetStatus",
    "AssetTag",
    "AssetVersion",
    "AuditEvent",
    "Base",
    "BrandSection",
    "BrandSettings",
    "BulkJob",
    "BulkJobItem",
    "Collection",
    "CollectionItem",
    "CollectionShare",
    "CustomField",
    "Database",
    "DuplicateFlag",
    "LinkSource",
    "LoginFailure",
    "MediaKind",
    "Notification",
    "NotificationKey",
    "NotificationPreference",
    "OutboxItem",
    "Package",
    "PackageFile",
    "PackageLine",
    "PreviewState",
    "Product",
    "Rendition",
    "RenditionPreset",
    "Role",
    "SavedSearch",
    "ShareLink",
    "ShareLinkAccess",
    "SynonymRule",
    "TagSuggestion",
    "TagVocabulary",
    "TextEmbedding",
    "User",
    "Visibility",
    "WebhookDelivery",
    "WebhookSubscription",
]
