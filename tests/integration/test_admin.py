"""Admin pages: invite with a one-time link, disable (login and tokens stop), change roles; tokens page."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from models import ApiToken, AuditEvent, User
from portal.runtime import Runtime
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.gov_helpers import user_with_token


def _user(rt: Runtime, email: str) -> User:
    with rt.db.session() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        return user


def test_invite_link_sets_a_password_once(app: Flask, login: object) -> None:
    rt: Runtime = app.extensions["assetport"]
    admin = login("admin")  # type: ignore[operator]
    token = csrf_token(admin, "/admin/users")
    resp = admin.post(
        "/admin/users", data={"csrf_token": token, "email": "New@Example.com", "role": "partner"}
    )
    link = re.search(r'value="(http://[^"]+/invite/[^"]+)"', resp.get_data(as_text=True))
    assert resp.status_code == 200 and link
    path = link.group(1).split("localhost", 1)[-1]
    guest = app.test_client()
    form = {
        "csrf_token": csrf_token(guest, path),
        "password": "a fine new password",
        "password2": "a fine new password",
    }
    assert guest.post(path, data=form).status_code == 302
    assert guest.post(path, data=form).status_code == 404  # used once
    login_form = {
        "csrf_token": csrf_token(guest, "/login"),
        "email": "new@example.com",
        "password": "a fine new password",
    }
    assert guest.post("/login", data=login_form).status_code == 302
    assert _user(rt, "new@example.com").role == "partner"
    assert login("editor").get("/admin/users").status_code == 403  # type: ignore[operator]


def test_disabled_users_cannot_log_in_and_their_tokens_stop(
    app: Flask, login: object, make_user: object
) -> None:
    rt: Runtime = app.extensions["assetport"]
    user_id, headers = user_with_token(app, "editor")
    api = app.test_client(use_cookies=False)
    assert api.get("/api/v1/assets", headers=headers).status_code == 200
    admin = login("admin")  # type: ignore[operator]
    token = csrf_token(admin, "/admin/users")
    admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "0"})
    assert api.get("/api/v1/assets", headers=headers).status_code == 401
    with rt.db.session() as session:
        email = session.get(User, user_id).email  # type: ignore[union-attr]
    guest = app.test_client()
    form = {"csrf_token": csrf_token(guest, "/login"), "email": email, "password": TEST_PASSWORD}
    assert guest.post("/login", data=form).status_code == 401
    admin.post(f"/admin/users/{user_id}/role", data={"csrf_token": token, "role": "manager"})
    admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "1"})
    assert api.get("/api/v1/review-queue", headers=headers).status_code == 200  # now a manager
    with rt.db.session() as session:
        actions = {e.action for e in session.scalars(select(AuditEvent))}
        assert {"user.disabled", "user.enabled", "user.role"} <= actions


def test_tokens_page_shows_once_lists_and_revokes(app: Flask, login: object) -> None:
    rt: Runtime = app.extensions["assetport"]
    client = login("editor")  # type: ignore[operator]
    token = csrf_token(client, "/account/tokens")
    page = client.post("/account/tokens", data={"csrf_token": token, "name": "PIM", "scope": "read"})
    raw = re.search(r'value="(ap_[^"]+)"', page.get_data(as_text=True))
    assert raw
    api = app.test_client(use_cookies=False)
    bearer = {"Authorization": f"Bearer {raw.group(1)}"}
    assert api.get("/api/v1/assets", headers=bearer).status_code == 200
    assert raw.group(1) not in client.get("/account/tokens").get_data(as_text=True)  # shown once
    with rt.db.session() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert api.get("/api/v1/assets", headers=bearer).status_code == 401
    other = login("editor")  # type: ignore[operator]
    assert (
        other.post(
            f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(other, "/account/tokens")}
        ).status_code
        == 404
    )
