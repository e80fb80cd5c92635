"""Personal API tokens: created with a scope, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiToken, User
from models.base import utcnow
from portal.errors import AuthenticationRequired, NotFound, ValidationError

SCOPES = ("read", "write")
TOKEN_PREFIX = "ap_"
# Writing last_used_at on every request would turn every read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenIdentity:
    """Who a valid bearer token speaks for, and what it may do."""

    user_id: int
    scope: str


def hash_token(raw: str) -> str:
    """The stored form of a token. Tokens carry 256 random bits, so a plain sha256 cannot be reversed."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(session: Session, user_id: int, scope: str, name: str = "") -> tuple[ApiToken, str]:
    """A new token for a user; returns the row and the plain token (which is never stored)."""
    if scope not in SCOPES:
        raise ValidationError(f"unknown scope {scope!r}; use read or write")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("no such active user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id,
        name=(name or f"{scope} token").strip()[:200],
        token_hash=hash_token(raw),
        prefix=raw[:10],
        scope=scope,
    )
    session.add(token)
    session.flush()
    return token, raw


def authenticate_token(session: Session, raw: str) -> TokenIdentity:
    """The identity of a bearer token; unknown, revoked or disabled-user tokens are a 401."""
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw.strip()))).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise AuthenticationRequired("invalid or revoked API token")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return TokenIdentity(token.user_id, token.scope)


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    """Revoke one of a user's tokens (another user's id is NotFound)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
