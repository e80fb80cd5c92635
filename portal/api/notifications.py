"""``/api/v1/notifications``: the caller's in-app notifications, unread count, marking them read."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from models import Notification
from portal.api import api_bp
from portal.api import notification_models as m
from portal.api.schema import operation
from portal.services.notify import center
from portal.services.paging import parse_paging
from portal.web.context import runtime, viewer


def _item(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "asset_id": n.asset_id,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


@api_bp.get("/notifications")
@operation(responses={200: m.NotificationPage}, query=m.NotificationQuery, paged=True)
def list_notifications() -> ResponseReturnValue:
    """Newest first, paged (``page``, ``size``); ``unread=1`` for unread ones only; with the unread count."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"), default_size=50)
    unread_only = request.args.get("unread") in ("1", "true")
    with runtime().db.session() as session:
        result = center.list_for(session, viewer(), page=page, size=size, unread_only=unread_only)
        unread = center.unread_count(session, viewer())
        items = [_item(n) for n in result.items]
    return jsonify(
        {
            "items": items,
            "unread": unread,
            "total": result.total,
            "page": result.page,
            "size": result.size,
            "pages": result.pages,
        }
    )


@api_bp.post("/notifications/<int:notification_id>/read")
@operation(responses={200: m.NotificationItem}, errors=(404,))
def read_notification(notification_id: int) -> ResponseReturnValue:
    """Mark one of the caller's notifications read (someone else's is a 404)."""
    with runtime().db.transaction() as session:
        data = _item(center.mark_read(session, viewer(), notification_id))
    return jsonify(data)


@api_bp.post("/notifications/read-all")
@operation(responses={200: m.MarkedRead})
def read_all_notifications() -> ResponseReturnValue:
    """Mark all of the caller's notifications read; answers how many changed."""
    with runtime().db.transaction() as session:
        done = center.mark_all_read(session, viewer())
    return jsonify({"marked_read": done})
