"""Notifications: review events reach the right people in the portal and by mail (a real SMTP server in
this process), preferences are obeyed, a down SMTP server delays mail without losing it, the rights scan
announces each expiry once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from models import Notification, NotificationPreference, OutboxItem, Role, User
from models.base import utcnow
from portal.jobs.bootstrap import build_runtime
from portal.jobs.notify import parse_smtp_url
from portal.jobs.registry import run_task
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.services.governance import workflow
from portal.services.governance.policy import Viewer
from portal.services.notify import center
from portal.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.gov_helpers import new_asset, set_state, user_with_token
from tests.mail_helpers import Inbox, body_of, free_port, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    """The test SMTP server: (port, inbox)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: tuple[int, Inbox]) -> Settings:
    """The usual test instance, mailing through the test SMTP server."""
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        jobs_eager=True,
        smtp_url=f"smtp://127.0.0.1:{smtp[0]}",
        public_url="https://dam.example.com",
    )


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


def _user(rt: Runtime, email: str, role: str) -> int:
    with rt.db.transaction() as session:
        return create_user(session, email, TEST_PASSWORD, role).id


def _transition(app: Flask, headers: dict[str, str], asset_id: int, action: str, comment: str = "") -> None:
    body = {"action": action, "comment": comment or None}
    resp = app.test_client().post(f"/api/v1/assets/{asset_id}/transitions", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()


def test_rejected_editor_gets_the_reason_by_mail_and_in_app(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    editor = _user(rt, "ed@example.com", "editor")
    _, boss = user_with_token(app, "manager")
    asset_id = new_asset(rt, tmp_path, 1, user_id=editor, title="Red lamp")
    set_state(rt, asset_id, "in_review")

    _transition(app, boss, asset_id, "reject", "The colours are off; use the sRGB export.")

    mails = inbox.to("ed@example.com")
    assert len(mails) == 1
    assert "rejected" in str(mails[0]["Subject"]) and "Red lamp" in str(mails[0]["Subject"])
    text = body_of(mails[0])
    assert "Reason: The colours are off; use the sRGB export." in text
    assert f"https://dam.example.com/assets/{asset_id}" in text
    with rt.db.session() as session:
        item = session.scalars(select(Notification).where(Notification.user_id == editor)).one()
        assert item.kind == "asset.rejected" and item.email_status == "sent" and item.email_attempts == 1
        assert center.unread_count(session, Viewer(editor, Role.EDITOR)) == 1


def test_approval_tells_the_uploader_and_nobody_else(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    editor = _user(rt, "ed@example.com", "editor")
    _, boss = user_with_token(app, "manager")
    asset_id = new_asset(rt, tmp_path, 2, user_id=editor, title="Blue chair")
    set_state(rt, asset_id, "in_review")
    _transition(app, boss, asset_id, "approve")
    assert [str(m["Subject"]) for m in inbox.messages] == ["[Assetport] “Blue chair” was approved"]


def test_a_submission_notifies_every_manager_and_admin_but_not_the_submitter(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    for email, role in [("m1@example.com", "manager"), ("m2@example.com", "manager"),
                        ("root@example.com", "admin"), ("other@example.com", "editor")]:  # fmt: skip
        _user(rt, email, role)
    editor, headers = user_with_token(app, "editor")
    asset_id = new_asset(rt, tmp_path, 3, user_id=editor, title="Green sofa")

    _transition(app, headers, asset_id, "submit")

    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "m1@example.com",
        "m2@example.com",
        "root@example.com",
    ]
    assert all("waits for review" in str(m["Subject"]) for m in inbox.messages)
    with rt.db.session() as session:
        kinds = session.scalars(select(Notification.kind)).all()
        assert kinds == ["review.waiting"] * 3


def test_preferences_off_means_no_mail_and_in_app_only_when_chosen(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    editor = _user(rt, "ed@example.com", "editor")
    _, boss = user_with_token(app, "manager")
    with rt.db.transaction() as session:
        # In-app on, e-mail off for rejections; approvals: nothing at all.
        center.save_preferences(session, Viewer(editor, Role.EDITOR), {"asset.rejected:in_app"})
    first, second = (new_asset(rt, tmp_path, s, user_id=editor) for s in (4, 5))
    for asset_id in (first, second):
        set_state(rt, asset_id, "in_review")
    _transition(app, boss, first, "reject", "blurry")
    _transition(app, boss, second, "approve")

    assert inbox.messages == []
    with rt.db.session() as session:
        rows = session.scalars(select(Notification)).all()
        assert [(n.kind, n.in_app, n.email_status) for n in rows] == [("asset.rejected", True, "none")]


def test_only_shown_preferences_are_saved(rt: Runtime) -> None:
    editor = _user(rt, "ed@example.com", "editor")
    with rt.db.transaction() as session:
        # A manager-only kind stored earlier (say, before a role change) is not touched by the form.
        session.add(NotificationPreference(user_id=editor, kind="review.waiting", in_app=False, email=False))
    with rt.db.transaction() as session:
        rows = center.save_preferences(
            session,
            Viewer(editor, Role.EDITOR),
            center.checked_boxes(["asset.approved:email", "review.waiting:email", "bogus:email"]),
        )
        assert {r.kind.name: (r.in_app, r.email) for r in rows} == {
            "asset.approved": (False, True),
            "asset.rejected": (False, False),
            "package.ready": (False, False),
        }
        kept = session.get(NotificationPreference, (editor, "review.waiting"))
        assert kept is not None and not kept.email


def test_smtp_down_is_retried_later_and_the_mail_is_not_lost(tmp_path: Path, database_url: str) -> None:
    port = free_port()  # nothing listens here yet
    settings = Settings(
        instance_dir=tmp_path / "instance", database_url=database_url, secret_key="t", jobs_eager=True,
        smtp_url=f"smtp://127.0.0.1:{port}", smtp_timeout_seconds=5.0,
    )  # fmt: skip
    rt = build_runtime(settings, start_workers=False)
    try:
        editor = _user(rt, "ed@example.com", "editor")
        boss = _user(rt, "boss@example.com", "manager")
        asset_id = new_asset(rt, tmp_path, 6, user_id=editor)
        set_state(rt, asset_id, "in_review")
        with rt.db.transaction() as session:
            workflow.transition(session, Viewer(boss, Role.MANAGER), asset_id, "reject", "cropped badly")

        with rt.db.session() as session:
            item = session.scalars(select(Notification)).one()
            assert item.email_status == "pending" and item.email_attempts == 1 and item.email_error
            retry = session.scalars(
                select(OutboxItem).where(OutboxItem.task == "notify.email", OutboxItem.done_at.is_(None))
            ).one()
            assert retry.not_before is not None and retry.not_before > utcnow()

        # The server comes back; once the backoff has passed, the sweep sends it.
        with smtp_server(port) as (_, inbox):
            assert run_task(rt, "outbox.sweep", {}) == 0  # not yet: the retry waits for its time
            with rt.db.transaction() as session:
                session.execute(update(OutboxItem).values(not_before=utcnow() - timedelta(seconds=1)))
            assert run_task(rt, "outbox.sweep", {}) == 1
            assert "cropped badly" in body_of(inbox.to("ed@example.com")[0])
        with rt.db.session() as session:
            item = session.scalars(select(Notification)).one()
            assert item.email_status == "sent" and item.email_attempts == 2 and item.email_error is None
    finally:
        rt.close()


def test_mail_fails_for_good_after_the_last_attempt(tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(
        instance_dir=tmp_path / "instance", database_url=sqlite_url, secret_key="t", jobs_eager=True,
        smtp_url=f"smtp://127.0.0.1:{free_port()}", smtp_max_attempts=2, smtp_backoff_seconds=0.0,
    )  # fmt: skip
    rt = build_runtime(settings, start_workers=False)
    try:
        editor = _user(rt, "ed@example.com", "editor")
        with rt.db.transaction() as session:
            user = session.get(User, editor)
            assert user is not None
            center.notify(session, user, "package.ready", "Package 1 is ready")
        # No backoff: the retry went out at once (eager jobs) and was the last one.
        with rt.db.session() as session:
            item = session.scalars(select(Notification)).one()
            assert (item.email_status, item.email_attempts) == ("failed", 2)
    finally:
        rt.close()


def test_without_smtp_notifications_are_in_app_only(sqlite_rt: Runtime, tmp_path: Path) -> None:
    rt = sqlite_rt
    editor = _user(rt, "ed@example.com", "editor")
    boss = _user(rt, "boss@example.com", "manager")
    asset_id = new_asset(rt, tmp_path, 7, user_id=editor)
    set_state(rt, asset_id, "in_review")
    with rt.db.transaction() as session:
        workflow.transition(session, Viewer(boss, Role.MANAGER), asset_id, "reject", "no")
    with rt.db.session() as session:
        item = session.scalars(select(Notification)).one()
        assert item.in_app and item.email_status == "skipped"


def test_rights_scan_tells_managers_once_per_expiry(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    _user(rt, "boss@example.com", "manager")
    _user(rt, "ed@example.com", "editor")
    soon = new_asset(rt, tmp_path, 8, title="Catalogue cover")
    later = new_asset(rt, tmp_path, 9)
    set_state(rt, soon, "approved", "partner", expire=utcnow() + timedelta(days=5))
    set_state(rt, later, "approved", "partner", expire=utcnow() + timedelta(days=40))

    assert run_task(rt, "notify.rights_expiring", {}) == 1
    assert run_task(rt, "notify.rights_expiring", {}) == 0
    assert [str(m["To"]) for m in inbox.messages] == ["boss@example.com"]
    assert "Catalogue cover" in str(inbox.messages[0]["Subject"])
    # A new expiry date is news again.
    set_state(rt, soon, "approved", "partner", expire=utcnow() + timedelta(days=10))
    assert run_task(rt, "notify.rights_expiring", {}) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, "plain", None, None)),
        ("smtp://u:p%40ss@mail:2525?starttls=1", ("mail", 2525, "starttls", "u", "p@ss")),
        ("smtp+starttls://mail", ("mail", 587, "starttls", None, None)),
        ("smtps://user:pw@mail.example.com", ("mail.example.com", 465, "tls", "user", "pw")),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    t = parse_smtp_url(url)
    assert (t.host, t.port, t.security, t.username, t.password) == expected


@pytest.mark.parametrize("url", ["http://mail", "smtp://", "mail.example.com:25", "smtp://h:99999"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_notify_rights_command(
    rt: Runtime, smtp: tuple[int, Inbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from portal.cli import main

    for name, value in {
        "INSTANCE_DIR": str(rt.settings.instance_dir),
        "DATABASE_URL": rt.settings.resolved_database_url,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp[0]}",
        "SECRET_KEY": "t",
    }.items():
        monkeypatch.setenv(f"ASSETPORT_{name}", value)
    monkeypatch.delenv("ASSETPORT_REDIS_URL", raising=False)
    _user(rt, "boss@example.com", "manager")
    asset_id = new_asset(rt, tmp_path, 10, title="Spring flyer")
    set_state(rt, asset_id, "approved", "public", expire=utcnow() + timedelta(days=2))
    runner = CliRunner()
    first = runner.invoke(main, ["notify-rights"])
    assert first.exit_code == 0 and "1 notifications about expiring rights" in first.output, first.output
    again = runner.invoke(main, ["notify-rights"])
    assert again.exit_code == 0 and "0 notifications" in again.output
    assert [str(m["To"]) for m in smtp[1].messages] == ["boss@example.com"]


def test_a_batch_submitted_at_once_is_one_notice_and_one_mail_per_manager(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    boss = _user(rt, "boss@example.com", "manager")
    editor = _user(rt, "ed@example.com", "editor")
    ids = [new_asset(rt, tmp_path, seed, user_id=editor, title=f"Shot {seed}") for seed in range(20, 25)]
    outcome = workflow.bulk_transition(rt.db, Viewer(editor, Role.EDITOR), ids, "submit")
    assert outcome.done == ids
    assert len(inbox.to("boss@example.com")) == 1
    with rt.db.session() as session:
        item = session.scalars(select(Notification).where(Notification.user_id == boss)).one()
        assert item.grouped == 5 and item.title == "5 assets wait for review" and item.link == "/review"
        assert all(f"“Shot {seed}”" in item.body for seed in range(20, 25))
    # Once read, the next submission is news again.
    with rt.db.transaction() as session:
        center.mark_all_read(session, Viewer(boss, Role.MANAGER))
    late = new_asset(rt, tmp_path, 30, user_id=editor, title="Late shot")
    workflow.bulk_transition(rt.db, Viewer(editor, Role.EDITOR), [late], "submit")
    assert len(inbox.to("boss@example.com")) == 2


def test_several_new_expiries_make_one_notice_per_manager(
    app: Flask, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    boss = _user(rt, "boss@example.com", "manager")
    ids = [new_asset(rt, tmp_path, seed, title=f"Poster {seed}") for seed in range(40, 43)]
    for n, asset_id in enumerate(ids, start=1):
        set_state(rt, asset_id, "approved", "partner", expire=utcnow() + timedelta(days=n))
    assert run_task(rt, "notify.rights_expiring", {}) == 1
    assert run_task(rt, "notify.rights_expiring", {}) == 0
    assert [str(m["Subject"]) for m in inbox.to("boss@example.com")] == [
        "[Assetport] Rights of 3 assets expire within 14 days"
    ]
    with rt.db.session() as session:
        item = session.scalars(select(Notification).where(Notification.user_id == boss)).one()
        assert item.grouped == 3 and item.link == "/review/dashboard"
        assert all(f"“Poster {seed}”" in item.body for seed in range(40, 43))
