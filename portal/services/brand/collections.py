"""Collections (lightboxes): ordered lists of assets that every logged-in user keeps, shares with users
or roles, packages, and that managers put on the brand hub and behind share links.

Who reaches a collection (``access_level``): its owner owns it; a share names a user or a role (that
role and every higher one) with ``view`` or ``edit``; admins own collections whose owner is gone.
Viewers read it; editors add, remove and reorder assets and rename it; only the owner deletes or shares.

A collection never widens what anyone sees: it may hold any asset, and who sees which of its items is
decided at request time by policy (``visible_item_ids``), so an item that is hidden, unapproved or
expired for a viewer silently drops out of every page, package and link showing the collection. Only
assets the caller may see can be added, so adding never confirms that a hidden id exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import Asset, Collection, CollectionItem, CollectionShare, Role
from portal.errors import Conflict, NotFound, PermissionDenied, ValidationError
from portal.services.governance.policy import Viewer, require_role, visible_assets
from portal.services.paging import MAX_ID

MAX_ITEMS = 1000
VIEW, EDIT, OWN = "view", "edit", "own"
PERMISSIONS = (VIEW, EDIT)
_RANK = {VIEW: 1, EDIT: 2, OWN: 3}


def roles_reached(role: Role) -> list[str]:
    """The role names a share may name to reach ``role`` (a share with a role reaches every higher one)."""
    return [r.value for r in Role if role.at_least(r)]


def readable(viewer: Viewer) -> ColumnElement[bool]:
    """A SQL condition selecting the collections this viewer may open (a viewer without a user id, such as
    a job acting with a role, reaches only what is shared with its role)."""
    if viewer.role is None:
        return false()
    by_role = CollectionShare.role.in_(roles_reached(viewer.role))
    if viewer.user_id is None:
        return Collection.id.in_(select(CollectionShare.collection_id).where(by_role))
    shared = select(CollectionShare.collection_id).where(
        or_(CollectionShare.user_id == viewer.user_id, by_role)
    )
    condition = or_(Collection.created_by_id == viewer.user_id, Collection.id.in_(shared))
    if viewer.at_least(Role.ADMIN):
        condition = or_(condition, Collection.created_by_id.is_(None))
    return condition


def access_level(viewer: Viewer, collection: Collection) -> str | None:
    """``own``, ``edit``, ``view`` or None: what this viewer may do with the collection."""
    if viewer.role is None:
        return None
    if viewer.user_id is not None and collection.created_by_id == viewer.user_id:
        return OWN
    if collection.created_by_id is None and viewer.at_least(Role.ADMIN):
        return OWN
    reached = set(roles_reached(viewer.role))
    best: str | None = None
    for share in collection.shares:
        by_user = viewer.user_id is not None and share.user_id == viewer.user_id
        reaches = by_user or (share.role is not None and share.role in reached)
        if reaches and (best is None or _RANK[share.permission] > _RANK[best]):
            best = share.permission
    return best


def allows(level: str | None, need: str) -> bool:
    """True when ``level`` is at least ``need``."""
    return level is not None and _RANK[level] >= _RANK[need]


def list_collections(session: Session, viewer: Viewer, need: str = VIEW) -> list[Collection]:
    """The collections this viewer reaches with at least ``need``, by name (own first among equals)."""
    rows = session.scalars(
        select(Collection)
        .where(readable(viewer))
        .options(selectinload(Collection.shares))
        .order_by(func.lower(Collection.name), Collection.id)
    )
    return [c for c in rows if allows(access_level(viewer, c), need)]


def get_collection(session: Session, viewer: Viewer, collection_id: int, need: str = VIEW) -> Collection:
    """One collection the viewer reaches: NotFound when missing or not shared with them (no probing),
    PermissionDenied when they may see it but not do ``need``."""
    require_role(viewer, Role.PARTNER)
    collection = session.get(Collection, collection_id) if 1 <= collection_id <= MAX_ID else None
    level = access_level(viewer, collection) if collection is not None else None
    if collection is None or level is None:
        raise NotFound("collection not found")
    if not allows(level, need):
        raise PermissionDenied(
            "only the owner may do this" if need == OWN else "this collection is shared with you to view only"
        )
    return collection


def _clean_name(name: str) -> str:
    clean = " ".join((name or "").split())[:200]
    if not clean:
        raise ValidationError("give the collection a name")
    return clean


def _name_free(session: Session, owner_id: int | None, name: str, keep: int | None = None) -> None:
    query = select(Collection.id).where(Collection.name == name, Collection.created_by_id == owner_id)
    if keep is not None:
        query = query.where(Collection.id != keep)
    if session.scalar(query):
        raise Conflict(f"there is already a collection called {name!r}")


def create_collection(
    session: Session, viewer: Viewer, name: str, description: str = "", share_role: Role | None = None
) -> Collection:
    """A new, empty collection owned by the viewer (every logged-in user); names are unique per owner.
    ``share_role`` shares it at once with that role for editing (the hub admin's team collections)."""
    require_role(viewer, Role.PARTNER)
    clean = _clean_name(name)
    _name_free(session, viewer.user_id, clean)
    collection = Collection(name=clean, description=(description or "").strip(), created_by_id=viewer.user_id)
    if share_role is not None:
        collection.shares.append(CollectionShare(role=share_role.value, permission=EDIT))
    session.add(collection)
    session.flush()
    return collection


def add_to_collection(
    session: Session, viewer: Viewer, asset_ids: list[int], collection_id: int | None, new_name: str
) -> tuple[Collection, int]:
    """What a picker posts: add ``asset_ids`` to the collection ``collection_id`` (the viewer may edit it) or,
    without one, to a new collection called ``new_name``; returns the collection and how many were added."""
    if not asset_ids:
        raise ValidationError("select at least one asset to add")
    if collection_id is None:
        if not new_name.strip():
            raise ValidationError("choose a collection or name a new one")
        collection = create_collection(session, viewer, new_name)
    else:
        collection = get_collection(session, viewer, collection_id, EDIT)
    return collection, add_items(session, viewer, collection.id, asset_ids)


def update_collection(
    session: Session, viewer: Viewer, collection_id: int, *, name: str | None, description: str | None
) -> Collection:
    """Rename a collection or change its description (owner and editors)."""
    collection = get_collection(session, viewer, collection_id, EDIT)
    if name is not None:
        clean = _clean_name(name)
        _name_free(session, collection.created_by_id, clean, keep=collection.id)
        collection.name = clean
    if description is not None:
        collection.description = description.strip()
    session.flush()
    return collection


def delete_collection(session: Session, viewer: Viewer, collection_id: int) -> None:
    """Delete a collection (owner; its hub sections go with it, share links to it then show nothing)."""
    session.delete(get_collection(session, viewer, collection_id, OWN))


def add_items(session: Session, viewer: Viewer, collection_id: int, asset_ids: list[int]) -> int:
    """Append assets the viewer may see (each once); returns how many were new."""
    get_collection(session, viewer, collection_id, EDIT)
    wanted = list(dict.fromkeys(int(i) for i in asset_ids))
    if not wanted:
        raise ValidationError("select at least one asset to add")
    require_assets(session, wanted, viewer)
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


def require_assets(session: Session, ids: list[int], viewer: Viewer | None = None) -> None:
    """Raise ValidationError naming the ids that are no assets (or that ``viewer`` may not see: the same
    answer, so it reveals nothing); out-of-range numbers included."""
    # Out-of-range numbers cannot be ids; asking the database about them would overflow its driver.
    possible = [i for i in ids if 1 <= i <= MAX_ID]
    query = select(Asset.id).where(Asset.id.in_(possible))
    if viewer is not None:
        query = query.where(visible_assets(viewer))
    existing = set(session.scalars(query)) if possible else set()
    missing = [i for i in ids if i not in existing]
    if missing:
        raise ValidationError(f"no such assets: {', '.join(map(str, missing[:20]))}")


def remove_item(session: Session, viewer: Viewer, collection_id: int, asset_id: int) -> None:
    """Take one asset the viewer sees out of a collection (owner and editors)."""
    get_collection(session, viewer, collection_id, EDIT)
    if asset_id not in visible_item_ids(session, collection_id, viewer):
        raise NotFound("that asset is not in this collection")
    session.execute(
        delete(CollectionItem).where(
            CollectionItem.collection_id == collection_id, CollectionItem.asset_id == asset_id
        )
    )


def move_item(session: Session, viewer: Viewer, collection_id: int, asset_id: int, step: int) -> None:
    """Move an asset one place up (-1) or down (+1) among the items the viewer sees."""
    get_collection(session, viewer, collection_id, EDIT)
    if step not in (-1, 1):
        raise ValidationError("move one place up or down")
    items = {
        i.asset_id: i
        for i in session.scalars(select(CollectionItem).where(CollectionItem.collection_id == collection_id))
    }
    order = visible_item_ids(session, collection_id, viewer)
    if asset_id not in order:
        raise NotFound("that asset is not in this collection")
    here = order.index(asset_id)
    there = here + step
    if not 0 <= there < len(order):
        return
    # Renumber the visible items in their new order onto the positions they held, so hidden items
    # (which this viewer cannot see) keep their places.
    slots = sorted((items[i].position, items[i].id) for i in order)
    order[here], order[there] = order[there], order[here]
    for asset, (position, _) in zip(order, slots, strict=True):
        items[asset].position = position
    if len({p for p, _ in slots}) < len(slots):  # equal positions (old data): spread them out
        for n, asset in enumerate(order):
            items[asset].position = slots[0][0] + n
    session.flush()


def item_ids(session: Session, collection_id: int) -> list[int]:
    """Every asset id of a collection in order, whatever its state (callers checked access)."""
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


def visible_counts(session: Session, viewer: Viewer, collection_ids: list[int]) -> dict[int, int]:
    """How many items of each collection this viewer sees (hidden ones are never counted)."""
    if not collection_ids:
        return {}
    rows = session.execute(
        select(CollectionItem.collection_id, func.count())
        .join(Asset, Asset.id == CollectionItem.asset_id)
        .where(CollectionItem.collection_id.in_(collection_ids), visible_assets(viewer))
        .group_by(CollectionItem.collection_id)
    )
    return {cid: n for cid, n in rows}


def collections_holding(session: Session, viewer: Viewer, asset_id: int) -> list[Collection]:
    """The viewer's reachable collections that hold this asset (the asset page's "in collections")."""
    holding = select(CollectionItem.collection_id).where(CollectionItem.asset_id == asset_id)
    rows = session.scalars(
        select(Collection)
        .where(and_(readable(viewer), Collection.id.in_(holding)))
        .options(selectinload(Collection.shares))
        .order_by(func.lower(Collection.name))
    )
    return [c for c in rows if access_level(viewer, c) is not None]
