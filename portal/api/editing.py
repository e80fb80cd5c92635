"""``PATCH /api/v1/assets/<id>`` with ETags, the product links of an asset, and ``GET /api/v1/products``.

The views only translate JSON to the services' edit values: who may change what, in which state, is decided
by ``portal.services.catalog.editing`` and ``portal.services.governance.rights``, as for the pages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from indexer.custom_fields import load_specs
from models import Product
from portal.api import api_bp
from portal.api import models as m
from portal.api.schema import etag_of, operation, parse_body, parse_query, respond, with_etag
from portal.errors import PreconditionFailed
from portal.services.catalog import assets as asset_service
from portal.services.catalog import browse, custom_values, editing
from portal.services.catalog.products import product_to_dict
from portal.services.governance import policy, rights
from portal.web.context import client_ip, runtime, viewer

_METADATA = ("title", "description", "tags", "rights_note")
_RIGHTS = ("visibility", "rights_note", "usage_restrictions", "expires_at")


def _check_if_match(detail: dict[str, Any]) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    if "*" not in tags and etag_of(detail) not in tags:
        raise PreconditionFailed("the asset changed since it was read (stale ETag): reload it and try again")


def _apply_patch(session: Session, asset_id: int, patch: m.AssetPatch, current: dict[str, Any]) -> None:
    given = patch.model_fields_set
    if not given or (given == {"fields"} and not patch.fields):
        # An empty patch changes nothing, but answers the same as a real one would: may this caller edit?
        policy.require_edit(viewer(), asset_service.get_asset(session, viewer(), asset_id))
    ip = client_ip()
    if given & set(_METADATA):
        values = {name: current.get(name) or "" for name in ("title", "description", "rights_note")}
        values |= {
            name: getattr(patch, name) or ""
            for name in ("title", "description", "rights_note")
            if name in given
        }
        form: dict[str, str] = dict(values)
        if "tags" in given:
            form["tags"] = ",".join(patch.tags or [])
        editing.update_asset_metadata(session, viewer(), asset_id, editing.parse_metadata_form(form), ip=ip)
    if "fields" in given and patch.fields:
        specs = load_specs(session)
        values = custom_values.parse_values(specs, viewer(), patch.fields)
        edit = editing.MetadataEdit(None, None, None, given=frozenset(), custom_fields=values)
        editing.update_asset_metadata(session, viewer(), asset_id, edit, ip=ip)
    if given & {"visibility", "usage_restrictions", "expires_at"}:
        old = {
            "visibility": current["visibility"],
            "rights_note": (patch.rights_note if "rights_note" in given else current.get("rights_note"))
            or "",
            "usage_restrictions": current.get("usage_restrictions") or "",
            "rights_expire_at": current.get("rights_expire_at") or "",
        }
        if "visibility" in given and patch.visibility is not None:
            old["visibility"] = patch.visibility
        if "usage_restrictions" in given:
            old["usage_restrictions"] = patch.usage_restrictions or ""
        if "expires_at" in given:
            old["rights_expire_at"] = patch.expires_at or ""
        rights.update_rights(session, viewer(), asset_id, rights.parse_rights_form(old), ip=ip)


@api_bp.patch("/assets/<int:asset_id>")
@operation(responses={200: m.AssetDetail}, body=m.AssetPatch, errors=(403, 409, 412))
def patch_asset(asset_id: int) -> ResponseReturnValue:
    """Change title, description, tags, visibility, rights note, usage restrictions, expiry or custom
    field values (``fields``: key -> value, null clears), by the same rules as the asset page. Send
    ``If-Match`` with the ETag from GET: a stale one answers 412. The answer carries the new ETag."""
    patch = parse_body(m.AssetPatch)
    with runtime().db.transaction() as session:
        current = asset_service.asset_detail(session, viewer(), asset_id)
        _check_if_match(current)
        _apply_patch(session, asset_id, patch, current)
    with runtime().db.session() as session:
        detail = asset_service.asset_detail(session, viewer(), asset_id)
    return with_etag(respond(m.AssetDetail, detail), detail)


@api_bp.get("/assets/<int:asset_id>/links")
@operation(responses={200: m.LinkList})
def list_links(asset_id: int) -> ResponseReturnValue:
    """The product links of an asset (article numbers and model codes, with where each came from)."""
    with runtime().db.session() as session:
        detail = asset_service.asset_detail(session, viewer(), asset_id)
    return respond(m.LinkList, {"items": detail["links"]})


@api_bp.post("/assets/<int:asset_id>/links")
@operation(responses={201: m.Link}, body=m.LinkCreate, errors=(403, 409))
def create_link(asset_id: int) -> ResponseReturnValue:
    """Link an asset to an article number or a model code (editors); an unknown key is 404."""
    body = parse_body(m.LinkCreate)
    with runtime().db.transaction() as session:
        link = editing.link_product(session, viewer(), asset_id, body.key, ip=client_ip())
        data = {
            "id": link.id,
            "article_number": link.article_number,
            "model_code": link.model_code,
            "source": link.source,
        }
    return respond(m.Link, data, 201)


@api_bp.delete("/assets/<int:asset_id>/links/<int:link_id>")
@operation(responses={204: None}, errors=(403,))
def delete_link(asset_id: int, link_id: int) -> ResponseReturnValue:
    """Remove one product link (editors); 204."""
    with runtime().db.transaction() as session:
        editing.unlink_product(session, viewer(), asset_id, link_id, ip=client_ip())
    return Response(status=204)


@api_bp.get("/products")
@operation(responses={200: m.ProductPage}, query=m.ProductQuery, paged=True)
def list_products() -> ResponseReturnValue:
    """Products by text (words in article number, name or model code) and category, by name; each with
    the thumbnail of an asset the caller may see (the product pickers of the pages use this list too)."""
    query = parse_query(m.ProductQuery)
    with runtime().db.session() as session:
        page = browse.search_products(
            session, q=query.q, category=query.category, page=query.page, size=query.size
        )
        media = browse.product_media(session, viewer(), page.items)
        data = {
            "items": [_listed(p, media.get(p.article_number)) for p in page.items],
            "total": page.total,
            "page": page.page,
            "size": page.size,
            "pages": page.pages,
        }
    return respond(m.ProductPage, data)


def _listed(product: Product, media: browse.ProductMedia | None) -> dict[str, Any]:
    thumb = media.thumb_asset_id if media else None
    return {**product_to_dict(product), "thumbnail_url": f"/a/{thumb}/thumb" if thumb else None}
