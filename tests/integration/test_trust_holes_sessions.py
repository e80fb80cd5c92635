"""Trust hole 4: sessions end server-side; remember-me and HTTPS cookies; login throttling per
(account, client) with a per-client ceiling and a trusted proxy for the client address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.app import create_app
from portal.services.accounts.users import create_user
from portal.settings import Settings
from tests.conftest import TEST_PASSWORD, csrf_token


def _login(app: Flask, email: str, remember: bool = False, **env: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"email": email, "password": TEST_PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    resp = client.post("/login", data=data, **env)  # type: ignore[arg-type]
    assert resp.status_code == 302, resp.status_code
    return client


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/assets").status_code == 200


def _replay(app: Flask, cookies: dict[str, str]) -> FlaskClient:
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _cookies(client: FlaskClient) -> dict[str, str]:
    return {name: c.value for name in ("session", "remember_token") if (c := client.get_cookie(name))}


def test_hole_04_sessions_end_on_logout_password_role_and_disable(
    app: Flask, make_user: Callable[..., int], login: Callable[..., FlaskClient]
) -> None:
    make_user("victim@example.com", "manager")
    client = _login(app, "victim@example.com", remember=True)
    captured = _cookies(client)
    assert "remember_token" in captured and _logged_in(_replay(app, captured))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/assets")})
    assert not _logged_in(_replay(app, captured)), "a cookie captured before logout still works"
    assert not _logged_in(_replay(app, {"remember_token": captured["remember_token"]}))
    # Role change and disabling by an admin end the user's sessions too.
    admin = login("admin")
    token = csrf_token(admin, "/admin/users")
    with app.extensions["assetport"].db.session() as session:
        from models import User

        victim_id = session.query(User).filter_by(email="victim@example.com").one().id
    for path, data in (
        (f"/admin/users/{victim_id}/role", {"role": "editor"}),
        (f"/admin/users/{victim_id}/active", {"active": "0"}),
    ):
        client = _login(app, "victim@example.com")
        captured = _cookies(client)
        assert _logged_in(_replay(app, captured))
        assert admin.post(path, data={**data, "csrf_token": token}).status_code in (302, 303)
        assert not _logged_in(_replay(app, captured)), path


def test_hole_04_password_change_ends_sessions(app: Flask, make_user: Callable[..., int]) -> None:
    from models import User
    from portal.services.accounts.users import set_password

    user_id = make_user("pw@example.com", "editor")
    client = _login(app, "pw@example.com")
    with app.extensions["assetport"].db.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        set_password(user, "another long password")
    assert not _logged_in(client)


def test_hole_04_cookie_flags_hsts_and_trusted_proxy(tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(
        instance_dir=tmp_path / "i",
        database_url=sqlite_url,
        secret_key="k",
        jobs_eager=True,
        trusted_proxies=1,
    )
    app = create_app(settings, start_workers=False)
    try:
        with app.extensions["assetport"].db.transaction() as session:
            create_user(session, "https@example.com", TEST_PASSWORD, "editor")
        client = app.test_client()
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
            "Referer": "https://localhost/login",
        }
        token = csrf_token(client, "/login")
        resp = client.post(
            "/login",
            data={
                "email": "https@example.com",
                "password": TEST_PASSWORD,
                "csrf_token": token,
                "remember": "1",
            },
            headers=headers,
            base_url="https://localhost",
        )
        assert resp.status_code == 302
        assert "max-age=" in resp.headers.get("Strict-Transport-Security", "")
        cookies = resp.headers.getlist("Set-Cookie")
        remember = next(c for c in cookies if c.startswith("remember_token="))
        assert "Secure" in remember and "SameSite=Lax" in remember and "HttpOnly" in remember
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
        assert (expires - datetime.now(UTC)).days <= 31, "remember-me lasts more than a month"
        assert all("Secure" in c for c in cookies)
        plain = app.test_client().get("/login")
        assert "Strict-Transport-Security" not in plain.headers
    finally:
        app.extensions["assetport"].close()


@pytest.mark.usefixtures("app")
def test_hole_04_login_throttling_is_per_account_and_client(
    app: Flask, make_user: Callable[..., int]
) -> None:
    make_user("named@example.com", "editor")
    limit = app.extensions["assetport"].settings.login_max_failures
    attacker = app.test_client()
    env = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    token = csrf_token(attacker, "/login")
    for _ in range(limit + 1):
        attacker.post(
            "/login", data={"email": "named@example.com", "password": "wrong", "csrf_token": token}, **env
        )  # type: ignore[arg-type]
    resp = attacker.post(
        "/login",
        data={"email": "named@example.com", "password": TEST_PASSWORD, "csrf_token": token},
        **env,  # type: ignore[arg-type]
    )
    assert resp.status_code == 429
    # The owner, from another address, still gets in; so does a colleague behind the attacker's address.
    _login(app, "named@example.com", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    make_user("colleague@example.com", "editor")
    _login(app, "colleague@example.com", environ_base={"REMOTE_ADDR": "198.51.100.7"})
