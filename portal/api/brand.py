"""``/api/v1``: collections and their items, share links (create, list, revoke, access log) and the
caller's saved searches. Who may do what is decided by the services, as for the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from flask import Response, url_for
from flask.typing import ResponseReturnValue

from models import Collection, Role, SavedSearch, ShareLink
from portal.api import api_bp
from portal.api import brand_models as m
from portal.api.schema import operation, parse_body, respond
from portal.errors import ValidationError
from portal.services.brand import collections, share_links
from portal.services.governance.policy import require_role
from portal.services.governance.rights import parse_expiry
from portal.services.search import saved
from portal.services.search.queries import parse_params
from portal.web.context import runtime, viewer


def _collection(session: Any, c: Collection) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "asset_ids": collections.visible_item_ids(session, c.id, viewer()),
    }


@api_bp.get("/collections")
@operation(responses={200: m.CollectionList}, errors=(403,))
def list_collections() -> ResponseReturnValue:
    """Every collection with the asset ids the caller may see (managers, as on the brand admin pages)."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        items = [_collection(session, c) for c in collections.list_collections(session)]
    return respond(m.CollectionList, {"items": items})


@api_bp.post("/collections")
@operation(responses={201: m.CollectionOut}, body=m.CollectionBody, errors=(403, 409))
def create_collection() -> ResponseReturnValue:
    """A new collection, optionally with its first assets (managers); 409 for a name in use."""
    body = parse_body(m.CollectionBody)
    with runtime().db.transaction() as session:
        c = collections.create_collection(session, viewer(), body.name, body.description)
        if body.asset_ids:
            collections.add_items(session, viewer(), c.id, body.asset_ids)
        collection_id = c.id
    with runtime().db.session() as session:
        return respond(
            m.CollectionOut, _collection(session, collections.get_collection(session, collection_id)), 201
        )


@api_bp.get("/collections/<int:collection_id>")
@operation(responses={200: m.CollectionOut}, errors=(403,))
def get_collection(collection_id: int) -> ResponseReturnValue:
    """One collection with the asset ids the caller may see (managers)."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        return respond(
            m.CollectionOut, _collection(session, collections.get_collection(session, collection_id))
        )


@api_bp.delete("/collections/<int:collection_id>")
@operation(responses={204: None}, errors=(403,))
def delete_collection(collection_id: int) -> ResponseReturnValue:
    """Delete a collection (managers); 204."""
    with runtime().db.transaction() as session:
        collections.delete_collection(session, viewer(), collection_id)
    return Response(status=204)


@api_bp.post("/collections/<int:collection_id>/items")
@operation(responses={200: m.CollectionOut}, body=m.Items, errors=(403,))
def add_collection_items(collection_id: int) -> ResponseReturnValue:
    """Append assets to a collection, each once (managers)."""
    body = parse_body(m.Items)
    with runtime().db.transaction() as session:
        collections.add_items(session, viewer(), collection_id, body.asset_ids)
    with runtime().db.session() as session:
        return respond(
            m.CollectionOut, _collection(session, collections.get_collection(session, collection_id))
        )


@api_bp.delete("/collections/<int:collection_id>/items/<int:asset_id>")
@operation(responses={204: None}, errors=(403,))
def remove_collection_item(collection_id: int, asset_id: int) -> ResponseReturnValue:
    """Take one asset out of a collection (managers); 204."""
    with runtime().db.transaction() as session:
        collections.get_collection(session, collection_id)
        collections.remove_item(session, viewer(), collection_id, asset_id)
    return Response(status=204)


def _link(link: ShareLink, views: int = 0, downloads: int = 0) -> dict[str, Any]:
    return {
        "id": link.id,
        "kind": link.kind,
        "target": dict(link.target or {}),
        "title": link.title,
        "expires_at": link.expires_at.isoformat(),
        "state": share_links.link_state(link),
        "allowed_presets": list(link.allowed_presets or []),
        "download": link.download,
        "password": link.password_hash is not None,
        "views": views,
        "downloads": downloads,
    }


@api_bp.get("/share-links")
@operation(responses={200: m.ShareLinkList}, errors=(403,))
def list_share_links() -> ResponseReturnValue:
    """Every share link, newest first, with view and download counts (managers)."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        items = [_link(link, v, d) for link, v, d in share_links.list_links(session)]
    return respond(m.ShareLinkList, {"items": items})


@api_bp.post("/share-links")
@operation(responses={201: m.ShareLinkCreated}, body=m.ShareLinkBody, errors=(403,))
def create_share_link() -> ResponseReturnValue:
    """Share a selection, a collection or a search (managers); the answer's URL holds the token, shown
    this once."""
    body = parse_body(m.ShareLinkBody)
    expires: datetime | None = parse_expiry(body.expires_at)
    if expires is None:
        raise ValidationError("expires_at: give the date the link stops working")
    target = {"asset_ids": body.asset_ids, "collection_id": body.collection_id, "query": body.query}
    with runtime().db.transaction() as session:
        new = share_links.create_link(
            session, viewer(), kind=body.kind, target=target, expires_at=expires, title=body.title,
            note=body.note, password=body.password, allowed_presets=body.allowed_presets,
            download=body.download,
        )  # fmt: skip
    with runtime().db.session() as session:
        data = _link(share_links.get_link(session, viewer(), new.id))
    data["url"] = url_for("share.show", token=new.token, _external=True)
    return respond(m.ShareLinkCreated, data, 201)


@api_bp.post("/share-links/<int:link_id>/revoke")
@operation(responses={200: m.ShareLinkOut}, errors=(403,))
def revoke_share_link(link_id: int) -> ResponseReturnValue:
    """Revoke a link at once (managers)."""
    with runtime().db.transaction() as session:
        share_links.revoke(session, viewer(), link_id)
    with runtime().db.session() as session:
        return respond(m.ShareLinkOut, _link(share_links.get_link(session, viewer(), link_id)))


@api_bp.get("/share-links/<int:link_id>/access")
@operation(responses={200: m.AccessList}, errors=(403,))
def share_link_access(link_id: int) -> ResponseReturnValue:
    """A link's last 200 views and downloads (managers)."""
    with runtime().db.session() as session:
        share_links.get_link(session, viewer(), link_id)
        items = [
            {
                "at": a.at.isoformat(),
                "action": a.action,
                "asset_id": a.asset_id,
                "preset": a.preset,
                "ip": a.client_ip,
            }
            for a in share_links.access_log(session, link_id)
        ]
    return respond(m.AccessList, {"items": items})


def _saved(s: SavedSearch) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "query": s.query}


@api_bp.get("/saved-searches")
@operation(responses={200: m.SavedSearchList})
def list_saved_searches() -> ResponseReturnValue:
    """The caller's saved searches, by name."""
    with runtime().db.session() as session:
        items = [_saved(s) for s in saved.saved_searches(session, viewer().user_id or 0)]
    return respond(m.SavedSearchList, {"items": items})


@api_bp.post("/saved-searches")
@operation(responses={201: m.SavedSearchOut}, body=m.SavedSearchBody, errors=(409,))
def create_saved_search() -> ResponseReturnValue:
    """Save a search (the query string of ``/api/v1/search``) under a name; 409 for a name in use."""
    body = parse_body(m.SavedSearchBody)
    params = parse_params(parse_qs(body.query.lstrip("?")))
    with runtime().db.transaction() as session:
        data = _saved(saved.save_search(session, viewer(), body.name, params))
    return respond(m.SavedSearchOut, data, 201)


@api_bp.delete("/saved-searches/<int:saved_id>")
@operation(responses={204: None})
def delete_saved_search(saved_id: int) -> ResponseReturnValue:
    """Delete one of the caller's saved searches; 204 (someone else's is 404)."""
    with runtime().db.transaction() as session:
        saved.delete_saved_search(session, viewer(), saved_id)
    return Response(status=204)
