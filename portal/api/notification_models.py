"""Request and response models of the in-app notification resources, declared once like
``portal.api.models``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from portal.api.models import PageInfo, Paging
from portal.services.paging import MAX_PAGE_SIZE


class NotificationQuery(Paging):
    """``unread=true`` lists unread notifications only."""

    size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    unread: bool = False


class NotificationItem(BaseModel):
    """One in-app notification of the caller."""

    id: int
    kind: str
    title: str
    body: str | None
    link: str | None
    asset_id: int | None
    created_at: str
    read_at: str | None


class NotificationPage(PageInfo):
    """The caller's notifications, newest first, with the unread count."""

    items: list[NotificationItem]
    unread: int


class MarkedRead(BaseModel):
    """How many notifications were marked read."""

    marked_read: int
