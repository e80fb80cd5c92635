"""The approval workflow: every status change of an asset goes through ``transition``.

The rules live in one table (``TRANSITIONS``). Each transition writes an audit event with the actor,
the comment and the time, and marks the asset's search document stale in the same transaction (outbox),
so the index follows within moments and never misses a change. An illegal transition is a Conflict (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import Asset, AssetProduct, AssetStatus, Database, Product, Role, User
from models.base import utcnow
from portal.errors import Conflict, PermissionDenied, PortalError, ValidationError
from portal.services.catalog import variants
from portal.services.catalog.assets import get_asset
from portal.services.catalog.custom_values import require_complete
from portal.services.distribution import renditions, webhooks
from portal.services.governance import audit
from portal.services.governance.policy import Viewer, require_edit, require_role
from portal.services.notify import events as notify_events
from portal.services.paging import MAX_ID, Page
from portal.services.search import sync as search_sync

MAX_COMMENT = 2000
MAX_AGE_DAYS = 36_500  # a century; more would overflow date arithmetic
S = AssetStatus


@dataclass(frozen=True)
class Transition:
    """One workflow action: the states it may start from, where it leads, who may do it."""

    action: str
    sources: tuple[AssetStatus, ...]
    target: AssetStatus
    role: Role
    needs_comment: bool = False


# The whole workflow: draft -> in_review -> approved | rejected; rejected -> draft;
# approved -> archived; archived -> approved (restore).
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", (S.DRAFT,), S.IN_REVIEW, Role.EDITOR),
        Transition("approve", (S.IN_REVIEW,), S.APPROVED, Role.MANAGER),
        Transition("reject", (S.IN_REVIEW,), S.REJECTED, Role.MANAGER, needs_comment=True),
        Transition("reopen", (S.REJECTED,), S.DRAFT, Role.EDITOR),
        Transition("archive", (S.APPROVED,), S.ARCHIVED, Role.MANAGER),
        Transition("restore", (S.ARCHIVED,), S.APPROVED, Role.MANAGER),
    )
}


def allowed_actions(viewer: Viewer, asset: Asset) -> list[str]:
    """The actions this viewer may take on this asset now (for buttons)."""
    return [t.action for t in TRANSITIONS.values() if asset.status in t.sources and viewer.at_least(t.role)]


def clean_comment(comment: str | None) -> str | None:
    """A comment stripped of surrounding space (None when empty); too long is a ValidationError."""
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationError(f"the comment is longer than {MAX_COMMENT} characters")
    return text or None


def transition(
    session: Session,
    viewer: Viewer,
    asset_id: int,
    action: str,
    comment: str | None = None,
    *,
    ip: str | None = None,
) -> Asset:
    """Apply a workflow action to an asset and record it; raises ValidationError (unknown action, missing
    comment), NotFound (invisible asset), PermissionDenied (role) or Conflict (not allowed from here)."""
    rule = TRANSITIONS.get((action or "").strip().lower())
    if rule is None:
        raise ValidationError(f"unknown action {action!r}; use one of {', '.join(TRANSITIONS)}")
    asset = get_asset(session, viewer, asset_id)
    require_role(viewer, rule.role)
    if rule.action in ("submit", "reopen"):
        require_edit(viewer, asset)
    text = clean_comment(comment)
    if rule.needs_comment and not text:
        raise ValidationError(f"say why: {rule.action} needs a comment")
    if asset.status not in rule.sources:
        allowed = " or ".join(s.value.replace("_", " ") for s in rule.sources)
        raise Conflict(
            f"cannot {rule.action} asset {asset.id}: it is {asset.status.replace('_', ' ')}, "
            f"and {rule.action} needs it {allowed}"
        )
    if rule.action == "submit":
        # Every required custom field needs a value first; the message names the missing ones.
        require_complete(session, asset)
    before = asset.status
    _apply(asset, rule, text)
    audit.record(
        session,
        f"workflow.{rule.action}",
        actor_id=viewer.user_id,
        asset_id=asset.id,
        ip=ip,
        comment=text,
        **{"from": before, "to": rule.target.value},
    )
    search_sync.assets_changed(session, [asset.id])
    variants.status_changed(session, asset.id, before, asset.status)  # what its sibling variants inherit
    webhooks.emit_for_transition(session, rule.action, asset.id)
    if rule.action == "submit":
        notify_events.asset_submitted(session, asset, viewer.user_id)
    else:
        notify_events.asset_reviewed(session, asset, rule.action, text, viewer.user_id)
    if rule.action in ("approve", "restore") and asset.approved_version_id is not None:
        renditions.schedule_prebuilt(session, asset.approved_version_id)
    return asset


def _apply(asset: Asset, rule: Transition, comment: str | None) -> None:
    asset.status = rule.target.value
    asset.status_changed_at = utcnow()
    if rule.action == "approve":
        # What partners and the public get from now on.
        asset.approved_version_id = asset.current_version_id
    if rule.action in ("approve", "reject"):
        asset.review_comment = comment
    elif rule.action == "submit":
        asset.review_comment = None


def return_to_review(session: Session, asset: Asset, *, actor_id: int | None, reason: str) -> bool:
    """A new version of an approved asset sends it back to review; the approved version stays what
    leaves the building. Returns True when the status changed (recorded in the audit)."""
    if asset.status != S.APPROVED.value:
        return False
    before = asset.status
    asset.status = S.IN_REVIEW.value
    asset.status_changed_at = utcnow()
    audit.record(
        session,
        "workflow.resubmit",
        actor_id=actor_id,
        asset_id=asset.id,
        comment=reason,
        **{"from": before, "to": S.IN_REVIEW.value},
    )
    notify_events.asset_submitted(session, asset, actor_id)
    return True


@dataclass
class BulkOutcome:
    """What a bulk action did: ids changed, and the reason per id that was not."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def bulk_transition(
    db: Database,
    viewer: Viewer,
    asset_ids: Sequence[int],
    action: str,
    comment: str | None = None,
    *,
    ip: str | None = None,
) -> BulkOutcome:
    """Apply one action to many assets, each in its own transaction: one that is not allowed (already
    approved by someone else, say) is reported and the others go ahead."""
    if (action or "").strip().lower() not in TRANSITIONS:
        raise ValidationError(f"unknown action {action!r}; use one of {', '.join(TRANSITIONS)}")
    outcome = BulkOutcome()
    for asset_id in dict.fromkeys(asset_ids):
        try:
            with db.transaction() as session:
                transition(session, viewer, asset_id, action, comment, ip=ip)
        except PermissionDenied:
            raise
        except PortalError as exc:
            outcome.failed[asset_id] = exc.message
        else:
            outcome.done.append(asset_id)
    return outcome


# --- review queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """Filters of the review queue: uploader (user id), product (article number), category, age."""

    uploader_id: int | None = None
    article_number: str | None = None
    category: str | None = None
    min_age_days: int | None = None


def parse_queue_filters(args: dict[str, str]) -> QueueFilters:
    """Read ``uploader``, ``product``, ``category`` and ``age`` (days) from query values; bad -> 422."""

    def number(name: str, most: int = MAX_ID) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(f"{name} must be a whole number") from None
        if not 0 <= value <= most:
            raise ValidationError(f"{name} must be a whole number from 0 to {most}")
        return value

    return QueueFilters(
        uploader_id=number("uploader"),
        article_number=(args.get("product") or "").strip() or None,
        category=(args.get("category") or "").strip() or None,
        min_age_days=number("age", most=MAX_AGE_DAYS),
    )


def _queue_conditions(filters: QueueFilters, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Asset.status == S.IN_REVIEW.value]
    if filters.uploader_id is not None:
        where.append(Asset.uploaded_by_id == filters.uploader_id)
    if filters.article_number:
        where.append(
            Asset.id.in_(
                select(AssetProduct.asset_id).where(AssetProduct.article_number == filters.article_number)
            )
        )
    if filters.category:
        in_category = select(Product.article_number, Product.model_code).where(
            Product.category == filters.category
        )
        where.append(
            Asset.id.in_(
                select(AssetProduct.asset_id).where(
                    or_(
                        AssetProduct.article_number.in_(
                            in_category.with_only_columns(Product.article_number)
                        ),
                        AssetProduct.model_code.in_(in_category.with_only_columns(Product.model_code)),
                    )
                )
            )
        )
    if filters.min_age_days:
        where.append(
            func.coalesce(Asset.status_changed_at, Asset.updated_at)
            <= now - timedelta(days=filters.min_age_days)
        )
    return where


def review_queue(
    session: Session, viewer: Viewer, filters: QueueFilters, *, page: int = 1, size: int = 48
) -> Page[Asset]:
    """Assets waiting for review, oldest submission first (managers and admins)."""
    require_role(viewer, Role.MANAGER)
    where = _queue_conditions(filters, utcnow())
    total = session.scalar(select(func.count(Asset.id)).where(*where)) or 0
    rows = session.scalars(
        select(Asset)
        .where(*where)
        .options(selectinload(Asset.links), selectinload(Asset.uploaded_by))
        .order_by(func.coalesce(Asset.status_changed_at, Asset.updated_at), Asset.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(list(rows), total, page, size)


def queue_choices(session: Session) -> tuple[list[User], list[str]]:
    """Uploaders with something in review, and every product category (for the filter menus)."""
    uploaders = session.scalars(
        select(User)
        .where(User.id.in_(select(Asset.uploaded_by_id).where(Asset.status == S.IN_REVIEW.value)))
        .order_by(User.email)
    ).all()
    categories = session.scalars(
        select(Product.category).where(Product.category.is_not(None)).distinct().order_by(Product.category)
    ).all()
    return list(uploaders), [c for c in categories if c]


def nav_counts(session: Session, viewer: Viewer) -> dict[str, int]:
    """Counts for the navigation bar: the review queue (managers) and the viewer's rejected uploads."""
    counts: dict[str, int] = {}
    if viewer.at_least(Role.MANAGER):
        counts["review"] = (
            session.scalar(select(func.count(Asset.id)).where(Asset.status == S.IN_REVIEW.value)) or 0
        )
    if viewer.at_least(Role.EDITOR) and viewer.user_id is not None:
        counts["rejected"] = (
            session.scalar(
                select(func.count(Asset.id)).where(
                    Asset.status == S.REJECTED.value, Asset.uploaded_by_id == viewer.user_id
                )
            )
            or 0
        )
    return counts


def my_submissions(session: Session, viewer: Viewer, limit: int = 200) -> list[Asset]:
    """The viewer's own uploads that are in review, rejected (with the reason) or still drafts."""
    require_role(viewer, Role.EDITOR)
    states = (S.DRAFT.value, S.IN_REVIEW.value, S.REJECTED.value)
    return list(
        session.scalars(
            select(Asset)
            .where(Asset.uploaded_by_id == viewer.user_id, Asset.status.in_(states))
            .order_by(func.coalesce(Asset.status_changed_at, Asset.updated_at).desc(), Asset.id.desc())
            .limit(limit)
        ).all()
    )
