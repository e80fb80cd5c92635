"""Field-level write rules: who may change which part of an asset, in which state.

Every write path (web forms, the JSON API, uploads of known bytes, tag decisions, merges) asks this module,
so a rule holds everywhere at once. The rules:

- Only editors and above write anything; an archived asset is frozen for everyone below manager, for every
  field, until a manager restores it.
- A *released* asset (an approved version is out) that partners or the public can see is what leaves the
  building. An editor may not change what reaches them: title, description, tags, product links, rights,
  expiry, or a wider visibility. Such a change needs a manager (or the editor withdraws the asset first by
  narrowing its visibility to internal, which is always allowed). An editor's *new version* of a released
  asset is fine: it goes to review, and partners and the public keep the approved version until a manager
  approves the new one.
- Widening the visibility of a released asset, and changing its rights or expiry, need a manager even while
  the asset is internal (it would reach partners or the public at once).
"""

from __future__ import annotations

from enum import StrEnum

from models import Asset, AssetStatus, Role, Visibility
from portal.errors import PermissionDenied
from portal.services.governance.policy import Viewer, is_released, require_role


class Field(StrEnum):
    """The parts of an asset a write can touch."""

    METADATA = "metadata"  # title, description
    TAGS = "tags"
    LINKS = "links"  # product links
    VISIBILITY = "visibility"
    RIGHTS = "rights"  # rights note, usage restrictions, expiry
    VERSION = "version"  # a new (or restored) version


_WIDTH = {Visibility.INTERNAL.value: 0, Visibility.PARTNER.value: 1, Visibility.PUBLIC.value: 2}


def write_refusal(
    viewer: Viewer, asset: Asset, field: Field, new_visibility: str | None = None
) -> str | None:
    """Why ``viewer`` may not write ``field`` of ``asset`` (None: allowed). Roles below editor are refused
    too; callers that must tell "log in" from "forbidden" call ``require_write``."""
    if not viewer.at_least(Role.EDITOR):
        return "this needs the editor role or higher"
    if viewer.at_least(Role.MANAGER):
        return None
    if asset.status == AssetStatus.ARCHIVED.value:
        return "this asset is archived; a manager must restore it before it can change"
    if not is_released(asset) or field is Field.VERSION:
        return None
    if field is Field.VISIBILITY:
        if new_visibility is not None and _WIDTH.get(new_visibility, 2) <= _WIDTH.get(asset.visibility, 2):
            return None  # narrowing (withdrawing) a released asset is always allowed
        return "widening the visibility of a released asset needs a manager"
    if field is Field.RIGHTS:
        return "changing the rights or expiry of a released asset needs a manager"
    if asset.visibility != Visibility.INTERNAL.value:
        return (
            f"this asset is released to {asset.visibility} viewers; a manager must make this change "
            "(or narrow its visibility to internal first)"
        )
    return None


def may_write(viewer: Viewer, asset: Asset, field: Field, new_visibility: str | None = None) -> bool:
    """True when ``viewer`` may write ``field`` of ``asset`` (for pages that show or hide a control)."""
    return write_refusal(viewer, asset, field, new_visibility) is None


def require_write(viewer: Viewer, asset: Asset, field: Field, new_visibility: str | None = None) -> None:
    """Raise AuthenticationRequired/PermissionDenied unless ``viewer`` may write ``field`` of ``asset``."""
    require_role(viewer, Role.EDITOR)
    reason = write_refusal(viewer, asset, field, new_visibility)
    if reason is not None:
        raise PermissionDenied(reason)


def viewer_for(user_id: int | None, role: Role | None) -> Viewer:
    """A viewer for service calls made on a user's behalf (uploads); no user means the system itself."""
    return Viewer(user_id, Role.ADMIN if user_id is None else role)
