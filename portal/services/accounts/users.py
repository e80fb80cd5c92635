"""Accounts: creating users, checking passwords, slowing down password guessing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Database, LoginFailure, Role, User
from models.base import utcnow
from portal.errors import AuthenticationRequired, Conflict, TooManyRequests, ValidationError

# Domain labels exclude the dot, so each character has one way to match: linear time. The former
# "[^@\s]+\.[^@\s]+" tried every dot as the last one, quadratic on "x@....@" (minutes for a pasted
# recipients field of a few hundred KiB).
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
MIN_PASSWORD = 10
# Checked against when the e-mail is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("assetport-timing-equaliser")


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed e-mail; raises ValidationError when it does not look like one."""
    value = (email or "").strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ValidationError(f"not a valid e-mail address: {email!r}")
    return value


def parse_role(role: str) -> Role:
    """A role from its name; raises ValidationError listing the valid ones."""
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
        ) from None


def create_user(session: Session, email: str, password: str, role: str, name: str | None = None) -> User:
    """Create a user with a hashed password; an existing e-mail is a Conflict."""
    address = normalise_email(email)
    parsed = parse_role(role)
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(f"a user with e-mail {address} already exists")
    user = User(email=address, name=name, role=parsed.value, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a user's password; every session of theirs ends."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password must have at least {MIN_PASSWORD} characters")
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session (and remember-me cookie) of a user, server-side: cookies carry the generation
    they were issued in, and the loader refuses an old one."""
    user.session_generation = (user.session_generation or 0) + 1


def end_sessions_of(session: Session, user_id: int, generation: int) -> None:
    """Logout: end the user's sessions, unless they already ended (an old cookie logging out)."""
    user = session.get(User, user_id)
    if user is not None and user.session_generation == generation:
        end_sessions(user)


def authenticate(
    db: Database,
    email: str,
    password: str,
    ip: str | None,
    *,
    max_failures: int,
    window_seconds: int,
    max_client_failures: int | None = None,
) -> User:
    """Return the user for valid credentials.

    Failures are counted per (e-mail, client address): after ``max_failures`` in the window that client's
    attempts on that account are refused (429) without checking the password, while the owner logs in
    from elsewhere. A client is also refused after ``max_client_failures`` (default 10x) on any accounts.
    """
    address = (email or "").strip().lower()
    since = utcnow() - timedelta(seconds=window_seconds)
    client_ceiling = max_client_failures if max_client_failures is not None else 10 * max_failures
    with db.transaction() as session:
        same_client = LoginFailure.ip == ip if ip else LoginFailure.ip.is_(None)
        recent = session.scalar(
            select(func.count(LoginFailure.id)).where(
                LoginFailure.at >= since, LoginFailure.email == address, same_client
            )
        )
        from_client = session.scalar(
            select(func.count(LoginFailure.id)).where(LoginFailure.at >= since, same_client)
        )
        if (recent or 0) >= max_failures or (ip and (from_client or 0) >= client_ceiling):
            minutes = max(1, window_seconds // 60)
            raise TooManyRequests(f"too many failed logins; try again in {minutes} minutes")
        user = session.scalars(select(User).where(User.email == address)).first()
        valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
        if user is not None and valid and user.is_active:
            session.execute(delete(LoginFailure).where(LoginFailure.email == address, same_client))
            user.last_login_at = utcnow()
            return user
        # Recorded in this transaction, which commits before the error reaches the caller.
        session.add(LoginFailure(email=address[:254], ip=ip))
    raise AuthenticationRequired("wrong e-mail or password")
