"""Personal API tokens: created by the CLI, stored hashed, scoped, revocable; bearer requests skip CSRF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from models import ApiToken
from portal.cli import main
from portal.services.accounts.tokens import hash_token, revoke_token
from portal.services.accounts.users import create_user
from tests.conftest import TEST_PASSWORD
from tests.helpers import ZOO


def _user(app: Flask, email: str = "api@example.com", role: str = "editor") -> int:
    with app.extensions["assetport"].db.transaction() as session:
        return create_user(session, email, TEST_PASSWORD, role).id


def _cli_token(app: Flask, database_url: str, tmp_path: Path, scope: str) -> str:
    env = {"ASSETPORT_INSTANCE_DIR": str(tmp_path / "cli"), "ASSETPORT_DATABASE_URL": database_url}
    result = CliRunner().invoke(main, ["create-token", "api@example.com", "--scope", scope], env=env)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _upload(client: object, token: str) -> object:
    data = {"file": (io.BytesIO((ZOO / "good" / "hopper.jpg").read_bytes()), "hopper.jpg")}
    return client.post(  # type: ignore[attr-defined]
        "/api/v1/assets", data=data, headers={"Authorization": f"Bearer {token}"}
    )


def test_tokens_are_shown_once_and_stored_hashed(app: Flask, database_url: str, tmp_path: Path) -> None:
    _user(app)
    raw = _cli_token(app, database_url, tmp_path, "write")
    assert raw.startswith("ap_") and len(raw) > 40
    with app.extensions["assetport"].db.session() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.token_hash == hash_token(raw) and raw not in (row.token_hash, row.prefix)


def test_write_token_uploads_without_csrf_read_token_cannot(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    _user(app)
    write = _cli_token(app, database_url, tmp_path, "write")
    read = _cli_token(app, database_url, tmp_path, "read")
    client = app.test_client()
    resp = _upload(client, write)
    assert resp.status_code == 201, resp.get_json()  # type: ignore[attr-defined]
    listing = client.get("/api/v1/assets", headers={"Authorization": f"Bearer {read}"})
    assert listing.status_code == 200 and listing.get_json()["total"] == 1
    denied = _upload(client, read)
    assert denied.status_code == 403  # type: ignore[attr-defined]
    assert "read-only" in denied.get_json()["error"]["message"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Bearer ap_" + "x" * 43])
def test_bad_tokens_are_401(app: Flask, header: str) -> None:
    resp = app.test_client().get("/api/v1/assets", headers={"Authorization": header})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthenticated"


def test_revoked_token_stops_working(app: Flask, database_url: str, tmp_path: Path) -> None:
    user_id = _user(app)
    raw = _cli_token(app, database_url, tmp_path, "read")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/assets", headers=headers).status_code == 200
    with app.extensions["assetport"].db.transaction() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
        revoke_token(session, user_id, token_id)
    assert client.get("/api/v1/assets", headers=headers).status_code == 401


def test_unknown_user_and_scope_are_clear_errors(app: Flask, database_url: str, tmp_path: Path) -> None:
    env = {"ASSETPORT_INSTANCE_DIR": str(tmp_path / "cli"), "ASSETPORT_DATABASE_URL": database_url}
    missing = CliRunner().invoke(main, ["create-token", "ghost@example.com"], env=env)
    assert missing.exit_code != 0 and "no user" in missing.output
    bad_scope = CliRunner().invoke(main, ["create-token", "ghost@example.com", "--scope", "admin"], env=env)
    assert bad_scope.exit_code != 0


def test_bearer_token_works_from_a_client_holding_a_stray_session_cookie(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    """A client that once fetched a page (and so holds a session cookie) is still authenticated by its
    token: session protection must not turn the token request into an anonymous one."""
    _user(app)
    token = _cli_token(app, database_url, tmp_path, "write")
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as sess:
        sess["_id"] = "identifier-of-another-browser"
        sess["csrf_token"] = "x"
    resp = client.get("/api/v1/assets", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_json()
    assert _upload(client, token).status_code == 201  # type: ignore[attr-defined]
