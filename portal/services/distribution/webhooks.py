"""Webhooks: subscriptions, signed JSON deliveries recorded through the outbox, retries with backoff.

A delivery is a row written in the same transaction as the change that causes it, plus an outbox item
that sends it after commit. Each attempt POSTs the JSON body with

    X-Assetport-Event: asset.approved
    X-Assetport-Delivery: <delivery id>           (receivers use it to drop duplicates)
    X-Assetport-Timestamp: <unix seconds>
    X-Assetport-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription secret>

A 2xx answer ends it; anything else (or no answer) is retried after ``backoff * 2**(attempt-1)`` seconds
as a delayed outbox item, up to ``webhook_max_attempts`` attempts; then the delivery is marked failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Asset, Product, Role, WebhookDelivery, WebhookSubscription
from models.base import utcnow
from portal.errors import NotFound, ValidationError
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.catalog import linking
from portal.services.governance.policy import Viewer, require_role

log = logging.getLogger(__name__)
EVENTS: Final = (
    "asset.approved",
    "asset.updated",
    "asset.archived",
    "asset.expired",
    "product.assets_changed",
)
SIGNATURE_HEADER: Final = "X-Assetport-Signature"
TIMESTAMP_HEADER: Final = "X-Assetport-Timestamp"


# --- signing -----------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for a body: ``sha256=<hex>`` over ``"<timestamp>.<body>"``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: float = 300.0) -> bool:
    """What a receiver does: constant-time compare, and refuse old timestamps (replays)."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


# --- subscriptions -----------------------------------------------------------------------------------


def _check(url: str, events: list[str]) -> None:
    parts = urlsplit(url.strip())
    problems = []
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append("URL: an http:// or https:// address")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        problems.append(f"unknown event(s) {', '.join(unknown)}; choose from {', '.join(EVENTS)}")
    if not events:
        problems.append("choose at least one event")
    if problems:
        raise ValidationError("; ".join(problems))


def create_subscription(
    session: Session, viewer: Viewer, url: str, events: list[str], description: str = ""
) -> WebhookSubscription:
    """A new subscription with a generated secret (admins)."""
    require_role(viewer, Role.ADMIN)
    _check(url, events)
    sub = WebhookSubscription(
        url=url.strip(),
        events=sorted(set(events)),
        description=description.strip()[:300],
        secret=secrets.token_urlsafe(32),
    )
    session.add(sub)
    session.flush()
    return sub


def update_subscription(
    session: Session, viewer: Viewer, sub_id: int, *, url: str, events: list[str], active: bool,
    description: str = "",
) -> WebhookSubscription:  # fmt: skip
    """Change a subscription's address, events or active flag (admins)."""
    require_role(viewer, Role.ADMIN)
    sub = get_subscription(session, viewer, sub_id)
    _check(url, events)
    sub.url, sub.events, sub.active = url.strip(), sorted(set(events)), active
    sub.description = description.strip()[:300]
    return sub


def delete_subscription(session: Session, viewer: Viewer, sub_id: int) -> None:
    """Delete a subscription and its delivery log (admins)."""
    session.delete(get_subscription(session, viewer, sub_id))


def get_subscription(session: Session, viewer: Viewer, sub_id: int) -> WebhookSubscription:
    """One subscription (admins); NotFound otherwise."""
    require_role(viewer, Role.ADMIN)
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None:
        raise NotFound("no such webhook subscription")
    return sub


def list_subscriptions(session: Session, viewer: Viewer) -> list[WebhookSubscription]:
    """Every subscription (admins)."""
    require_role(viewer, Role.ADMIN)
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def recent_deliveries(session: Session, sub_id: int, limit: int = 100) -> list[WebhookDelivery]:
    """The delivery log of a subscription, newest first."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == sub_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# --- emitting ----------------------------------------------------------------------------------------


def asset_payload(session: Session, asset_id: int) -> dict[str, Any]:
    """The standard payload for an asset event: id, title, status, visibility and article numbers."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        return {"asset_id": asset_id, "article_numbers": []}
    return {
        "asset_id": asset.id,
        "title": asset.title,
        "status": asset.status,
        "visibility": asset.visibility,
        "version_id": asset.approved_version_id or asset.current_version_id,
        "article_numbers": linking.article_numbers_for_asset(session, asset.id),
    }


def emit(session: Session, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Record a delivery per active subscription to ``event``, sent after the transaction commits.

    A payload naming ``asset_id`` but no ``article_numbers`` gets the asset's article numbers added.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    data = dict(payload)
    if "asset_id" in data and "article_numbers" not in data:
        data["article_numbers"] = linking.article_numbers_for_asset(session, int(data["asset_id"]))
    subs = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))).all()
    made = []
    for sub in subs:
        if event not in (sub.events or []):
            continue
        delivery = WebhookDelivery(subscription_id=sub.id, event=event, payload=data)
        session.add(delivery)
        session.flush()
        outbox.record(session, "webhooks.deliver", delivery_id=delivery.id)
        made.append(delivery)
    return made


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON body of a delivery (the same bytes on every attempt)."""
    envelope = {
        "id": delivery.id,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


# --- sending -----------------------------------------------------------------------------------------


def attempt(rt: Runtime, delivery_id: int) -> str | None:
    """Send one pending delivery once; record the answer and schedule a retry. Returns the new status."""
    with rt.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return None if delivery is None else delivery.status
        url, secret = delivery.subscription.url, delivery.subscription.secret
        active, body, event = delivery.subscription.active, body_of(delivery), delivery.event
    code, error = _post(rt, url, secret, body, event, delivery_id) if active else (None, "subscription off")
    with rt.db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return None
        return _record_attempt(rt, session, delivery, code, error)


def _post(
    rt: Runtime, url: str, secret: str, body: bytes, event: str, delivery_id: int
) -> tuple[int | None, str | None]:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Assetport-Webhooks/1",
        "X-Assetport-Event": event,
        "X-Assetport-Delivery": str(delivery_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    try:
        resp = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=rt.settings.webhook_timeout_seconds,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    error = None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}: {resp.text[:200]}"
    return resp.status_code, error


def _record_attempt(
    rt: Runtime, session: Session, delivery: WebhookDelivery, code: int | None, error: str | None
) -> str:
    delivery.attempts += 1
    delivery.response_code = code
    delivery.last_error = error
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", utcnow(), None
    elif delivery.attempts >= rt.settings.webhook_max_attempts or not delivery.subscription.active:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delay = rt.settings.webhook_backoff_seconds * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
        outbox.record(
            session, "webhooks.deliver", delivery_id=delivery.id, not_before=delivery.next_attempt_at
        )
    return delivery.status


def send_test(session: Session, viewer: Viewer, sub_id: int) -> WebhookDelivery:
    """Queue a test delivery to one subscription (admins), whatever its events."""
    sub = get_subscription(session, viewer, sub_id)
    delivery = WebhookDelivery(
        subscription_id=sub.id, event="ping", payload={"message": "test delivery", "article_numbers": []}
    )
    session.add(delivery)
    session.flush()
    outbox.record(session, "webhooks.deliver", delivery_id=delivery.id)
    return delivery


def redeliver(session: Session, viewer: Viewer, sub_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery of a subscription again, from a fresh attempt count (admins)."""
    sub = get_subscription(session, viewer, sub_id)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != sub.id:
        raise NotFound("no such delivery for this subscription")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, None
    delivery.last_error = None
    session.flush()
    outbox.record(session, "webhooks.deliver", delivery_id=delivery.id)
    return delivery


# Workflow actions that partners' systems hear about (the rest are internal steps).
TRANSITION_EVENTS: Final = {
    "approve": "asset.approved",
    "restore": "asset.approved",  # back from the archive: out again, as after an approval
    "archive": "asset.archived",
}


def _anyone_listening(session: Session) -> bool:
    return (
        session.scalar(select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True)).limit(1))
        is not None
    )


def listening(session: Session) -> bool:
    """Whether any active subscription exists (bulk writers check once per chunk, not per asset)."""
    return _anyone_listening(session)


def emit_asset_event(session: Session, event: str, asset_id: int) -> list[WebhookDelivery]:
    """Emit an asset event with the standard payload (skips the lookup when nobody subscribed)."""
    if not _anyone_listening(session):
        return []
    return emit(session, event, asset_payload(session, asset_id))


def emit_links_changed(
    session: Session, change: str, asset_ids: Sequence[int], article_numbers: Sequence[str | None],
    model_codes: Sequence[str | None],
) -> list[WebhookDelivery]:  # fmt: skip
    """``product.assets_changed`` for links added (``change="linked"``) or removed (``"unlinked"``): the
    assets and the article numbers concerned (a model-code link concerns every variant of the model)."""
    if not asset_ids or not _anyone_listening(session):
        return []
    models = sorted({m for m in model_codes if m})
    numbers = {n for n in article_numbers if n}
    for start in range(0, len(models), 500):
        query = select(Product.article_number).where(Product.model_code.in_(models[start : start + 500]))
        numbers.update(session.scalars(query))
    payload = {
        "change": change,
        "asset_ids": sorted(set(asset_ids)),
        "article_numbers": sorted(numbers),
        "model_codes": models,
    }
    return emit(session, "product.assets_changed", payload)


def emit_for_transition(session: Session, action: str, asset_id: int) -> list[WebhookDelivery]:
    """What the workflow calls after a transition: approve -> asset.approved, archive -> asset.archived."""
    event = TRANSITION_EVENTS.get(action)
    return emit_asset_event(session, event, asset_id) if event else []
