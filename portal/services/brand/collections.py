"""Curated collections: ordered lists of assets that managers keep for hub sections and share links.

A collection may hold any asset; who sees which of its items is decided at request time by policy, so
an item that is unapproved, hidden or expired silently drops out of every page and link showing it.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Asset, Collection, CollectionItem, Role
from portal.errors import Conflict, NotFound, ValidationError
from portal.services.governance.policy import Viewer, require_role, visible_assets
from portal.services.paging import MAX_ID

MAX_ITEMS = 1000


def list_collections(session: Session) -> list[Collection]:
    """Every collection, by name."""
    return list(session.scalars(select(Collection).order_by(Collection.name)))


def get_collection(session: Session, collection_id: int) -> Collection:
    """One collection (NotFound when missing)."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound("collection not found")
    return collection


def create_collection(session: Session, viewer: Viewer, name: str, description: str = "") -> Collection:
    """A new, empty collection (managers); names are unique."""
    require_role(viewer, Role.MANAGER)
    clean = " ".join((name or "").split())[:200]
    if not clean:
        raise ValidationError("give the collection a name")
    if session.scalar(select(Collection.id).where(Collection.name == clean)):
        raise Conflict(f"there is already a collection called {clean!r}")
    collection = Collection(name=clean, description=description or "", created_by_id=viewer.user_id)
    session.add(collection)
    session.flush()
    return collection


def add_items(session: Session, viewer: Viewer, collection_id: int, asset_ids: list[int]) -> int:
    """Append assets (existing ones only, each once); returns how many were added."""
    require_role(viewer, Role.MANAGER)
    get_collection(session, collection_id)
    wanted = list(dict.fromkeys(int(i) for i in asset_ids))
    require_assets(session, wanted)
    have = set(
        session.scalars(select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection_id))
    )
    new = [i for i in wanted if i not in have]
    if len(have) + len(new) > MAX_ITEMS:
        raise ValidationError(f"a collection holds at most {MAX_ITEMS} assets")
    start = session.scalar(
        select(func.max(CollectionItem.position)).where(CollectionItem.collection_id == collection_id)
    )
    for offset, asset_id in enumerate(new, start=(start or 0) + 1):
        session.add(CollectionItem(collection_id=collection_id, asset_id=asset_id, position=offset))
    session.flush()
    return len(new)


def require_assets(session: Session, ids: list[int]) -> None:
    """Raise ValidationError naming the ids that are no assets (out-of-range numbers included)."""
    # Out-of-range numbers cannot be ids; asking the database about them would overflow its driver.
    possible = [i for i in ids if 1 <= i <= MAX_ID]
    existing = set(session.scalars(select(Asset.id).where(Asset.id.in_(possible)))) if possible else set()
    missing = [i for i in ids if i not in existing]
    if missing:
        raise ValidationError(f"no such assets: {', '.join(map(str, missing[:20]))}")


def remove_item(session: Session, viewer: Viewer, collection_id: int, asset_id: int) -> None:
    """Take one asset out of a collection."""
    require_role(viewer, Role.MANAGER)
    session.execute(
        delete(CollectionItem).where(
            CollectionItem.collection_id == collection_id, CollectionItem.asset_id == asset_id
        )
    )


def delete_collection(session: Session, viewer: Viewer, collection_id: int) -> None:
    """Delete a collection (its hub sections go with it; share links to it then show nothing)."""
    require_role(viewer, Role.MANAGER)
    session.delete(get_collection(session, collection_id))


def item_ids(session: Session, collection_id: int) -> list[int]:
    """Every asset id of a collection in order, whatever its state (for managers)."""
    return list(
        session.scalars(
            select(CollectionItem.asset_id)
            .where(CollectionItem.collection_id == collection_id)
            .order_by(CollectionItem.position, CollectionItem.id)
        )
    )


def visible_item_ids(session: Session, collection_id: int, viewer: Viewer) -> list[int]:
    """The collection's assets this viewer may see right now, in order (policy inside the query)."""
    return list(
        session.scalars(
            select(CollectionItem.asset_id)
            .join(Asset, Asset.id == CollectionItem.asset_id)
            .where(CollectionItem.collection_id == collection_id, visible_assets(viewer))
            .order_by(CollectionItem.position, CollectionItem.id)
        )
    )
