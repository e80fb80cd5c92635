"""Trust holes 1-3, 6: bad bearer tokens, malformed requests, CSRF with a cookie, limit messages."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import User
from portal.runtime import Runtime
from portal.services.accounts.tokens import revoke_token
from tests.brand_helpers import ingest, release, share
from tests.conftest import csrf_token
from tests.gov_helpers import png, user_with_token

pytestmark = pytest.mark.usefixtures("app")


def _bad_headers(app: Flask) -> dict[str, dict[str, str]]:
    rt: Runtime = app.extensions["assetport"]
    revoked_id, revoked = user_with_token(app, "editor")
    disabled_id, disabled = user_with_token(app, "editor")
    with rt.db.transaction() as session:
        from models import ApiToken

        token = session.query(ApiToken).filter_by(user_id=revoked_id).one()
        revoke_token(session, revoked_id, token.id)
        user = session.get(User, disabled_id)
        assert user is not None
        user.is_active = False
    return {
        "bogus": {"Authorization": "Bearer nonsense"},
        "revoked": revoked,
        "disabled": disabled,
    }


def test_hole_01_bad_bearer_on_public_pages_is_anonymous(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = ingest(rt, png(tmp_path, 3))
    release(rt, asset_id)
    token = share(rt, "selection", {"asset_ids": [asset_id]})
    client = app.test_client()
    for label, headers in _bad_headers(app).items():
        for path in ("/brand", f"/brand/a/{asset_id}", f"/s/{token}", "/d/nothing-here", "/login"):
            resp = client.get(path, headers=headers)
            assert resp.status_code < 500, f"{label} {path} -> {resp.status_code}"
            assert resp.headers.get("Content-Security-Policy"), f"{label} {path} lacks security headers"
        api = client.get("/api/v1/assets", headers=headers)
        assert api.status_code == 401, f"{label} api -> {api.status_code}"
        assert api.get_json()["error"]["code"] == "unauthenticated"


def test_hole_02_malformed_multipart_and_deep_json_are_400(app: Flask) -> None:
    client = app.test_client()
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title\\"\r\n\r\nx\r\n--{boundary}--\r\n'
    ).encode()
    for path in ("/login", "/api/v1/assets", "/brand", "/upload"):
        resp = client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")
        assert 400 <= resp.status_code < 500, f"multipart {path} -> {resp.status_code}"
        deep = b"[" * 1000 + b"]" * 1000
        resp = client.post(path, data=deep, content_type="application/json")
        assert 400 <= resp.status_code < 500, f"deep json {path} -> {resp.status_code}"
    _, headers = user_with_token(app, "admin")
    resp = client.post(
        "/api/v1/packages",
        data=b'{"a":' * 100 + b"1" + b"}" * 100,
        headers=headers,
        content_type="application/json",
    )
    assert resp.status_code == 400, resp.status_code
    assert "deep" in resp.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "body", [b'{"articles": ["\\ud800A-1"]}', b'{"articles": ["A-1"], "template": "\\udfff"}']
)
def test_an_unpaired_surrogate_in_json_is_a_400_not_a_failed_job(app: Flask, body: bytes) -> None:
    """JSON may escape a lone surrogate; the package API took it (202) and its job died writing the
    report (no database stores one). Refused up front like a NUL."""
    _, headers = user_with_token(app, "partner")
    resp = app.test_client().post(
        "/api/v1/packages", data=body, headers=headers, content_type="application/json"
    )
    assert resp.status_code == 400, resp.get_json()
    assert "surrogate" in resp.get_json()["error"]["message"]


def test_hole_03_cookie_request_with_a_bearer_header_still_needs_csrf(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    admin = login("admin")
    before = _user_count(app)
    for header in ("Bearer x", "Bearer " + user_with_token(app, "admin")[1]["Authorization"][7:]):
        resp = admin.post(
            "/admin/users",
            data={"email": "sneaky@example.com", "role": "admin", "password": "p" * 16},
            headers={"Authorization": header},
        )
        assert resp.status_code in (400, 401), resp.status_code
    assert _user_count(app) == before + 1  # only the token's own user from user_with_token
    # The real token alone (no cookie) still works without CSRF.
    _, headers = user_with_token(app, "editor")
    fresh = app.test_client()
    ok = fresh.post("/api/v1/assets", headers=headers, data={"file": (io.BytesIO(b"x"), "x.txt")})
    assert ok.status_code != 400 or "CSRF" not in ok.get_data(as_text=True)


def _user_count(app: Flask) -> int:
    with app.extensions["assetport"].db.session() as session:
        return session.query(User).count()


def test_hole_06_the_413_names_the_limit_that_was_hit(app: Flask, login: Callable[..., FlaskClient]) -> None:
    editor = login("editor")
    token = csrf_token(editor, "/upload")
    cases = [
        ({"title": "t" * 1024 * 1024}, "form field"),
        ({"description": "d" * 5 * 1024 * 1024}, "form field"),
        ({f"f{i}": "x" for i in range(1000)}, "too many form fields"),
    ]
    for fields, wanted in cases:
        for kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
            resp = editor.post("/login", data={**fields, "csrf_token": token}, content_type=kind)
            body = resp.get_data(as_text=True).lower()
            if kind.startswith("application/x-www") and wanted.startswith("too many"):
                continue  # urlencoded forms have no part limit (parsed in one go, bounded by size)
            assert resp.status_code == 413, (kind, resp.status_code)
            assert wanted in body and "512 MiB" not in body, (kind, body[body.find("<main") :][:600])


def test_hole_03_a_replayed_session_cookie_stays_protected_with_a_bearer_header(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    admin = login("admin")
    cookie = admin.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    elsewhere = {"User-Agent": "thief/1.0", "Authorization": "Bearer x"}
    # The strong session protection still applies: another client's cookie logs nobody in.
    assert thief.get("/admin/users", headers=elsewhere).status_code in (302, 401)
