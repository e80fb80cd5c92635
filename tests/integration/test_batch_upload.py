"""Batch upload: one set of values for many files, per-file overrides, submit all, required values checked
before anything is stored, and a corrupt file among good ones reported on its own."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Asset, AuditEvent, Product, Role
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog import batch_upload
from portal.services.governance.policy import Viewer
from tests.conftest import csrf_token
from tests.gov_helpers import png, user_with_token

BAD = Path(__file__).parent.parent / "fixtures" / "format-zoo" / "bad" / "cross_scan_line_truncated.tga"


def test_title_pattern_fills_name_number_and_refuses_unknown_placeholders() -> None:
    assert (
        batch_upload.render_title("{name} - shot {n:03}", "desk_lamp_front.jpg", 7)
        == "desk_lamp_front - shot 007"
    )
    assert batch_upload.render_title("{n}. {name}.{ext}", "A.PNG", 2) == "2. A.png"
    assert batch_upload.render_title("", "x.png", 1) is None
    with pytest.raises(ValidationError, match=r"unknown placeholder \{article\}"):
        batch_upload.check_pattern("{article} {n}")


def test_submit_needs_the_required_values_before_any_file_is_stored(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        from portal.services.accounts.users import create_user

        editor = Viewer(create_user(session, "ed@example.com", "pw-long-enough-1", "editor").id, Role.EDITOR)
    spec = batch_upload.parse_batch({"submit": "1", "title_pattern": "{name}"}, [])
    with rt.db.session() as session, pytest.raises(ValidationError) as refused:
        batch_upload.check_batch(session, editor, spec)
    assert "fill in before submitting for review: visibility" in refused.value.message
    unknown = batch_upload.parse_batch({"visibility": "partner"}, ["NOPE-1"])
    with rt.db.session() as session, pytest.raises(ValidationError, match="unknown article number"):
        batch_upload.check_batch(session, editor, unknown)
    # Draft uploads need no visibility.
    with rt.db.session() as session:
        batch_upload.check_batch(session, editor, batch_upload.parse_batch({}, []))


def _client(app: Flask, login: Callable[..., FlaskClient]) -> tuple[FlaskClient, str]:
    client = login("editor", "batch-ed@example.com")
    return client, csrf_token(client, "/upload")


def _send(client: FlaskClient, token: str, path: Path, n: int, **values: object) -> dict[str, Any]:
    data: dict[str, object] = {"n": str(n), "file": (io.BytesIO(path.read_bytes()), path.name), **values}
    resp = client.post(
        "/upload/batch/file", data=data, headers={"X-CSRFToken": token, "Accept": "application/json"},
        content_type="multipart/form-data",
    )  # fmt: skip
    body = resp.get_json()
    body["_status"] = resp.status_code
    return body


def test_a_batch_of_files_gets_the_values_overrides_and_goes_to_review(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    with rt.db.transaction() as session:
        session.add(Product(article_number="404.038.96", name="Desk lamp", model_code="LAMP", attributes={}))
    client, token = _client(app, login)
    values: dict[str, object] = {
        "title_pattern": "{name} ({n})", "tags": "Spring, catalogue", "product": ["404.038.96"],
        "visibility": "partner", "rights_note": "Own shoot", "rights_expire_at": "2030-12-31", "submit": "1",
    }  # fmt: skip
    results = [
        _send(client, token, png(tmp_path, seed, name=f"shot_{seed}.png"), seed, **values) for seed in (1, 2)
    ]
    results.append(_send(client, token, BAD, 3, **values))
    results.append(
        _send(
            client,
            token,
            png(tmp_path, 4, name="shot_4.png"),
            4,
            **values,
            file_title="Hero",
            file_tags="hero",
        )
    )
    ok = [r for r in results if r["_status"] == 201]
    assert len(ok) == 3 and all(r["submitted"] for r in ok), results
    bad = results[2]
    assert bad["_status"] in (415, 422) and bad["error"]["message"].startswith(BAD.name), bad
    assert [r["title"] for r in ok] == ["shot_1 (1)", "shot_2 (2)", "Hero"]
    with rt.db.session() as session:
        assets = session.scalars(select(Asset).order_by(Asset.id)).all()
        assert len(assets) == 3  # the corrupt file left nothing behind, the others were kept
        for asset in assets:
            assert asset.status == "in_review" and asset.visibility == "partner"
            assert asset.rights_note == "Own shoot" and asset.rights_expire_at is not None
            assert [link.key for link in asset.links] == ["404.038.96"]
        assert sorted(t.tag for t in assets[2].tags) == ["catalogue", "hero", "spring"]
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.asset_id == assets[0].id)))
        assert {"asset.uploaded", "asset.edit", "asset.rights", "workflow.submit"} <= actions


def test_the_server_refuses_an_incomplete_batch_with_a_clear_message(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    client, token = _client(app, login)
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    check = client.post("/upload/batch/check", data={"submit": "1"}, headers=headers)
    assert check.status_code == 422
    assert check.get_json()["error"]["message"] == "fill in before submitting for review: visibility"
    # A client that skips the check gets the same answer per file, and nothing is stored.
    body = _send(client, token, png(tmp_path, 9), 1, submit="1", visibility="")
    assert body["_status"] == 422 and "visibility" in body["error"]["message"]
    assert (
        client.post(
            "/upload/batch/check", data={"visibility": "public", "submit": "1"}, headers=headers
        ).status_code
        == 200
    )
    # Custom field values go through the hook: no field is defined here, so one is refused by name.
    with rt.db.session() as session, pytest.raises(ValidationError, match="unknown custom field 'season'"):
        batch_upload.check_batch(
            session, Viewer(1, Role.EDITOR), batch_upload.parse_batch({}, [], {"season": "x"})
        )
    with rt.db.session() as session:
        assert session.scalars(select(Asset)).all() == []


def test_partners_may_not_upload(app: Flask, login: Callable[..., FlaskClient]) -> None:
    client = login("partner")
    token = csrf_token(client, "/assets")
    resp = client.post(
        "/upload/batch/check", data={}, headers={"X-CSRFToken": token, "Accept": "application/json"}
    )
    assert resp.status_code == 403


SEASON = {
    "key": "season", "type": "select", "labels": {"en": "Season"}, "required": True,
    "options": [{"value": "summer", "labels": {"en": "Summer"}},
                {"value": "winter", "labels": {"en": "Winter"}}],
}  # fmt: skip
COST = {"key": "cost_centre", "type": "text", "labels": {"en": "Cost centre"}, "audience": "staff"}


def test_custom_fields_are_asked_checked_and_applied_to_every_file(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    _, admin = user_with_token(app, "admin")
    for body in (SEASON, COST):
        assert app.test_client().post("/api/v1/fields", json=body, headers=admin).status_code == 201
    client, token = _client(app, login)
    page = client.get("/upload").get_data(as_text=True)
    # The role's fields through the shared macro; the required one is asked for before submitting.
    assert 'name="cf_shown" value="season"' in page and 'name="cf_shown" value="cost_centre"' in page
    assert 'id="batch-cf-season" name="cf.season" data-required-for-submit' in page
    assert 'name="cf.cost_centre" maxlength' in page  # not required: no submit mark
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    shown = {"cf_shown": ["season", "cost_centre"], "visibility": "partner", "submit": "1"}
    missing = client.post("/upload/batch/check", data=shown, headers=headers)
    assert missing.status_code == 422
    assert missing.get_json()["error"]["message"] == "fill in before submitting for review: Season"
    wrong = client.post("/upload/batch/check", data={**shown, "cf.season": "autumn"}, headers=headers)
    assert wrong.status_code == 422 and "not one of the choices" in wrong.get_json()["error"]["message"]
    # A client that skips the check gets the same answer per file, and nothing is stored.
    assert _send(client, token, png(tmp_path, 20), 1, **shown)["_status"] == 422
    with rt.db.session() as session:
        assert session.scalars(select(Asset)).all() == []
    values = {**shown, "cf.season": "winter", "cf.cost_centre": " CC  7 "}
    assert client.post("/upload/batch/check", data=values, headers=headers).status_code == 200
    results = [_send(client, token, png(tmp_path, 21 + n), n + 1, **values) for n in range(2)]
    assert [r["_status"] for r in results] == [201, 201] and all(r["submitted"] for r in results), results
    with rt.db.session() as session:
        assets = session.scalars(select(Asset).order_by(Asset.id)).all()
        assert [a.custom_fields for a in assets] == [{"season": "winter", "cost_centre": "CC 7"}] * 2
        assert [a.status for a in assets] == ["in_review"] * 2
    # Drafts need no required value; a staff-only field is unknown to a role that may not see it.
    draft = _send(client, token, png(tmp_path, 30), 3, cf_shown=["season"], **{"cf.season": ""})
    assert draft["_status"] == 201 and not draft["submitted"]
    partner = Viewer(1, Role.PARTNER)
    with (
        rt.db.session() as session,
        pytest.raises(ValidationError, match="unknown custom field 'cost_centre'"),
    ):
        batch_upload.check_custom_fields(session, partner, {"cost_centre": "CC 7"})
