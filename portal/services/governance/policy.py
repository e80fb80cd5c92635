"""Who may see and change what. Every query and file endpoint asks this one module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, true

from indexer.documents import public_status as public_status_of
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


def released() -> ColumnElement[bool]:
    """Assets with an approved version out: approved, or a newer version in review while the last
    approved one stays what partners and the public get (``indexer.documents.public_status``)."""
    return or_(
        Asset.status == AssetStatus.APPROVED.value,
        and_(Asset.status == AssetStatus.IN_REVIEW.value, Asset.approved_version_id.is_not(None)),
    )


def is_released(asset: Asset) -> bool:
    """The Python twin of ``released``: the index's ``public_status`` rule, applied to one asset."""
    return public_status_of(asset.status, asset.approved_version_id) == AssetStatus.APPROVED.value


def visible_assets(viewer: Viewer, now: datetime | None = None) -> ColumnElement[bool]:
    """A SQL condition selecting the assets this viewer may see (used in every listing)."""
    if viewer.at_least(STAFF):
        return true()
    moment = now or utcnow()
    # Expiry is compared with the clock here (and in the search query), so it hides an asset at once.
    out = and_(released(), or_(Asset.rights_expire_at.is_(None), Asset.rights_expire_at > moment))
    if viewer.role == Role.PARTNER:
        return and_(out, Asset.visibility.in_(PARTNER_VISIBILITIES))
    if viewer.role is None:
        return and_(out, Asset.visibility == Visibility.PUBLIC.value)
    return false()


def in_rights(asset: Asset, now: datetime | None = None) -> bool:
    """Whether the asset's usage rights still run at ``now`` (no expiry date: they do)."""
    return asset.rights_expire_at is None or asset.rights_expire_at > (now or utcnow())


def may_know(viewer: Viewer, asset: Asset) -> bool:
    """Whether the viewer may learn that the asset exists at all: its visibility, not its state.

    Package reports use it to say "not approved" or "expired" instead of "missing" for assets the
    viewer's audience would get once released."""
    if viewer.at_least(STAFF):
        return True
    if viewer.role == Role.PARTNER:
        return asset.visibility in PARTNER_VISIBILITIES
    return asset.visibility == Visibility.PUBLIC.value


def can_view(viewer: Viewer, asset: Asset, now: datetime | None = None) -> bool:
    """The Python twin of ``visible_assets`` for one loaded asset."""
    if viewer.at_least(STAFF):
        return True
    return is_released(asset) and in_rights(asset, now) and may_know(viewer, asset)


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


def can_edit(viewer: Viewer, asset: Asset | None = None) -> bool:
    """Editors and above may upload, edit metadata, rights and visibility, link products, add versions;
    an archived asset is frozen until a manager restores it."""
    if not viewer.at_least(Role.EDITOR):
        return False
    return asset is None or asset.status != AssetStatus.ARCHIVED.value or viewer.at_least(Role.MANAGER)


def can_download(viewer: Viewer, asset: Asset, preset: str, now: datetime | None = None) -> bool:
    """Whether the viewer may fetch this asset's bytes in ``preset`` (original, thumb, preview or a
    channel rendition): staff always; partners and the public when they may see the asset and an
    approved version exists to serve. Every file, rendition, package and share-link download asks this."""
    if not preset or not can_view(viewer, asset, now):
        return False
    return served_version_id(viewer, asset) is not None


def require_download(viewer: Viewer, asset: Asset | None, preset: str) -> Asset:
    """The asset when the viewer may download it in ``preset``; NotFound otherwise (no id probing)."""
    if asset is None or not can_download(viewer, asset, preset):
        raise NotFound("asset not found")
    return asset


def require_edit(viewer: Viewer, asset: Asset) -> None:
    """Raise unless the viewer may change this asset (the caller checked visibility already)."""
    require_role(viewer, Role.EDITOR)
    if not can_edit(viewer, asset):
        raise PermissionDenied("this asset is archived; a manager must restore it before it can change")


def served_version_id(viewer: Viewer, asset: Asset) -> int | None:
    """The version whose bytes this viewer gets: staff work on the current version; partners and the
    public get the last approved one, so a new upload in review never leaks before it is approved."""
    if viewer.at_least(STAFF):
        return asset.current_version_id
    return asset.approved_version_id or asset.current_version_id


def public_status(viewer: Viewer, asset: Asset) -> str:
    """The status shown to this viewer: partners and the public see a released asset as approved."""
    if viewer.at_least(STAFF) or not is_released(asset):
        return asset.status
    return AssetStatus.APPROVED.value
