"""Admin pages (users: invite, disable, roles), the global audit trail with CSV export, personal API
tokens, and the set-password page of an invitation."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import Conflict, NotFound, ValidationError
from portal.services.accounts import admin as accounts
from portal.services.accounts.tokens import SCOPES, create_token, revoke_token
from portal.services.governance import audit, audit_log, job_report
from portal.services.governance.policy import require_role
from portal.services.notify import events as notify_events
from portal.services.outbox import MAX_ATTEMPTS
from portal.services.paging import parse_paging
from portal.web.context import client_ip, runtime, viewer
from portal.web.flashing import flash

admin_bp = Blueprint("admin", __name__)


@admin_bp.get("/admin/users")
@login_required
def users() -> ResponseReturnValue:
    """Every user with role, status and token count; the invite form."""
    with runtime().db.session() as session:
        rows = accounts.list_users(session, viewer())
        return render_template("admin/users.html", rows=rows, roles=[r.value for r in Role])


@admin_bp.post("/admin/users")
@login_required
def invite() -> ResponseReturnValue:
    """Invite a user: the one-time set-password link is shown once on the answer page."""
    try:
        with runtime().db.transaction() as session:
            user, raw = accounts.invite_user(
                session,
                viewer(),
                request.form.get("email", ""),
                request.form.get("role", "editor"),
                request.form.get("name"),
                ip=client_ip(),
            )
            email = user.email
            link = url_for("admin.accept_invite", token=raw, _external=True)
            # The invite mail goes out from a job after commit (ASSETPORT_SMTP_URL set).
            notify_events.invitation(session, user, link, viewer().user_id)
    except (ValidationError, Conflict) as exc:
        flash(exc.message, "danger")
        return redirect(url_for("admin.users"))
    mailed = bool(runtime().settings.smtp_url)
    return render_template("admin/invited.html", email=email, link=link, mailed=mailed)


@admin_bp.post("/admin/users/<int:user_id>/active")
@login_required
def set_active(user_id: int) -> ResponseReturnValue:
    """Disable (``active=0``) or re-enable (``active=1``) an account."""
    active = request.form.get("active") == "1"
    try:
        with runtime().db.transaction() as session:
            email = accounts.set_active(session, viewer(), user_id, active, ip=client_ip()).email
    except Conflict as exc:
        flash(exc.message, "danger")
    else:
        flash(f"{email} is {'enabled' if active else 'disabled'}.", "success", verbatim=True)
    return redirect(url_for("admin.users"))


@admin_bp.post("/admin/users/<int:user_id>/role")
@login_required
def set_role(user_id: int) -> ResponseReturnValue:
    """Change a user's role."""
    try:
        with runtime().db.transaction() as session:
            user = accounts.change_role(
                session, viewer(), user_id, request.form.get("role", ""), ip=client_ip()
            )
            email, role = user.email, user.role
    except (Conflict, ValidationError) as exc:
        flash(exc.message, "danger")
    else:
        flash(f"{email} is now {role}.", "success", verbatim=True)
    return redirect(url_for("admin.users"))


@admin_bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    """An invited user chooses a password (the link works once)."""
    error: str | None = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = "the two passwords differ"
        else:
            try:
                with runtime().db.transaction() as session:
                    accounts.accept_invite(session, token, password)
            except ValidationError as exc:
                error = exc.message
            else:
                flash("Your password is set; please log in.", "success")
                return redirect(url_for("auth.login"))
    return render_template("admin/accept_invite.html", error=error), 422 if error else 200


@admin_bp.get("/admin/audit")
@login_required
def audit_page() -> ResponseReturnValue:
    """The global audit trail with filters (actor, action, asset, date range)."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"), default_size=100)
    filters = audit_log.parse_filters(request.args.to_dict())
    with runtime().db.session() as session:
        result = audit_log.search_events(session, viewer(), filters, page=page, size=size)
        return render_template("admin/audit.html", result=result, args=request.args)


@admin_bp.get("/admin/audit.csv")
@login_required
def audit_csv() -> ResponseReturnValue:
    """The filtered audit trail as a CSV download."""
    who = viewer()
    require_role(who, Role.MANAGER)
    filters = audit_log.parse_filters(request.args.to_dict())
    rt = runtime()

    def generate():  # type: ignore[no-untyped-def]
        with rt.db.session() as session:
            yield from audit_log.export_csv(session, who, filters)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="assetport-audit.csv"'
    return response


@admin_bp.get("/account/tokens")
@login_required
def tokens() -> ResponseReturnValue:
    """The viewer's API tokens: create (shown once), list, revoke."""
    who = viewer()
    with runtime().db.session() as session:
        rows = accounts.user_tokens(session, who.user_id or 0)
        return render_template("admin/tokens.html", tokens=rows, scopes=SCOPES, new_token=None)


@admin_bp.post("/account/tokens")
@login_required
def create_token_page() -> ResponseReturnValue:
    """Create a token; the plain value appears on this answer only."""
    who = viewer()
    try:
        with runtime().db.transaction() as session:
            token, raw = create_token(
                session, who.user_id or 0, request.form.get("scope", "read"), request.form.get("name", "")
            )
            audit.record(
                session,
                "token.created",
                actor_id=who.user_id,
                target=token.prefix,
                ip=client_ip(),
                scope=token.scope,
            )
    except (ValidationError, NotFound) as exc:
        flash(exc.message, "danger")
        return redirect(url_for("admin.tokens"))
    with runtime().db.session() as session:
        rows = accounts.user_tokens(session, who.user_id or 0)
        return render_template("admin/tokens.html", tokens=rows, scopes=SCOPES, new_token=raw)


@admin_bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of the viewer's tokens."""
    who = viewer()
    with runtime().db.transaction() as session:
        revoke_token(session, who.user_id or 0, token_id)
        audit.record(session, "token.revoked", actor_id=who.user_id, target=str(token_id), ip=client_ip())
    flash("Token revoked.", "success")
    return redirect(url_for("admin.tokens"))


@admin_bp.get("/admin/jobs")
@login_required
def jobs_page() -> ResponseReturnValue:
    """Failed background work: dead and retrying outbox items, failed and stuck packages (admins)."""
    with runtime().db.session() as session:
        rows = job_report.problem_jobs(session, viewer())
        return render_template("admin/jobs.html", jobs=rows, max_attempts=MAX_ATTEMPTS)


@admin_bp.post("/admin/jobs/<int:item_id>/retry")
@login_required
def retry_job(item_id: int) -> ResponseReturnValue:
    """Give a dead outbox item a fresh set of attempts; the next sweep runs it."""
    with runtime().db.transaction() as session:
        job_report.retry_outbox_item(session, viewer(), item_id)
    flash(f"Job {item_id} will be retried by the next sweep.", "success")
    return redirect(url_for("admin.jobs_page"))
