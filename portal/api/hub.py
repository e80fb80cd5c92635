"""``/api/v1/brand``: the brand hub's settings and sections (everyone logged in reads; the services
decide who writes: admins the settings, managers the sections)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue

from models import BrandSection, BrandSettings
from portal.api import api_bp
from portal.api import brand_models as m
from portal.api.schema import operation, parse_body, respond
from portal.services.brand import hub
from portal.web.context import runtime, viewer


def _settings(s: BrandSettings) -> dict[str, Any]:
    return {
        "name": s.name,
        "colour": s.colour,
        "intro": s.intro,
        "terms": s.terms,
        "terms_version": s.terms_version,
        "public_presets": list(s.public_presets or []),
    }


def _section(s: BrandSection) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "slug": s.slug,
        "position": s.position,
        "kind": s.kind,
        "collection_id": s.collection_id,
        "query": s.query,
        "description": s.description,
    }


@api_bp.get("/brand/settings")
@operation(responses={200: m.HubSettings})
def get_hub_settings() -> ResponseReturnValue:
    """The brand hub's name, colour, intro, terms (and their version) and public download presets."""
    with runtime().db.session() as session:
        return respond(m.HubSettings, _settings(hub.get_settings(session)))


@api_bp.put("/brand/settings")
@operation(responses={200: m.HubSettings}, body=m.HubSettingsBody, errors=(403,))
def put_hub_settings() -> ResponseReturnValue:
    """Save the hub's look and rules (admins); changed terms must be accepted again."""
    body = parse_body(m.HubSettingsBody)
    with runtime().db.transaction() as session:
        data = _settings(hub.update_settings(session, viewer(), **body.model_dump()))
    return respond(m.HubSettings, data)


@api_bp.get("/brand/sections")
@operation(responses={200: m.SectionList})
def list_hub_sections() -> ResponseReturnValue:
    """The hub's sections in their order."""
    with runtime().db.session() as session:
        return respond(m.SectionList, {"items": [_section(s) for s in hub.list_sections(session)]})


@api_bp.post("/brand/sections")
@operation(responses={201: m.Section}, body=m.SectionBody, errors=(403, 409))
def create_hub_section() -> ResponseReturnValue:
    """Add a section at the end of the hub's home page (managers): a collection or a saved search."""
    body = parse_body(m.SectionBody)
    with runtime().db.transaction() as session:
        data = _section(hub.create_section(session, viewer(), **body.model_dump()))
    return respond(m.Section, data, 201)


@api_bp.post("/brand/sections/<int:section_id>/move")
@operation(responses={200: m.SectionList}, body=m.SectionMove, errors=(403,))
def move_hub_section(section_id: int) -> ResponseReturnValue:
    """Move a section one place up (``-1``) or down (``1``) (managers); answers the new order."""
    body = parse_body(m.SectionMove)
    with runtime().db.transaction() as session:
        hub.move_section(session, viewer(), section_id, body.step)
        items = [_section(s) for s in hub.list_sections(session)]
    return respond(m.SectionList, {"items": items})


@api_bp.delete("/brand/sections/<int:section_id>")
@operation(responses={204: None}, errors=(403,))
def delete_hub_section(section_id: int) -> ResponseReturnValue:
    """Remove a section (managers; its collection stays); 204."""
    with runtime().db.transaction() as session:
        hub.delete_section(session, viewer(), section_id)
    return Response(status=204)
