"""``/api/v1/webhooks``: subscriptions (CRUD), their delivery log, redelivery and a test ping (admins)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue

from models import WebhookDelivery, WebhookSubscription
from portal.api import admin_models as m
from portal.api import api_bp
from portal.api.schema import operation, parse_body, respond
from portal.services.distribution import webhooks
from portal.web.context import runtime, viewer


def _sub(sub: WebhookSubscription, *, secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sub.id,
        "url": sub.url,
        "events": list(sub.events),
        "description": sub.description,
        "active": sub.active,
        "created_at": sub.created_at.isoformat(),
    }
    if secret:
        data["secret"] = sub.secret
    return data


def _delivery(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event": d.event,
        "status": d.status,
        "attempts": d.attempts,
        "response_code": d.response_code,
        "last_error": d.last_error,
        "payload": d.payload,
        "created_at": d.created_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
    }


@api_bp.get("/webhooks")
@operation(responses={200: m.WebhookList}, errors=(403,))
def list_webhooks() -> ResponseReturnValue:
    """Every webhook subscription (admins)."""
    with runtime().db.session() as session:
        items = [_sub(s) for s in webhooks.list_subscriptions(session, viewer())]
    return respond(m.WebhookList, {"items": items})


@api_bp.post("/webhooks")
@operation(responses={201: m.WebhookCreated}, body=m.WebhookBody, errors=(403,))
def create_webhook() -> ResponseReturnValue:
    """Subscribe a URL to events (admins); the answer shows the signing secret, this once."""
    body = parse_body(m.WebhookBody)
    with runtime().db.transaction() as session:
        sub = webhooks.create_subscription(
            session, viewer(), body.url, list[str](body.events), body.description
        )
        data = _sub(sub, secret=True)
    return respond(m.WebhookCreated, data, 201)


@api_bp.get("/webhooks/<int:sub_id>")
@operation(responses={200: m.Webhook}, errors=(403,))
def get_webhook(sub_id: int) -> ResponseReturnValue:
    """One subscription (admins)."""
    with runtime().db.session() as session:
        return respond(m.Webhook, _sub(webhooks.get_subscription(session, viewer(), sub_id)))


@api_bp.patch("/webhooks/<int:sub_id>")
@operation(responses={200: m.Webhook}, body=m.WebhookPatch, errors=(403,))
def patch_webhook(sub_id: int) -> ResponseReturnValue:
    """Change a subscription's URL, events, description or active flag (admins)."""
    patch = parse_body(m.WebhookPatch)
    with runtime().db.transaction() as session:
        sub = webhooks.get_subscription(session, viewer(), sub_id)
        given = patch.model_fields_set
        sub = webhooks.update_subscription(
            session,
            viewer(),
            sub_id,
            url=patch.url if "url" in given and patch.url else sub.url,
            events=list[str](patch.events) if "events" in given and patch.events else list(sub.events),
            active=patch.active if "active" in given and patch.active is not None else sub.active,
            description=patch.description
            if "description" in given and patch.description
            else sub.description,
        )
        data = _sub(sub)
    return respond(m.Webhook, data)


@api_bp.delete("/webhooks/<int:sub_id>")
@operation(responses={204: None}, errors=(403,))
def delete_webhook(sub_id: int) -> ResponseReturnValue:
    """Delete a subscription and its delivery log (admins); 204."""
    with runtime().db.transaction() as session:
        webhooks.delete_subscription(session, viewer(), sub_id)
    return Response(status=204)


@api_bp.get("/webhooks/<int:sub_id>/deliveries")
@operation(responses={200: m.DeliveryList}, errors=(403,))
def list_deliveries(sub_id: int) -> ResponseReturnValue:
    """The last 100 deliveries of a subscription, newest first (admins)."""
    with runtime().db.session() as session:
        webhooks.get_subscription(session, viewer(), sub_id)
        items = [_delivery(d) for d in webhooks.recent_deliveries(session, sub_id)]
    return respond(m.DeliveryList, {"items": items})


@api_bp.post("/webhooks/<int:sub_id>/deliveries/<int:delivery_id>/redeliver")
@operation(responses={202: m.Delivery}, errors=(403,))
def redeliver(sub_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a delivery again (admins); 202, the delivery is queued."""
    with runtime().db.transaction() as session:
        delivery_pk = webhooks.redeliver(session, viewer(), sub_id, delivery_id).id
    with runtime().db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_pk)
        assert delivery is not None
        return respond(m.Delivery, _delivery(delivery), 202)


@api_bp.post("/webhooks/<int:sub_id>/test")
@operation(responses={202: m.Delivery}, errors=(403,))
def test_webhook(sub_id: int) -> ResponseReturnValue:
    """Queue a ``ping`` delivery to a subscription (admins); 202."""
    with runtime().db.transaction() as session:
        delivery_pk = webhooks.send_test(session, viewer(), sub_id).id
    with runtime().db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_pk)
        assert delivery is not None
        return respond(m.Delivery, _delivery(delivery), 202)
