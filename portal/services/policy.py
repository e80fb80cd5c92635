"""Who may see and change what. Every query and file endpoint asks this one module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, true

from models import Asset, AssetStatus, Role, Visibility
from models.base import utcnow
from portal.errors import AuthenticationRequired, NotFound, PermissionDenied


@dataclass(frozen=True)
class Viewer:
    """The person (or token) asking; ``role`` None means an anonymous visitor."""

    user_id: int | None
    role: Role | None

    @property
    def is_authenticated(self) -> bool:
        """True for logged-in users."""
        return self.role is not None

    def at_least(self, role: Role) -> bool:
        """True when the viewer has at least ``role``."""
        return self.role is not None and self.role.at_least(role)


ANONYMOUS = Viewer(None, None)
# Staff see everything that exists, in any state; partners and the public only what was released to them.
STAFF = Role.EDITOR
PARTNER_VISIBILITIES = (Visibility.PARTNER.value, Visibility.PUBLIC.value)


def visible_assets(viewer: Viewer, now: datetime | None = None) -> ColumnElement[bool]:
    """A SQL condition selecting the assets this viewer may see (used in every listing)."""
    if viewer.at_least(STAFF):
        return true()
    moment = now or utcnow()
    released = and_(
        Asset.status == AssetStatus.APPROVED.value,
        or_(Asset.rights_expire_at.is_(None), Asset.rights_expire_at > moment),
    )
    if viewer.role == Role.PARTNER:
        return and_(released, Asset.visibility.in_(PARTNER_VISIBILITIES))
    if viewer.role is None:
        return and_(released, Asset.visibility == Visibility.PUBLIC.value)
    return false()


def can_view(viewer: Viewer, asset: Asset, now: datetime | None = None) -> bool:
    """The Python twin of ``visible_assets`` for one loaded asset."""
    if viewer.at_least(STAFF):
        return True
    moment = now or utcnow()
    if asset.status != AssetStatus.APPROVED.value:
        return False
    if asset.rights_expire_at is not None and asset.rights_expire_at <= moment:
        return False
    if viewer.role == Role.PARTNER:
        return asset.visibility in PARTNER_VISIBILITIES
    return asset.visibility == Visibility.PUBLIC.value


def require_view(viewer: Viewer, asset: Asset | None) -> Asset:
    """The asset when visible; otherwise NotFound (never reveal that a hidden id exists)."""
    if asset is None or not can_view(viewer, asset):
        raise NotFound("asset not found")
    return asset


def require_role(viewer: Viewer, role: Role) -> None:
    """Raise unless the viewer has at least ``role``."""
    if not viewer.is_authenticated:
        raise AuthenticationRequired("please log in")
    if not viewer.at_least(role):
        raise PermissionDenied(f"this needs the {role.value} role or higher")


def can_edit(viewer: Viewer) -> bool:
    """Editors and above may upload, edit metadata and link products."""
    return viewer.at_least(Role.EDITOR)
