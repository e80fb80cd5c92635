"""Login, logout, CSRF, rate limiting and the API's answers without a session."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash
from werkzeug.test import TestResponse

from models import User
from tests.conftest import TEST_PASSWORD, csrf_token

Login = Callable[..., FlaskClient]
MakeUser = Callable[..., int]


def _post_login(client: FlaskClient, email: str, password: str, query: str = "") -> TestResponse:
    token = csrf_token(client, "/login")
    return client.post(f"/login{query}", data={"email": email, "password": password, "csrf_token": token})


def test_login_page_renders(app: Flask) -> None:
    client = app.test_client()
    resp = client.get("/login")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and 'name="csrf_token"' in html
    assert "autofocus" in html
    assert '<meta name="csrf-token" content="' in html
    # Security headers come with every page; the CSP forbids inline scripts and styles.
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp


def test_good_login_starts_a_session(app: Flask, make_user: MakeUser) -> None:
    make_user("ann@example.com", "editor")
    client = app.test_client()
    resp = _post_login(client, "Ann@Example.com ", TEST_PASSWORD)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/assets")
    page = client.get("/assets")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ann@example.com" in html and "editor" in html
    assert client.get("/api/v1/assets").status_code == 200


def test_wrong_password_is_401_with_message(app: Flask, make_user: MakeUser) -> None:
    make_user("bob@example.com", "editor")
    client = app.test_client()
    resp = _post_login(client, "bob@example.com", "not the password")
    assert resp.status_code == 401
    html = resp.get_data(as_text=True)
    assert "wrong e-mail or password" in html
    assert 'value="bob@example.com"' in html  # the typed address is kept
    assert client.get("/assets").status_code == 302  # still not logged in


def test_login_is_rate_limited(app: Flask, make_user: MakeUser) -> None:
    make_user("carol@example.com", "editor")
    client = app.test_client()
    for _ in range(5):
        assert _post_login(client, "carol@example.com", "guess").status_code == 401
    resp = _post_login(client, "carol@example.com", TEST_PASSWORD)
    assert resp.status_code == 429
    assert "too many failed logins" in resp.get_data(as_text=True)
    assert client.get("/assets").status_code == 302


def test_logout_needs_post_with_csrf(login: Login) -> None:
    client = login("editor")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/assets").status_code == 200  # the failed attempts did not log out
    token = csrf_token(client, "/assets")
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    after = client.get("/assets")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_post_without_csrf_token_is_400(app: Flask, make_user: MakeUser, login: Login) -> None:
    make_user("dan@example.com", "editor")
    client = app.test_client()
    resp = client.post("/login", data={"email": "dan@example.com", "password": TEST_PASSWORD})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    editor = login("editor")
    assert editor.post("/api/v1/assets", data={}).status_code == 400
    assert editor.post("/api/v1/assets", data={}).get_json()["error"]["code"] == "csrf"


def test_open_redirect_is_ignored(app: Flask, make_user: MakeUser) -> None:
    make_user("eve@example.com", "editor")
    for target in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)"):
        client = app.test_client()
        resp = _post_login(client, "eve@example.com", TEST_PASSWORD, f"?next={target}")
        assert resp.status_code == 302, target
        location = resp.headers["Location"]
        assert "evil" not in location and location.endswith("/assets"), location
    client = app.test_client()
    resp = _post_login(client, "eve@example.com", TEST_PASSWORD, "?next=/products")
    assert resp.headers["Location"].endswith("/products")


def test_logged_out_page_redirects_with_next(app: Flask) -> None:
    resp = app.test_client().get("/products?q=lamp")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"] and "next=" in resp.headers["Location"]


def test_api_without_session_is_401_json(app: Flask) -> None:
    client = app.test_client()
    for path in ("/api/v1/assets", "/api/v1/assets/1", "/api/v1/products/X"):
        resp = client.get(path)
        assert resp.status_code == 401, path
        assert resp.is_json and resp.get_json()["error"]["code"] == "unauthenticated"
    upload = client.post("/api/v1/assets", data={})
    assert upload.status_code in (400, 401) and upload.is_json


def test_unknown_api_routes_are_json_404(app: Flask, login: Login) -> None:
    for client in (app.test_client(), login("editor")):
        resp = client.get("/api/v1/no-such-thing")
        assert resp.status_code == 404
        assert resp.is_json and resp.get_json()["error"]["code"] == "not_found"


def test_unknown_page_is_html_404(login: Login) -> None:
    resp = login("partner").get("/no-such-page")
    assert resp.status_code == 404
    assert resp.mimetype == "text/html" and "Not found" in resp.get_data(as_text=True)


def test_password_is_stored_hashed(app: Flask, make_user: MakeUser) -> None:
    make_user("fay@example.com", "manager")
    with app.extensions["assetport"].db.session() as session:
        user = session.scalars(select(User).where(User.email == "fay@example.com")).one()
        assert user.password_hash != TEST_PASSWORD and TEST_PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert check_password_hash(user.password_hash, TEST_PASSWORD)
