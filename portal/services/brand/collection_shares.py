"""Sharing a collection with named users or with a role, to view or to edit (the owner decides).

A share with a role reaches that role and every higher one ("partners" = every logged-in user). Sharing
never widens what anyone sees: a member sees only the items their own role may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import CollectionShare, Role, User
from portal.errors import NotFound, ValidationError
from portal.services.brand.collections import OWN, PERMISSIONS, get_collection
from portal.services.governance.policy import Viewer


@dataclass(frozen=True)
class ShareRow:
    """A share as pages and the API show it."""

    id: int
    user_id: int | None
    email: str | None
    role: str | None
    permission: str

    @property
    def label(self) -> str:
        """Who the share reaches, in words."""
        if self.role is not None:
            return f"everyone with the {self.role} role or higher"
        return self.email or f"user {self.user_id}"


def list_shares(session: Session, viewer: Viewer, collection_id: int) -> list[ShareRow]:
    """The collection's shares (its owner)."""
    collection = get_collection(session, viewer, collection_id, OWN)
    emails = {
        uid: email
        for uid, email in session.execute(
            select(User.id, User.email).where(
                User.id.in_([s.user_id for s in collection.shares if s.user_id is not None])
            )
        )
    }
    return [
        ShareRow(s.id, s.user_id, emails.get(s.user_id) if s.user_id else None, s.role, s.permission)
        for s in collection.shares
    ]


def share(
    session: Session,
    viewer: Viewer,
    collection_id: int,
    *,
    permission: str,
    email: str | None = None,
    user_id: int | None = None,
    role: str | None = None,
) -> CollectionShare:
    """Share with one user (by e-mail or id) or with a role; sharing again changes the permission."""
    collection = get_collection(session, viewer, collection_id, OWN)
    if permission not in PERMISSIONS:
        raise ValidationError(f"permission: one of {', '.join(PERMISSIONS)}")
    targets = [t for t in (email, user_id, role) if t not in (None, "")]
    if len(targets) != 1:
        raise ValidationError("share with one user (e-mail) or one role")
    if role:
        if role not in {r.value for r in Role}:
            raise ValidationError(f"role: one of {', '.join(r.value for r in Role)}")
        existing = next((s for s in collection.shares if s.role == role), None)
        new = CollectionShare(role=role, permission=permission)
    else:
        user = _user(session, email, user_id)
        if user.id == collection.created_by_id:
            raise ValidationError("the owner has the collection already")
        existing = next((s for s in collection.shares if s.user_id == user.id), None)
        new = CollectionShare(user_id=user.id, permission=permission)
    if existing is not None:
        existing.permission = permission
        session.flush()
        return existing
    collection.shares.append(new)
    session.flush()
    return new


def _user(session: Session, email: str | None, user_id: int | None) -> User:
    if email:
        found = session.scalars(
            select(User).where(func.lower(User.email) == email.strip().lower(), User.is_active.is_(True))
        ).first()
    else:
        found = session.get(User, user_id) if user_id and 1 <= user_id <= 2**31 - 1 else None
        found = found if found is not None and found.is_active else None
    if found is None:
        raise ValidationError("no active user with that e-mail address" if email else "no such user")
    return found


@dataclass(frozen=True)
class Person:
    """Someone a collection can be shared with, as the people picker lists them."""

    email: str
    name: str | None


MIN_PEOPLE_QUERY = 2
MAX_PEOPLE_QUERY = 100


def find_people(session: Session, viewer: Viewer, q: str, *, limit: int = 8) -> list[Person]:
    """The people picker of the share form: active users whose e-mail or name holds every word of ``q``
    (at least two characters), never the viewer. Partners are outsiders: they get no directory to browse
    (neither the staff's addresses nor other partner companies'), only the person whose whole address they
    typed, which the share form would confirm anyway."""
    words = (q or "").strip()[:MAX_PEOPLE_QUERY].lower().split()
    if not viewer.is_authenticated or len("".join(words)) < MIN_PEOPLE_QUERY:
        return []
    where = [User.is_active.is_(True), User.id != viewer.user_id]
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            func.lower(User.email).like(pattern, escape="\\")
            | func.lower(func.coalesce(User.name, "")).like(pattern, escape="\\")
        )
    if not viewer.at_least(Role.EDITOR):
        where.append(func.lower(User.email) == (q or "").strip().lower())
    rows = session.execute(select(User.email, User.name).where(*where).order_by(User.email).limit(limit))
    return [Person(email, name) for email, name in rows]


def unshare(session: Session, viewer: Viewer, collection_id: int, share_id: int) -> None:
    """Stop a share (its owner)."""
    collection = get_collection(session, viewer, collection_id, OWN)
    found = next((s for s in collection.shares if s.id == share_id), None)
    if found is None:
        raise NotFound("no such share")
    collection.shares.remove(found)
    session.flush()
