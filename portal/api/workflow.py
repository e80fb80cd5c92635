"""``/api/v1/assets/<id>/transitions`` and ``/api/v1/review-queue``: the approval workflow over JSON."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from portal.api import api_bp, json_body
from portal.api import models as m
from portal.api.schema import operation
from portal.errors import ValidationError
from portal.services.catalog import assets as asset_service
from portal.services.governance import workflow
from portal.services.paging import parse_paging
from portal.web.context import client_ip, runtime, viewer


@api_bp.post("/assets/<int:asset_id>/transitions")
@operation(responses={200: m.TransitionResult}, body=m.Transition, errors=(403, 409))
def transition_asset(asset_id: int) -> ResponseReturnValue:
    """Apply ``{"action": submit|approve|reject|reopen|archive|restore, "comment": "..."}``; an illegal
    transition is a 409 saying why."""
    body = json_body()
    action, comment = body.get("action"), body.get("comment")
    if not isinstance(action, str) or (comment is not None and not isinstance(comment, str)):
        raise ValidationError(
            'send {"action": "submit|approve|reject|reopen|archive|restore", "comment": "..."}'
        )
    with runtime().db.transaction() as session:
        asset = workflow.transition(session, viewer(), asset_id, action, comment, ip=client_ip())
        data = {
            "id": asset.id,
            "status": asset.status,
            "approved_version_id": asset.approved_version_id,
            "current_version_id": asset.current_version_id,
            "review_comment": asset.review_comment,
        }
    return jsonify(data)


@api_bp.get("/review-queue")
@operation(responses={200: m.ReviewPage}, query=m.ReviewQuery, paged=True, errors=(403,))
def review_queue() -> ResponseReturnValue:
    """Assets in review, oldest first; filters ``uploader`` (user id), ``product``, ``category``, ``age``."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"))
    filters = workflow.parse_queue_filters(request.args.to_dict())
    with runtime().db.session() as session:
        result = workflow.review_queue(session, viewer(), filters, page=page, size=size)
        items = []
        for asset in result.items:
            item = asset_service.asset_summary(asset)
            item["submitted_at"] = (asset.status_changed_at or asset.updated_at).isoformat()
            item["uploaded_by"] = asset.uploaded_by.email if asset.uploaded_by else None
            items.append(item)
    return jsonify(
        {
            "items": items,
            "total": result.total,
            "page": result.page,
            "size": result.size,
            "pages": result.pages,
        }
    )
