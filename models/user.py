"""Users of the portal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.enums import Role


class User(Base):
    """A person who logs in; the password is only ever stored hashed."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.EDITOR.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Invitations (0006): the hash of a one-time set-password token and when it stops working.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None]
    # Sessions (0011): carried in every session and remember-me cookie; bumping it ends them all.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def role_enum(self) -> Role:
        """The role as an enum value."""
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
