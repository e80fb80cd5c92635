"""Request and response models of share links, saved searches and the hub (collections:
``portal.api.collection_models``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal.api.models import Id, Open, Strict


class ShareLinkBody(Strict):
    """What to share, until when, and how."""

    kind: Literal["selection", "collection", "search"]
    asset_ids: list[Id] | None = Field(None, max_length=500)
    collection_id: Id | None = None
    query: str | None = Field(None, max_length=2000)
    expires_at: str = Field(max_length=40, description="date or date-time, at most 366 days ahead")
    title: str = Field("", max_length=200)
    note: str = Field("", max_length=5000)
    password: str | None = Field(None, max_length=200)
    allowed_presets: list[str] = Field(default_factory=lambda: ["web"], max_length=20)
    download: bool = True


class ShareLinkOut(Open):
    """A share link (never its token)."""

    id: int
    kind: str
    target: dict[str, object]
    title: str
    expires_at: str
    state: str
    allowed_presets: list[str]
    download: bool
    password: bool
    views: int
    downloads: int


class ShareLinkCreated(ShareLinkOut):
    """A new link with its URL (the token is shown this once)."""

    url: str


class ShareLinkList(Open):
    """Every share link."""

    items: list[ShareLinkOut]


class Access(Open):
    """One view or download through a share link."""

    at: str
    action: str
    asset_id: int | None
    preset: str | None
    ip: str | None


class AccessList(Open):
    """A link's access log."""

    items: list[Access]


class SavedSearchBody(Strict):
    """A search to keep."""

    name: str = Field(min_length=1, max_length=200)
    query: str = Field("", max_length=2000, description="query string of /api/v1/search, e.g. q=lamp")


class SavedSearchOut(Open):
    """A saved search."""

    id: int
    name: str
    query: str


class SavedSearchList(Open):
    """The caller's saved searches."""

    items: list[SavedSearchOut]


class HubSettingsBody(Strict):
    """The brand hub's look and rules."""

    name: str = Field(min_length=1, max_length=200)
    colour: str = Field(max_length=7, description="#rrggbb")
    intro: str = Field("", max_length=20_000)
    terms: str = Field("", max_length=50_000)
    public_presets: list[str] = Field(default_factory=list, max_length=20)


class HubSettings(Open):
    """The brand hub's settings."""

    name: str
    colour: str
    intro: str
    terms: str
    terms_version: int
    public_presets: list[str]


class SectionBody(Strict):
    """A new hub section: a collection or a saved search (query string of the search)."""

    title: str = Field(min_length=1, max_length=200)
    kind: Literal["collection", "saved_search"]
    collection_id: int | None = Field(None, ge=1, le=2**31 - 1)
    query: str = Field("", max_length=2000)
    description: str = Field("", max_length=5000)


class Section(Open):
    """A hub section."""

    id: int
    title: str
    slug: str
    position: int
    kind: str
    collection_id: int | None
    query: str
    description: str


class SectionList(Open):
    """The hub's sections in order."""

    items: list[Section]


class SectionMove(Strict):
    """One place up or down."""

    step: Literal[-1, 1]
