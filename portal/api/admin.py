"""``/api/v1``: audit events (filters, paging, CSV), users and roles (admins), presets (managers write)
and the renditions of an asset with their stable URLs."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from models import AuditEvent, Role, User
from portal.api import admin_models as m
from portal.api import api_bp
from portal.api.schema import operation, parse_body, parse_query, respond
from portal.errors import NotFound
from portal.media.presets import PresetSpec
from portal.services.accounts import admin as accounts
from portal.services.catalog import assets as asset_service
from portal.services.distribution import renditions
from portal.services.governance import audit_log
from portal.services.governance.policy import can_download
from portal.web.context import client_ip, runtime, viewer


def _event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "actor": e.actor.email if e.actor else None,
        "action": e.action,
        "asset_id": e.asset_id,
        "target": e.target,
        "ip": e.ip,
        "detail": dict(e.detail or {}),
    }


def _filters() -> audit_log.AuditFilters:
    query = parse_query(m.AuditQuery)
    raw = {
        "actor": query.actor,
        "action": query.action,
        "asset": query.asset,
        "from": query.from_,
        "to": query.to,
    }
    return audit_log.parse_filters({k: str(v) for k, v in raw.items() if v is not None})


@api_bp.get("/audit")
@operation(responses={200: m.AuditPage}, query=m.AuditQuery, paged=True, errors=(403,))
def list_audit() -> ResponseReturnValue:
    """Audit events, newest first (managers): ``actor`` (e-mail part), ``action`` (prefix), ``asset``,
    ``from``/``to`` (dates or date-times, UTC)."""
    query = parse_query(m.AuditQuery)
    filters = _filters()
    with runtime().db.session() as session:
        page = audit_log.search_events(session, viewer(), filters, page=query.page, size=query.size)
        data = {
            "items": [_event(e) for e in page.items],
            "total": page.total,
            "page": page.page,
            "size": page.size,
            "pages": page.pages,
        }
    return respond(m.AuditPage, data)


@api_bp.get("/audit.csv")
@operation(responses={200: None}, query=m.AuditQuery, errors=(403,), csv=True)
def audit_csv() -> ResponseReturnValue:
    """Every matching audit event as CSV, oldest first (managers); the same filters as ``/audit``."""
    filters = _filters()
    rt = runtime()
    who = viewer()
    session = rt.db.sessionmaker()
    try:
        lines = audit_log.export_csv(session, who, filters)
        first = next(lines)  # the permission check runs here, before the answer starts
    except Exception:
        session.close()
        raise

    def stream() -> Any:
        try:
            yield first
            yield from lines
        finally:
            session.close()

    response = Response(stream_with_context(stream()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


def _user(user: User, tokens: int) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.is_active,
        "active_tokens": tokens,
    }


@api_bp.get("/users")
@operation(responses={200: m.UserList}, errors=(403,))
def list_users() -> ResponseReturnValue:
    """Every user with role, state and count of active API tokens (admins)."""
    with runtime().db.session() as session:
        items = [_user(u, n) for u, n in accounts.list_users(session, viewer())]
    return respond(m.UserList, {"items": items})


@api_bp.patch("/users/<int:user_id>")
@operation(responses={200: m.UserOut}, body=m.UserPatch, errors=(403, 409))
def patch_user(user_id: int) -> ResponseReturnValue:
    """Change another user's role or disable/enable them (admins; not oneself)."""
    patch = parse_body(m.UserPatch)
    with runtime().db.transaction() as session:
        if patch.role is not None:
            accounts.change_role(session, viewer(), user_id, patch.role, ip=client_ip())
        if patch.active is not None:
            accounts.set_active(session, viewer(), user_id, patch.active, ip=client_ip())
    with runtime().db.session() as session:
        found = {u.id: (u, n) for u, n in accounts.list_users(session, viewer())}
        if user_id not in found:
            raise NotFound("no such user")
        user, tokens = found[user_id]
        return respond(m.UserOut, _user(user, tokens))


@api_bp.get("/roles")
@operation(responses={200: m.RoleList})
def list_roles() -> ResponseReturnValue:
    """The roles, least to most privileged."""
    return respond(m.RoleList, {"items": [r.value for r in Role]})


@api_bp.get("/presets")
@operation(responses={200: m.PresetList})
def list_presets() -> ResponseReturnValue:
    """Every rendition preset (built-in ones first)."""
    with runtime().db.session() as session:
        items = [dataclasses.asdict(s) for s in renditions.list_presets(session, viewer())]
    return respond(m.PresetList, {"items": items})


@api_bp.put("/presets/<name>")
@operation(responses={200: m.Preset}, body=m.PresetBody, errors=(403,))
def put_preset(name: str) -> ResponseReturnValue:
    """Create or change a preset (managers); a changed built-in is stored as an override."""
    body = parse_body(m.PresetBody)
    spec = PresetSpec(name=name, **body.model_dump())
    with runtime().db.transaction() as session:
        renditions.save_preset(session, viewer(), spec)
    return respond(m.Preset, dataclasses.asdict(spec))


@api_bp.delete("/presets/<name>")
@operation(responses={204: None}, errors=(403,))
def delete_preset(name: str) -> ResponseReturnValue:
    """Delete a custom preset, or reset a built-in one (managers); 204."""
    with runtime().db.transaction() as session:
        renditions.delete_preset(session, viewer(), name)
    return Response(status=204)


@api_bp.get("/assets/<int:asset_id>/renditions")
@operation(responses={200: m.RenditionList})
def list_renditions(asset_id: int) -> ResponseReturnValue:
    """The renditions of an asset the caller may download, each with its stable URL (built on demand)."""
    with runtime().db.session() as session:
        asset = asset_service.get_asset(session, viewer(), asset_id)
        choices = [
            (renditions.ORIGINAL, "Original", asset.current_version.format if asset.current_version else None)
        ]
        choices += [(s.name, s.label, s.format) for s in renditions.list_presets(session, viewer())]
        items = [
            {
                "preset": name,
                "label": label,
                "format": fmt,
                "url": url_for("files.asset_file", asset_id=asset.id, preset=name, _external=True),
            }
            for name, label, fmt in choices
            if can_download(viewer(), asset, name)
        ]
    return respond(m.RenditionList, {"items": items})
