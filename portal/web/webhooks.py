"""Webhook subscriptions (admins): list, create, edit, delete, send a test, and the delivery log."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import ValidationError
from portal.services.distribution import webhooks
from portal.services.governance.policy import require_role
from portal.web.context import runtime, viewer

webhooks_bp = Blueprint("webhooks", __name__)


@webhooks_bp.get("/admin/webhooks")
@login_required
def index() -> ResponseReturnValue:
    """Subscriptions and the form for a new one."""
    return _index()


def _index(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    with runtime().db.session() as session:
        subs = webhooks.list_subscriptions(session, viewer())
        page = render_template(
            "webhooks/index.html", subs=subs, events=webhooks.EVENTS, error=error, form=request.form
        )
    return page, status


@webhooks_bp.post("/admin/webhooks")
@login_required
def create() -> ResponseReturnValue:
    """Create a subscription; its secret is shown on its page."""
    try:
        with runtime().db.transaction() as session:
            sub = webhooks.create_subscription(
                session, viewer(), request.form.get("url", ""), request.form.getlist("event"),
                request.form.get("description", ""),
            )  # fmt: skip
            sub_id = sub.id
    except ValidationError as exc:
        return _index(exc.message, 422)
    return redirect(url_for("webhooks.detail", sub_id=sub_id))


@webhooks_bp.get("/admin/webhooks/<int:sub_id>")
@login_required
def detail(sub_id: int) -> ResponseReturnValue:
    """One subscription: settings, secret, and its delivery log with response codes."""
    require_role(viewer(), Role.ADMIN)
    with runtime().db.session() as session:
        sub = webhooks.get_subscription(session, viewer(), sub_id)
        log = webhooks.recent_deliveries(session, sub_id)
        return render_template("webhooks/detail.html", sub=sub, deliveries=log, events=webhooks.EVENTS)


@webhooks_bp.post("/admin/webhooks/<int:sub_id>")
@login_required
def update(sub_id: int) -> ResponseReturnValue:
    """Change a subscription's URL, events or active flag."""
    with runtime().db.transaction() as session:
        webhooks.update_subscription(
            session, viewer(), sub_id, url=request.form.get("url", ""), events=request.form.getlist("event"),
            active=request.form.get("active") == "on", description=request.form.get("description", ""),
        )  # fmt: skip
    return redirect(url_for("webhooks.detail", sub_id=sub_id))


@webhooks_bp.post("/admin/webhooks/<int:sub_id>/test")
@login_required
def test(sub_id: int) -> ResponseReturnValue:
    """Send a signed test delivery now (it shows in the log)."""
    with runtime().db.transaction() as session:
        webhooks.send_test(session, viewer(), sub_id)
    return redirect(url_for("webhooks.detail", sub_id=sub_id))


@webhooks_bp.post("/admin/webhooks/<int:sub_id>/delete")
@login_required
def delete(sub_id: int) -> ResponseReturnValue:
    """Delete a subscription and its log."""
    with runtime().db.transaction() as session:
        webhooks.delete_subscription(session, viewer(), sub_id)
    return redirect(url_for("webhooks.index"))
