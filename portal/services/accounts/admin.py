"""User administration: invite with a one-time set-password link, disable, change roles (admins only)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApiToken, Role, User
from models.base import utcnow
from portal.errors import Conflict, NotFound
from portal.services.accounts.tokens import hash_token
from portal.services.accounts.users import create_user, end_sessions, parse_role, set_password
from portal.services.governance import audit
from portal.services.governance.policy import Viewer, require_role

INVITE_DAYS = 7


def list_users(session: Session, viewer: Viewer) -> list[tuple[User, int]]:
    """Every user with their count of active API tokens, by e-mail."""
    require_role(viewer, Role.ADMIN)
    active = (
        select(ApiToken.user_id, func.count(ApiToken.id).label("n"))
        .where(ApiToken.revoked_at.is_(None))
        .group_by(ApiToken.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User, func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.user_id == User.id)
        .order_by(User.email)
    ).all()
    return [(user, int(n)) for user, n in rows]


def invite_user(
    session: Session, viewer: Viewer, email: str, role: str, name: str | None = None, *, ip: str | None = None
) -> tuple[User, str]:
    """Create a user who sets their own password through a one-time link; returns the user and the
    raw invitation token (shown once, stored hashed, valid for a week)."""
    require_role(viewer, Role.ADMIN)
    # A random password nobody knows until the invitation is used.
    user = create_user(session, email, secrets.token_urlsafe(24), role, name=(name or "").strip() or None)
    raw = secrets.token_urlsafe(32)
    user.invite_token_hash = hash_token(raw)
    user.invite_expires_at = utcnow() + timedelta(days=INVITE_DAYS)
    audit.record(session, "user.invited", actor_id=viewer.user_id, target=user.email, ip=ip, role=user.role)
    return user, raw


def accept_invite(session: Session, raw: str, password: str) -> User:
    """Set the password of an invited user; the link works once and only before it expires."""
    user = session.scalars(select(User).where(User.invite_token_hash == hash_token(raw or ""))).first()
    if user is None or user.invite_expires_at is None or user.invite_expires_at < utcnow():
        raise NotFound("this invitation link is invalid, used or expired; ask an admin for a new one")
    set_password(user, password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    audit.record(session, "user.invite_accepted", actor_id=user.id, target=user.email)
    return user


def _other_user(session: Session, viewer: Viewer, user_id: int) -> User:
    require_role(viewer, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    if user.id == viewer.user_id:
        raise Conflict("you cannot change your own role or account status; ask another admin")
    return user


def set_active(
    session: Session, viewer: Viewer, user_id: int, active: bool, *, ip: str | None = None
) -> User:
    """Disable or re-enable an account: a disabled user cannot log in, and their sessions and API
    tokens stop working on the next request."""
    user = _other_user(session, viewer, user_id)
    if user.is_active != active:
        user.is_active = active
        end_sessions(user)
        action = "user.enabled" if active else "user.disabled"
        audit.record(session, action, actor_id=viewer.user_id, target=user.email, ip=ip)
    return user


def change_role(session: Session, viewer: Viewer, user_id: int, role: str, *, ip: str | None = None) -> User:
    """Give a user another role."""
    user = _other_user(session, viewer, user_id)
    new = parse_role(role).value
    if user.role != new:
        audit.record(
            session, "user.role", actor_id=viewer.user_id, target=user.email, ip=ip, old=user.role, new=new
        )
        user.role = new
        end_sessions(user)
    return user


def user_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first (revoked ones included, marked)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).all()
    )
