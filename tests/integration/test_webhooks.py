"""Webhooks against a real local HTTP receiver: signature, payload with article numbers, retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from models import OutboxItem, Role, WebhookDelivery
from models.base import utcnow
from portal.errors import PermissionDenied, ValidationError
from portal.jobs.outbox import sweep
from portal.runtime import Runtime
from portal.services.catalog.products import upsert_product
from portal.services.distribution import webhooks
from portal.services.governance.policy import Viewer
from tests.integration.distribution_helpers import ingest
from tests.integration.test_packages import _image

ADMIN = Viewer(1, Role.ADMIN)


class Receiver:
    """A threaded HTTP server that records requests and answers with the queued status codes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.codes: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"try later")

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _asset_with_article(rt: Runtime, tmp_path: Path) -> int:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "404.038.96", "name": "Chair"})
    return ingest(rt, _image(tmp_path, "404.038.96_1.jpg", (120, 30, 30)))


def test_signed_delivery_with_article_numbers(rt: Runtime, receiver: Receiver, tmp_path: Path) -> None:
    asset_id = _asset_with_article(rt, tmp_path)
    with rt.db.transaction() as session:
        sub = webhooks.create_subscription(session, ADMIN, receiver.url, ["asset.approved"])
        secret = sub.secret
        webhooks.create_subscription(session, ADMIN, receiver.url, ["asset.archived"])  # not this event
    with rt.db.transaction() as session:
        webhooks.emit(session, "asset.approved", webhooks.asset_payload(session, asset_id))
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["x-assetport-event"] == "asset.approved"
    assert headers["x-assetport-signature"].startswith("sha256=")
    assert webhooks.verify(
        secret, headers["x-assetport-timestamp"], got["body"], headers["x-assetport-signature"]
    )
    assert not webhooks.verify(
        "wrong", headers["x-assetport-timestamp"], got["body"], headers["x-assetport-signature"]
    )
    payload = json.loads(got["body"])
    assert payload["event"] == "asset.approved" and payload["data"]["article_numbers"] == ["404.038.96"]
    with rt.db.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.status == "delivered" and delivery.response_code == 200 and delivery.attempts == 1


def test_failing_receiver_is_retried_with_backoff(rt: Runtime, receiver: Receiver, tmp_path: Path) -> None:
    receiver.codes = [500, 503]
    with rt.db.transaction() as session:
        webhooks.create_subscription(session, ADMIN, receiver.url, ["product.assets_changed"])
    with rt.db.transaction() as session:
        webhooks.emit(session, "product.assets_changed", {"article_numbers": ["A-1"]})
    assert len(receiver.requests) == 1
    with rt.db.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.status == "pending" and delivery.response_code == 500 and delivery.attempts == 1
        assert delivery.next_attempt_at is not None and delivery.next_attempt_at > utcnow()
    assert sweep(rt) == 0, "the retry waits for its backoff"
    for expected_attempts in (2, 3):
        # Let the backoff pass, as the periodic sweep would see it later.
        with rt.db.transaction() as session:
            session.execute(update(OutboxItem).values(not_before=utcnow() - timedelta(seconds=1)))
            session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        assert sweep(rt) == 1
        assert len(receiver.requests) == expected_attempts
    with rt.db.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.status == "delivered" and delivery.attempts == 3 and delivery.response_code == 200
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1, "every attempt sends the same body (receivers dedupe by delivery id)"


def test_gives_up_after_max_attempts(rt: Runtime, tmp_path: Path) -> None:
    rt.settings.webhook_max_attempts = 2
    rt.settings.webhook_backoff_seconds = 0
    with rt.db.transaction() as session:
        # Nothing listens on port 9 (discard): a connection error counts as a failed attempt.
        webhooks.create_subscription(session, ADMIN, "http://127.0.0.1:9/x", ["asset.expired"])
    with rt.db.transaction() as session:
        webhooks.emit(session, "asset.expired", {"asset_id": 999, "article_numbers": []})
    sweep(rt)
    with rt.db.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.status == "failed" and delivery.attempts == 2 and delivery.last_error


def test_subscriptions_need_admins_and_valid_input(rt: Runtime) -> None:
    with rt.db.transaction() as session, pytest.raises(PermissionDenied):
        webhooks.create_subscription(session, Viewer(2, Role.MANAGER), "https://x.test/h", ["asset.updated"])
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="URL"):
        webhooks.create_subscription(session, ADMIN, "ftp://x.test/h", ["asset.updated"])
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="unknown event"):
        webhooks.create_subscription(session, ADMIN, "https://x.test/h", ["asset.nope"])


def test_admin_pages_show_the_delivery_log(app, login, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_token

    admin = login("admin")
    token = csrf_token(admin, "/admin/webhooks")
    resp = admin.post(
        "/admin/webhooks", data={"url": receiver.url, "event": ["asset.updated"], "csrf_token": token}
    )
    assert resp.status_code == 302
    detail = resp.headers["Location"]
    admin.post(f"{detail}/test", data={"csrf_token": token})
    page = admin.get(detail).get_data(as_text=True)
    assert "delivered" in page and "200" in page and "ping" in page
    assert login("manager").get("/admin/webhooks").status_code == 403
    bad = admin.post("/admin/webhooks", data={"url": "nope", "event": ["asset.updated"], "csrf_token": token})
    assert bad.status_code == 422 and "URL" in bad.get_data(as_text=True)
