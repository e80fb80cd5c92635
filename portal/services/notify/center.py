"""Recording, listing and reading notifications, and each user's preferences per kind and channel."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from models import Notification, NotificationKey, NotificationPreference, Role, User
from models.base import utcnow
from portal.errors import NotFound
from portal.services import outbox
from portal.services.governance.policy import Viewer
from portal.services.paging import Page

EMAIL_TASK = "notify.email"
MAX_TITLE = 300
MAX_BODY = 10_000


@dataclass(frozen=True)
class Kind:
    """A kind of notification users may switch per channel; ``role``: the least role that gets it."""

    name: str
    label: str
    role: Role


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("review.waiting", "An asset waits for review", Role.MANAGER),
        Kind("rights.expiring", "Rights of an asset expire within 14 days", Role.MANAGER),
        Kind("asset.approved", "My asset was approved", Role.EDITOR),
        Kind("asset.rejected", "My asset was rejected (with the reason)", Role.EDITOR),
        Kind("package.ready", "My package is ready to download", Role.PARTNER),
    )
}
# Mail to addresses rather than users' choices: a share link sent to someone, an invitation.
DIRECT_KINDS = ("share.sent", "invitation")


def kinds_for(role: Role | str) -> list[Kind]:
    """The kinds a user of this role receives (and so sees on the preferences form)."""
    who = Role(role)
    return [k for k in KINDS.values() if who.at_least(k.role)]


# --- recording ---------------------------------------------------------------------------------------


def _prefs(session: Session, user_id: int, kind: str) -> tuple[bool, bool]:
    pref = session.get(NotificationPreference, (user_id, kind))
    return (True, True) if pref is None else (pref.in_app, pref.email)


def notify(
    session: Session,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    asset_id: int | None = None,
) -> Notification | None:
    """Tell a user about something, as their preferences for ``kind`` say; mail is recorded for a job.
    Returns None when the user wants neither channel or is disabled."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not user.is_active:
        return None
    in_app, email = _prefs(session, user.id, kind)
    if not (in_app or email):
        return None
    return _add(session, kind, title, body, link=link, asset_id=asset_id, user_id=user.id,
                address=user.email if email else None, in_app=in_app)  # fmt: skip


def notify_address(
    session: Session, address: str, kind: str, title: str, body: str, *, link: str | None,
    user_id: int | None = None,
) -> Notification:  # fmt: skip
    """Mail one address (a share link's recipient, an invited user): no in-app entry, no preferences."""
    if kind not in DIRECT_KINDS:
        raise ValueError(f"not a direct-mail kind: {kind!r}")
    return _add(session, kind, title, body, link=link, asset_id=None, user_id=user_id, address=address,
                in_app=False)  # fmt: skip


def _add(
    session: Session, kind: str, title: str, body: str, *, link: str | None, asset_id: int | None,
    user_id: int | None, address: str | None, in_app: bool,
) -> Notification:  # fmt: skip
    item = Notification(
        user_id=user_id,
        email=address,
        kind=kind,
        title=" ".join(title.split())[:MAX_TITLE],
        body=body.strip()[:MAX_BODY],
        link=link,
        asset_id=asset_id,
        in_app=in_app,
        email_status="pending" if address else "none",
    )
    session.add(item)
    session.flush()
    if address:
        outbox.record(session, EMAIL_TASK, notification_id=item.id)
    return item


def recent_unread(session: Session, user_id: int, kind: str, since: datetime) -> Notification | None:
    """The user's newest unread notification of ``kind`` made after ``since`` (to fold a burst into)."""
    query = (
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.kind == kind,
            Notification.read_at.is_(None),
            Notification.created_at >= since,
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def claim_keys(session: Session, keys: Collection[str]) -> set[str]:
    """Record event keys as announced; returns those that were new (the others were announced before)."""
    wanted = list(dict.fromkeys(keys))
    seen: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        seen.update(session.scalars(select(NotificationKey.key).where(NotificationKey.key.in_(chunk))))
    fresh = [k for k in wanted if k not in seen]
    session.add_all(NotificationKey(key=k) for k in fresh)
    session.flush()
    return set(fresh)


def staff(session: Session, least: Role = Role.MANAGER, *, except_id: int | None = None) -> list[User]:
    """Active users of at least ``least`` role (the recipients of managers' notifications)."""
    roles = [r.value for r in Role if r.at_least(least)]
    query = select(User).where(User.is_active.is_(True), User.role.in_(roles)).order_by(User.id)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return list(session.scalars(query))


# --- reading -----------------------------------------------------------------------------------------


def _mine(viewer: Viewer) -> list[ColumnElement[bool]]:
    return [Notification.user_id == viewer.user_id, Notification.in_app.is_(True)]


def unread_count(session: Session, viewer: Viewer) -> int:
    """How many of the viewer's in-app notifications are unread (the number on the bell)."""
    if viewer.user_id is None:
        return 0
    query = select(func.count(Notification.id)).where(*_mine(viewer), Notification.read_at.is_(None))
    return session.scalar(query) or 0


def list_for(
    session: Session, viewer: Viewer, *, page: int = 1, size: int = 50, unread_only: bool = False
) -> Page[Notification]:
    """The viewer's in-app notifications, newest first."""
    where = _mine(viewer)
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    rows = session.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    return Page(list(rows), total, page, size)


def get_own(session: Session, viewer: Viewer, notification_id: int) -> Notification:
    """One of the viewer's notifications; someone else's is NotFound, as a missing one is."""
    item = session.get(Notification, notification_id)
    if item is None or item.user_id is None or item.user_id != viewer.user_id or not item.in_app:
        raise NotFound("no such notification")
    return item


def mark_read(session: Session, viewer: Viewer, notification_id: int) -> Notification:
    """Mark one of the viewer's notifications read (again is harmless)."""
    item = get_own(session, viewer, notification_id)
    if item.read_at is None:
        item.read_at = utcnow()
    return item


def mark_all_read(session: Session, viewer: Viewer) -> int:
    """Mark every unread notification of the viewer read; returns how many."""
    if viewer.user_id is None:
        return 0
    result = session.execute(
        update(Notification).where(*_mine(viewer), Notification.read_at.is_(None)).values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- preferences -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    """One line of the preferences form."""

    kind: Kind
    in_app: bool
    email: bool


def preferences(session: Session, viewer: Viewer) -> list[PreferenceRow]:
    """The viewer's choice per kind their role receives (no stored choice: both channels on)."""
    if viewer.user_id is None or viewer.role is None:
        return []
    rows = []
    for kind in kinds_for(viewer.role):
        in_app, email = _prefs(session, viewer.user_id, kind.name)
        rows.append(PreferenceRow(kind, in_app, email))
    return rows


def save_preferences(session: Session, viewer: Viewer, checked: Collection[str]) -> list[PreferenceRow]:
    """Store the form: ``checked`` holds ``"<kind>:in_app"`` / ``"<kind>:email"`` for boxes ticked. Only the
    kinds the viewer's role receives (those shown) change; other stored choices stay as they were."""
    if viewer.user_id is None or viewer.role is None:
        return []
    for kind in kinds_for(viewer.role):
        pref = session.get(NotificationPreference, (viewer.user_id, kind.name))
        if pref is None:
            pref = NotificationPreference(user_id=viewer.user_id, kind=kind.name)
            session.add(pref)
        pref.in_app = f"{kind.name}:in_app" in checked
        pref.email = f"{kind.name}:email" in checked
    session.flush()
    return preferences(session, viewer)


def checked_boxes(values: Iterable[str]) -> set[str]:
    """The ticked boxes of a form, kept to names of the form ``<known kind>:<in_app|email>``."""
    allowed = {f"{k}:{c}" for k in KINDS for c in ("in_app", "email")}
    return {v for v in values if v in allowed}
