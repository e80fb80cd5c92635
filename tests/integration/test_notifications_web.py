"""Notification pages and API: the bell's count, the list, marking read, the preferences form (CSRF, only
shown fields), share links mailed to recipients, invitation mail, package-ready notices."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Notification, NotificationPreference, Role, ShareLink, User
from models.base import utcnow
from portal.runtime import Runtime
from portal.services.distribution import packages
from portal.services.governance.policy import Viewer
from portal.services.notify import center
from portal.settings import Settings
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state
from tests.mail_helpers import Inbox, body_of, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    """The test SMTP server: (port, inbox)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str, smtp: tuple[int, Inbox]) -> Settings:
    """A SQLite instance mailing through the test server (the service tests cover PostgreSQL)."""
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=sqlite_url,
        secret_key="test-secret-key-not-for-production",
        jobs_eager=True,
        smtp_url=f"smtp://127.0.0.1:{smtp[0]}",
    )


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


def _user_id(rt: Runtime, email: str) -> int:
    with rt.db.session() as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def _tell(rt: Runtime, user_id: int, title: str, link: str | None = None) -> int:
    with rt.db.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        made = center.notify(session, user, "package.ready", title, "body text", link=link)
        assert made is not None
        return made.id


def _bell(client: FlaskClient) -> str | None:
    page = client.get("/notifications").get_data(as_text=True)
    found = re.search(r"data-notification-count>([^<]+)<", page)
    return found.group(1) if found else None


def test_bell_list_open_mark_read_and_mark_all(app: Flask, login: Callable[..., FlaskClient]) -> None:
    rt = _rt(app)
    client = login("partner", email="p@example.com")
    me = _user_id(rt, "p@example.com")
    first = _tell(rt, me, "Package 1 is ready", link="/packages/1")
    _tell(rt, me, "Package 2 is ready")
    _tell(rt, me, "Package 3 is ready")
    assert _bell(client) == "3"
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Package 3 is ready") < page.index("Package 1 is ready")  # newest first

    token = csrf_token(client, "/notifications")
    opened = client.post(f"/notifications/{first}/read", data={"csrf_token": token, "open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"] == "/packages/1"
    assert _bell(client) == "2"
    assert client.post(f"/notifications/{first}/read", data={}).status_code == 400  # no CSRF token
    done = client.post("/notifications/read-all", data={"csrf_token": token}, follow_redirects=True)
    assert "2 notifications marked read." in done.get_data(as_text=True)
    assert _bell(client) is None

    # Someone else's notification is a 404, as a missing one is.
    other = login("partner")
    assert (
        other.post(
            f"/notifications/{first}/read", data={"csrf_token": csrf_token(other, "/notifications")}
        ).status_code
        == 404
    )


def test_preferences_form_saves_only_the_kinds_shown(app: Flask, login: Callable[..., FlaskClient]) -> None:
    rt = _rt(app)
    client = login("editor", email="ed@example.com")
    me = _user_id(rt, "ed@example.com")
    with rt.db.transaction() as session:
        session.add(NotificationPreference(user_id=me, kind="review.waiting", in_app=True, email=False))
    form = client.get("/account/notifications").get_data(as_text=True)
    assert 'value="asset.rejected:email"' in form and "review.waiting" not in form  # managers' kind
    token = csrf_token(client, "/account/notifications")
    assert client.post("/account/notifications", data={"channel": "asset.rejected:in_app"}).status_code == 400
    saved = client.post(
        "/account/notifications",
        data={"csrf_token": token, "channel": ["asset.rejected:in_app", "review.waiting:email"]},
        follow_redirects=True,
    )
    assert "Notification settings saved." in saved.get_data(as_text=True)
    with rt.db.session() as session:
        rows = {(p.kind, p.in_app, p.email) for p in session.scalars(select(NotificationPreference))}
    assert rows == {
        ("asset.rejected", True, False),
        ("asset.approved", False, False),
        ("package.ready", False, False),
        ("review.waiting", True, False),  # not shown to an editor: untouched
    }


def test_api_lists_and_marks_read(app: Flask, login: Callable[..., FlaskClient]) -> None:
    rt = _rt(app)
    client = login("partner", email="p@example.com")
    item = _tell(rt, _user_id(rt, "p@example.com"), "Package 9 is ready")
    listed = client.get("/api/v1/notifications").get_json()
    assert listed["unread"] == 1 and [i["title"] for i in listed["items"]] == ["Package 9 is ready"]
    headers = {"X-CSRFToken": csrf_token(client, "/notifications")}
    assert client.post(f"/api/v1/notifications/{item}/read", headers=headers).get_json()["read_at"]
    assert client.get("/api/v1/notifications?unread=1").get_json()["items"] == []
    assert client.post("/api/v1/notifications/read-all", headers=headers).get_json() == {"marked_read": 0}
    assert client.post("/api/v1/notifications/999999/read", headers=headers).status_code == 404
    assert app.test_client().get("/api/v1/notifications").status_code == 401


def test_share_dialog_mails_the_link_to_recipients(
    app: Flask, login: Callable[..., FlaskClient], smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    rt, inbox = _rt(app), smtp[1]
    asset_id = new_asset(rt, tmp_path, 1)
    set_state(rt, asset_id, "approved", "partner")
    manager = login("manager")
    token = csrf_token(manager, "/brand-admin/")
    ends = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d")
    form = {
        "csrf_token": token, "kind": "selection", "asset_ids": str(asset_id), "expires": ends,
        "allowed_presets": ["web"], "download": "on", "title": "Launch kit", "note": "For the article.",
    }  # fmt: skip
    bad = manager.post("/brand-admin/links", data={**form, "recipients": "ann@example.com, not-an-address"})
    assert bad.status_code == 422 and "not-an-address" in bad.get_data(as_text=True)
    with rt.db.session() as session:
        assert session.scalars(select(ShareLink)).all() == []

    made = manager.post("/brand-admin/links", data={**form, "recipients": "ann@example.com\nbob@example.org"})
    assert made.status_code == 200
    url = re.search(r'value="(http[^"]+/s/[^"]+)"', made.get_data(as_text=True))
    assert url is not None
    assert sorted(str(m["To"]) for m in inbox.messages) == ["ann@example.com", "bob@example.org"]
    text = body_of(inbox.to("ann@example.com")[0])
    assert (
        url.group(1) in text
        and "For the article." in text
        and "Launch kit" in str(inbox.messages[0]["Subject"])
    )
    with rt.db.session() as session:
        # The token left by mail; it is not kept in the database.
        assert [n.link for n in session.scalars(select(Notification))] == [None, None]


def test_an_invited_user_gets_the_link_by_mail(
    app: Flask, login: Callable[..., FlaskClient], smtp: tuple[int, Inbox]
) -> None:
    admin = login("admin")
    answer = admin.post(
        "/admin/users",
        data={"csrf_token": csrf_token(admin, "/admin/users"), "email": "new@example.com", "role": "editor"},
    )
    assert answer.status_code == 200
    link = re.search(r'id="invite-link"', answer.get_data(as_text=True))
    assert link is not None
    mails = smtp[1].to("new@example.com")
    assert len(mails) == 1 and "invited" in str(mails[0]["Subject"])
    invite = re.search(r"(http\S+/invite/\S+)", body_of(mails[0]))
    assert invite is not None
    path = "/invite/" + invite.group(1).rsplit("/invite/", 1)[1]
    assert app.test_client().get(path).status_code == 200


def test_a_finished_package_tells_its_requester(app: Flask, smtp: tuple[int, Inbox], tmp_path: Path) -> None:
    rt = _rt(app)
    asset_id = new_asset(rt, tmp_path, 2)
    set_state(rt, asset_id, "approved", "partner")
    with rt.db.transaction() as session:
        from portal.services.accounts.users import create_user

        partner = create_user(session, "p@example.com", "correct horse battery staple", "partner").id
    with rt.db.transaction() as session:
        package_id = packages.create_package(
            session, Viewer(partner, Role.PARTNER), lines=[str(asset_id)], presets=["web"], source="selection"
        ).id
    rt.queue.join()
    mails = smtp[1].to("p@example.com")
    assert [str(m["Subject"]) for m in mails] == [f"[Assetport] Package {package_id} is ready"]
    assert f"/packages/{package_id}" in body_of(mails[0])


def test_notification_pages_follow_the_content_security_policy(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    rt = _rt(app)
    client = login("manager", email="m@example.com")
    _tell(rt, _user_id(rt, "m@example.com"), "Package 4 is ready", link="/packages/4")
    for path in ("/notifications", "/notifications?unread=1", "/account/notifications"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=|<style", html), path
        assert 'name="csrf_token"' in html, path
    assert "review.waiting:email" in client.get("/account/notifications").get_data(as_text=True)
    assert client.get("/notifications?page=x").status_code == 422
    assert client.get("/notifications?size=100000").status_code == 422
