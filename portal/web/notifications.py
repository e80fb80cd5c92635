"""Notification pages: the bell's count in the navigation, the list (mark read, mark all read) and each
user's preferences per kind and channel."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.services.notify import center
from portal.services.paging import parse_paging
from portal.web.auth import _safe_next
from portal.web.context import runtime, viewer
from portal.web.flashing import flash

notifications_bp = Blueprint("notifications", __name__)


@notifications_bp.app_context_processor
def _bell() -> dict[str, Any]:
    """``notification_count()`` for the bell in the navigation (unread in-app notifications)."""

    def count() -> int:
        who = viewer()
        if not who.is_authenticated:
            return 0
        with runtime().db.session() as session:
            return center.unread_count(session, who)

    return {"notification_count": count}


@notifications_bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    """The viewer's notifications, newest first (``?unread=1``: only unread ones)."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"), default_size=50)
    unread_only = request.args.get("unread") == "1"
    with runtime().db.session() as session:
        result = center.list_for(session, viewer(), page=page, size=size, unread_only=unread_only)
        unread = center.unread_count(session, viewer())
        return render_template(
            "notifications/index.html", result=result, unread=unread, unread_only=unread_only
        )


@notifications_bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read; with ``open`` go on to what it is about."""
    with runtime().db.transaction() as session:
        item = center.mark_read(session, viewer(), notification_id)
        link = item.link
    if request.form.get("open") and link:
        return redirect(_safe_next(link))
    return redirect(_safe_next(request.form.get("next") or url_for("notifications.index")))


@notifications_bp.post("/notifications/read-all")
@login_required
def read_all() -> ResponseReturnValue:
    """Mark every notification of the viewer read."""
    with runtime().db.transaction() as session:
        done = center.mark_all_read(session, viewer())
    flash(f"{done} notification{'' if done == 1 else 's'} marked read.", "success")
    return redirect(url_for("notifications.index"))


@notifications_bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    """Which notifications the viewer gets, in the portal and by e-mail (only the kinds shown are saved)."""
    if request.method == "POST":
        with runtime().db.transaction() as session:
            center.save_preferences(session, viewer(), center.checked_boxes(request.form.getlist("channel")))
        flash("Notification settings saved.", "success")
        return redirect(url_for("notifications.preferences"))
    with runtime().db.session() as session:
        rows = center.preferences(session, viewer())
    mail_on = bool(runtime().settings.smtp_url)
    return render_template("notifications/preferences.html", rows=rows, mail_on=mail_on)
