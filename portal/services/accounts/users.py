"""Accounts: creating users, checking passwords, slowing down password guessing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Database, LoginFailure, Role, User
from models.base import utcnow
from portal.errors import AuthenticationRequired, Conflict, TooManyRequests, ValidationError

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# Checked against when the e-mail is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("assetport-timing-equaliser")


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed e-mail; raises ValidationError when it does not look like one."""
    value = (email or "").strip().lower()
    if not EMAIL_RE.match(value) or len(value) > 254:
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
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password must have at least {MIN_PASSWORD} characters")
    user.password_hash = generate_password_hash(password)


def authenticate(
    db: Database, email: str, password: str, ip: str | None, *, max_failures: int, window_seconds: int
) -> User:
    """Return the user for valid credentials.

    Failures are counted per e-mail and per client address; after ``max_failures`` in the window
    further attempts are refused (429) without even checking the password.
    """
    address = (email or "").strip().lower()
    since = utcnow() - timedelta(seconds=window_seconds)
    with db.transaction() as session:
        who = (
            or_(LoginFailure.email == address, LoginFailure.ip == ip) if ip else LoginFailure.email == address
        )
        recent = session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.at >= since, who))
        if (recent or 0) >= max_failures:
            minutes = max(1, window_seconds // 60)
            raise TooManyRequests(f"too many failed logins; try again in {minutes} minutes")
        user = session.scalars(select(User).where(User.email == address)).first()
        valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
        if user is not None and valid and user.is_active:
            session.execute(delete(LoginFailure).where(LoginFailure.email == address))
            user.last_login_at = utcnow()
            return user
        # Recorded in this transaction, which commits before the error reaches the caller.
        session.add(LoginFailure(email=address[:254], ip=ip))
    raise AuthenticationRequired("wrong e-mail or password")
