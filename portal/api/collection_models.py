"""Request and response models of collections (lightboxes), their items and their shares."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal.api.models import Id, Open, Strict


class Items(Strict):
    """Asset ids to add (each must be an asset the caller may see)."""

    asset_ids: list[Id] = Field(min_length=1, max_length=1000)


class CollectionBody(Strict):
    """A new collection, owned by the caller."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    asset_ids: list[Id] = Field(default_factory=list, max_length=1000)


class CollectionPatch(Strict):
    """A new name or description (owner and editors); fields left out stay."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)


class CollectionOut(Open):
    """A collection and the asset ids the caller may see in it (never the hidden ones)."""

    id: int
    name: str
    description: str | None
    asset_ids: list[Id]
    owner_id: int | None
    access: Literal["own", "edit", "view"] = Field(description="what the caller may do with it")


class CollectionSummary(Open):
    """A collection in a list: how many of its assets the caller sees."""

    id: int
    name: str
    description: str | None
    owner_id: int | None
    access: Literal["own", "edit", "view"]
    count: int


class CollectionList(Open):
    """The caller's collections and those shared with them, by name."""

    items: list[CollectionSummary]


class ItemMove(Strict):
    """One place up (-1) or down (1)."""

    step: Literal[-1, 1]


class ShareBody(Strict):
    """Share with one user (e-mail or id) or one role (that role and every higher one)."""

    permission: Literal["view", "edit"] = "view"
    email: str | None = Field(None, max_length=254)
    user_id: Id | None = None
    role: Literal["admin", "manager", "editor", "partner"] | None = None


class ShareOut(Open):
    """A share of a collection."""

    id: int
    user_id: int | None
    email: str | None
    role: str | None
    permission: str


class ShareList(Open):
    """A collection's shares."""

    items: list[ShareOut]
