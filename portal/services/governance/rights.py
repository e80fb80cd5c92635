"""Visibility and rights of an asset: who it is for, how it may be used, until when.

Expiry hides an asset from partners and the public at the expiry moment by itself: every listing, the
search query and every download compare ``rights_expire_at`` with the clock. The expiry job only brings
the search documents and the managers' attention up to date (``expire_due``, ``expiring_soon``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models import Asset, AssetStatus, Role, Visibility
from models.base import utcnow
from portal.errors import ValidationError
from portal.services.catalog.assets import get_asset
from portal.services.distribution import webhooks
from portal.services.governance import audit
from portal.services.governance.fields import Field, require_write
from portal.services.governance.policy import Viewer, require_edit, require_role
from portal.services.search import sync as search_sync

MAX_NOTE = 5_000
WARN_DAYS = 14
_FIELDS = ("visibility", "rights_note", "usage_restrictions", "rights_expire_at")


@dataclass(frozen=True)
class RightsEdit:
    """Validated new visibility and rights values; only the fields named in ``given`` are written (a field
    the form or request does not carry stays untouched)."""

    visibility: str | None
    rights_note: str | None
    usage_restrictions: str | None
    rights_expire_at: datetime | None
    given: frozenset[str] = frozenset(_FIELDS)


def _text(name: str, value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(f"{name} is longer than {MAX_NOTE} characters")
    return text or None


def parse_expiry(raw: str | None) -> datetime | None:
    """An expiry from a form or JSON: ISO date (end of that day, UTC) or date-time (naive = UTC)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1) - timedelta(seconds=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"not a date or date-time: {raw!r} (use 2026-12-31 or 2026-12-31T18:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_rights_form(form: Mapping[str, str]) -> RightsEdit:
    """Validate ``visibility``, ``rights_note``, ``usage_restrictions`` and ``rights_expire_at``; the
    fields the form does not send stay untouched."""
    given = frozenset(name for name in _FIELDS if name in form)
    visibility = (form.get("visibility") or "").strip().lower() if "visibility" in given else None
    if visibility is not None and visibility not in {v.value for v in Visibility}:
        raise ValidationError(f"visibility must be one of {', '.join(v.value for v in Visibility)}")
    return RightsEdit(
        visibility=visibility,
        rights_note=_text("the rights note", form.get("rights_note")),
        usage_restrictions=_text("the usage restrictions", form.get("usage_restrictions")),
        rights_expire_at=parse_expiry(form.get("rights_expire_at")),
        given=given,
    )


def update_rights(
    session: Session, viewer: Viewer, asset_id: int, edit: RightsEdit, *, ip: str | None = None
) -> list[str]:
    """Apply visibility and rights (editors and above); returns the changed fields, audited and synced."""
    require_role(viewer, Role.EDITOR)
    asset = get_asset(session, viewer, asset_id)
    require_edit(viewer, asset)
    changed: dict[str, str | None] = {}
    for name in _FIELDS:
        new = getattr(edit, name)
        if name not in edit.given or (name == "visibility" and new is None):
            continue
        if getattr(asset, name) != new:
            if name == "visibility":
                require_write(viewer, asset, Field.VISIBILITY, new_visibility=new)
            else:
                require_write(viewer, asset, Field.RIGHTS)
            setattr(asset, name, new)
            changed[name] = new.isoformat() if isinstance(new, datetime) else new
    if "rights_expire_at" in changed:
        # A new expiry is a new event for the expiry job.
        asset.expiry_handled_at = None
    if changed:
        audit.record(session, "asset.rights", actor_id=viewer.user_id, asset_id=asset.id, ip=ip, **changed)
        search_sync.assets_changed(session, [asset.id])
        webhooks.emit_asset_event(session, "asset.updated", asset.id)
    return list(changed)


def expire_due(session: Session, now: datetime | None = None) -> list[int]:
    """Assets whose rights expired since they were last handled: audit each once and reindex them.
    Safe to run twice (the second run finds nothing)."""
    moment = now or utcnow()
    due = session.scalars(
        select(Asset).where(
            Asset.rights_expire_at.is_not(None),
            Asset.rights_expire_at <= moment,
            or_(Asset.expiry_handled_at.is_(None), Asset.expiry_handled_at < Asset.rights_expire_at),
        )
    ).all()
    for asset in due:
        asset.expiry_handled_at = moment
        audit.record(
            session,
            "asset.rights_expired",
            actor_id=None,
            asset_id=asset.id,
            expired_at=asset.rights_expire_at.isoformat() if asset.rights_expire_at else None,
        )
    ids = [a.id for a in due]
    search_sync.assets_changed(session, ids)
    for asset_id in ids:
        webhooks.emit_asset_event(session, "asset.expired", asset_id)
    return ids


def expiring_soon(session: Session, days: int = WARN_DAYS, now: datetime | None = None) -> list[Asset]:
    """Assets (not archived) whose rights expire within ``days``, soonest first, for the dashboard."""
    moment = now or utcnow()
    return list(
        session.scalars(
            select(Asset)
            .where(
                and_(
                    Asset.rights_expire_at.is_not(None),
                    Asset.rights_expire_at > moment,
                    Asset.rights_expire_at <= moment + timedelta(days=days),
                    Asset.status != AssetStatus.ARCHIVED.value,
                )
            )
            .order_by(Asset.rights_expire_at, Asset.id)
        ).all()
    )


def recently_expired(session: Session, days: int = WARN_DAYS, now: datetime | None = None) -> list[Asset]:
    """Assets whose rights expired in the last ``days`` (hidden from partners and the public now)."""
    moment = now or utcnow()
    return list(
        session.scalars(
            select(Asset)
            .where(Asset.rights_expire_at <= moment, Asset.rights_expire_at > moment - timedelta(days=days))
            .order_by(Asset.rights_expire_at.desc(), Asset.id)
        ).all()
    )
