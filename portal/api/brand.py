"""``/api/v1``: share links (create, list, revoke, access log) and the caller's saved searches (collections
live in ``portal.api.collections``). Who may do what is decided by the services, as for the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from flask import Response, url_for
from flask.typing import ResponseReturnValue

from models import Role, SavedSearch, ShareLink
from portal.api import api_bp
from portal.api import brand_models as m
from portal.api.schema import operation, parse_body, respond
from portal.errors import ValidationError
from portal.services.brand import share_links
from portal.services.governance.policy import require_role
from portal.services.governance.rights import parse_expiry
from portal.services.search import saved
from portal.services.search.queries import parse_params
from portal.web.context import runtime, viewer


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
