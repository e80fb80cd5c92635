"""``/api/v1/collections``: every user's collections (lightboxes), their items and shares. Who may do what
is decided by ``portal.services.brand.collections``: owners own, shares give view or edit, and a
collection's answer holds only the assets the caller may see."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from models import Collection
from portal.api import api_bp
from portal.api import collection_models as m
from portal.api.schema import operation, parse_body, respond
from portal.services.brand import collection_shares as sharing
from portal.services.brand import collections as service
from portal.services.brand.collections import VIEW
from portal.web.context import runtime, viewer


def _out(session: Session, c: Collection) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "asset_ids": service.visible_item_ids(session, c.id, viewer()),
        "owner_id": c.created_by_id,
        "access": service.access_level(viewer(), c),
    }


def _answer(collection_id: int, status: int = 200) -> ResponseReturnValue:
    with runtime().db.session() as session:
        collection = service.get_collection(session, viewer(), collection_id, VIEW)
        return respond(m.CollectionOut, _out(session, collection), status)


@api_bp.get("/collections")
@operation(responses={200: m.CollectionList})
def list_collections() -> ResponseReturnValue:
    """The caller's collections and those shared with them, with how many assets the caller sees."""
    with runtime().db.session() as session:
        found = service.list_collections(session, viewer())
        counts = service.visible_counts(session, viewer(), [c.id for c in found])
        items = [
            {
                "id": c.id,
                "name": c.name,
                "description": c.description,
                "owner_id": c.created_by_id,
                "access": service.access_level(viewer(), c),
                "count": counts.get(c.id, 0),
            }
            for c in found
        ]
    return respond(m.CollectionList, {"items": items})


@api_bp.post("/collections")
@operation(responses={201: m.CollectionOut}, body=m.CollectionBody, errors=(409,))
def create_collection() -> ResponseReturnValue:
    """A new collection owned by the caller, optionally with its first assets; 409 for a name the caller
    uses already."""
    body = parse_body(m.CollectionBody)
    with runtime().db.transaction() as session:
        c = service.create_collection(session, viewer(), body.name, body.description)
        if body.asset_ids:
            service.add_items(session, viewer(), c.id, body.asset_ids)
        collection_id = c.id
    return _answer(collection_id, 201)


@api_bp.get("/collections/<int:collection_id>")
@operation(responses={200: m.CollectionOut}, errors=(404,))
def get_collection(collection_id: int) -> ResponseReturnValue:
    """One collection with the asset ids the caller may see (404 when it is not shared with the caller)."""
    return _answer(collection_id)


@api_bp.patch("/collections/<int:collection_id>")
@operation(responses={200: m.CollectionOut}, body=m.CollectionPatch, errors=(403, 404, 409))
def update_collection(collection_id: int) -> ResponseReturnValue:
    """Rename a collection or change its description (owner and editors)."""
    body = parse_body(m.CollectionPatch)
    with runtime().db.transaction() as session:
        service.update_collection(
            session, viewer(), collection_id, name=body.name, description=body.description
        )
    return _answer(collection_id)


@api_bp.delete("/collections/<int:collection_id>")
@operation(responses={204: None}, errors=(403, 404))
def delete_collection(collection_id: int) -> ResponseReturnValue:
    """Delete a collection (its owner); 204."""
    with runtime().db.transaction() as session:
        service.delete_collection(session, viewer(), collection_id)
    return Response(status=204)


@api_bp.post("/collections/<int:collection_id>/items")
@operation(responses={200: m.CollectionOut}, body=m.Items, errors=(403, 404))
def add_collection_items(collection_id: int) -> ResponseReturnValue:
    """Append assets the caller may see, each once (owner and editors)."""
    body = parse_body(m.Items)
    with runtime().db.transaction() as session:
        service.add_items(session, viewer(), collection_id, body.asset_ids)
    return _answer(collection_id)


@api_bp.delete("/collections/<int:collection_id>/items/<int:asset_id>")
@operation(responses={204: None}, errors=(403, 404))
def remove_collection_item(collection_id: int, asset_id: int) -> ResponseReturnValue:
    """Take one asset out of a collection (owner and editors); 204."""
    with runtime().db.transaction() as session:
        service.remove_item(session, viewer(), collection_id, asset_id)
    return Response(status=204)


@api_bp.post("/collections/<int:collection_id>/items/<int:asset_id>/move")
@operation(responses={200: m.CollectionOut}, body=m.ItemMove, errors=(403, 404))
def move_collection_item(collection_id: int, asset_id: int) -> ResponseReturnValue:
    """Move an asset one place up or down (owner and editors)."""
    body = parse_body(m.ItemMove)
    with runtime().db.transaction() as session:
        service.move_item(session, viewer(), collection_id, asset_id, body.step)
    return _answer(collection_id)


def _shares(collection_id: int, status: int = 200) -> ResponseReturnValue:
    with runtime().db.session() as session:
        rows = sharing.list_shares(session, viewer(), collection_id)
    items = [
        {"id": r.id, "user_id": r.user_id, "email": r.email, "role": r.role, "permission": r.permission}
        for r in rows
    ]
    return respond(m.ShareList, {"items": items}, status)


@api_bp.get("/collections/<int:collection_id>/shares")
@operation(responses={200: m.ShareList}, errors=(403, 404))
def list_collection_shares(collection_id: int) -> ResponseReturnValue:
    """Who a collection is shared with (its owner)."""
    return _shares(collection_id)


@api_bp.post("/collections/<int:collection_id>/shares")
@operation(responses={200: m.ShareList}, body=m.ShareBody, errors=(403, 404))
def share_collection(collection_id: int) -> ResponseReturnValue:
    """Share with a user or a role to view or edit (its owner); sharing again changes the permission.
    Members see only the assets their own role may see."""
    body = parse_body(m.ShareBody)
    with runtime().db.transaction() as session:
        sharing.share(
            session, viewer(), collection_id, permission=body.permission,
            email=body.email, user_id=body.user_id, role=body.role,
        )  # fmt: skip
    return _shares(collection_id)


@api_bp.delete("/collections/<int:collection_id>/shares/<int:share_id>")
@operation(responses={204: None}, errors=(403, 404))
def unshare_collection(collection_id: int, share_id: int) -> ResponseReturnValue:
    """Stop a share (its owner); 204."""
    with runtime().db.transaction() as session:
        sharing.unshare(session, viewer(), collection_id, share_id)
    return Response(status=204)
