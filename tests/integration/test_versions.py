"""Versions: upload a new file to an asset (API and web), history, restore, duplicates, back to review."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from models import Asset, AuditEvent
from portal.runtime import Runtime
from tests.gov_helpers import new_asset, png, set_state, user_with_token


def _upload(app: Flask, headers: dict[str, str], asset_id: int, path: Path) -> object:
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), "comment": "new crop"}
    return app.test_client(use_cookies=False).post(
        f"/api/v1/assets/{asset_id}/versions", data=data, headers=headers
    )


def test_new_version_of_approved_asset_goes_back_to_review_partners_keep_the_old(
    app: Flask, tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    editor, headers = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    asset_id = new_asset(rt, tmp_path, 1, user_id=editor)
    set_state(rt, asset_id, "approved", "partner")
    client = app.test_client(use_cookies=False)
    old_bytes = client.get(f"/a/{asset_id}/original", headers=partner).data
    resp = _upload(app, headers, asset_id, png(tmp_path / "v2", 2, size=(80, 60)))
    assert resp.status_code == 201, resp.get_json()  # type: ignore[attr-defined]
    body = resp.get_json()  # type: ignore[attr-defined]
    assert body["number"] == 2 and body["back_in_review"] is True
    with rt.db.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None and asset.status == "in_review"
        assert asset.current_version_id == body["version_id"] != asset.approved_version_id
        actions = [
            e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.asset_id == asset_id))
        ]
        assert {"version.uploaded", "workflow.resubmit"} <= set(actions)
    # Partners still see the asset, with the approved bytes; staff get the new version.
    assert client.get(f"/a/{asset_id}/original", headers=partner).data == old_bytes
    assert client.get(f"/a/{asset_id}/original", headers=headers).data != old_bytes
    # ... and the approved version's facts, with the released status, never the version in review.
    seen = client.get(f"/api/v1/assets/{asset_id}", headers=partner).get_json()
    assert seen["status"] == "approved" and (seen["width"], seen["height"]) == (64, 48)
    assert [v["number"] for v in seen["versions"]] == [1]
    listed = client.get("/api/v1/assets", headers=partner).get_json()["items"]
    assert [(a["status"], a["width"]) for a in listed] == [("approved", 64)]
    staff_view = client.get(f"/api/v1/assets/{asset_id}", headers=headers).get_json()
    assert staff_view["status"] == "in_review" and staff_view["width"] == 80
    hits = client.get("/api/v1/search", headers=partner).get_json()["hits"]
    assert [(h["id"], h["status"]) for h in hits] == [(asset_id, "approved")]
    history = client.get(f"/api/v1/assets/{asset_id}/versions", headers=headers).get_json()["items"]
    assert [v["number"] for v in history] == [2, 1] and history[0]["comment"] == "new crop"
    assert history[0]["uploaded_by"].startswith("editor-")
    assert client.get(f"/api/v1/assets/{asset_id}/versions", headers=partner).status_code == 404


def test_restore_makes_an_old_version_current_and_is_audited(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    _, headers = user_with_token(app, "editor")
    asset_id = new_asset(rt, tmp_path, 3)
    first = _version_ids(rt, asset_id)[0]
    assert _upload(app, headers, asset_id, png(tmp_path / "v2", 4)).status_code == 201  # type: ignore[attr-defined]
    client = app.test_client(use_cookies=False)
    resp = client.post(f"/api/v1/assets/{asset_id}/versions/{first}/restore", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["current_version_id"] == first
    again = client.post(f"/api/v1/assets/{asset_id}/versions/{first}/restore", headers=headers)
    assert again.status_code == 409
    other = new_asset(rt, tmp_path, 5)
    foreign = _version_ids(rt, other)[0]
    assert (
        client.post(f"/api/v1/assets/{asset_id}/versions/{foreign}/restore", headers=headers).status_code
        == 404
    )
    with rt.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "version.restored")).one()
        assert event.asset_id == asset_id and event.detail["number"] == 1 and event.detail["previous"] == 2


def _version_ids(rt: Runtime, asset_id: int) -> list[int]:
    with rt.db.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return [v.id for v in asset.versions]


def test_duplicate_bytes_and_bad_files_are_clear_errors(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    _, headers = user_with_token(app, "editor")
    _, read_only = user_with_token(app, "editor", scope="read")
    _, partner = user_with_token(app, "partner")
    asset_id = new_asset(rt, tmp_path, 6)
    other = new_asset(rt, tmp_path, 7)
    own = _upload(app, headers, asset_id, png(tmp_path, 6))
    assert own.status_code == 409 and "already version 1" in own.get_json()["error"]["message"]  # type: ignore[attr-defined]
    theirs = _upload(app, headers, asset_id, png(tmp_path, 7))
    assert theirs.status_code == 409 and f"asset {other}" in theirs.get_json()["error"]["message"]  # type: ignore[attr-defined]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really")
    assert _upload(app, headers, asset_id, broken).status_code in (415, 422)  # type: ignore[attr-defined]
    assert _upload(app, read_only, asset_id, png(tmp_path, 8)).status_code == 403  # type: ignore[attr-defined]
    assert _upload(app, partner, asset_id, png(tmp_path, 9)).status_code == 404  # type: ignore[attr-defined]
    none = app.test_client(use_cookies=False).post(f"/api/v1/assets/{asset_id}/versions", headers=headers)
    assert none.status_code == 400
    assert _version_ids(rt, asset_id) == _version_ids(rt, asset_id)[:1]


def test_web_version_upload_and_compare_page(app: Flask, login: object, tmp_path: Path) -> None:
    from tests.conftest import csrf_token

    rt: Runtime = app.extensions["assetport"]
    client = login("editor")  # type: ignore[operator]
    asset_id = new_asset(rt, tmp_path, 10)
    token = csrf_token(client, f"/assets/{asset_id}")
    data = {"file": (io.BytesIO(png(tmp_path, 11).read_bytes()), "v2.png"), "csrf_token": token}
    resp = client.post(f"/assets/{asset_id}/versions", data=data, follow_redirects=True)
    assert resp.status_code == 200 and "Version 2 uploaded" in resp.get_data(as_text=True)
    page = client.get(f"/assets/{asset_id}/compare").get_data(as_text=True)
    assert f"/a/{asset_id}/v/1/preview" in page and f"/a/{asset_id}/v/2/preview" in page


def test_asset_page_shows_partners_the_approved_version_and_its_channels(
    app: Flask, login: object, tmp_path: Path
) -> None:
    """A partner's asset page describes and offers the approved version, not the one in review, and lists
    the channel renditions to download; staff see the new version and the whole history."""
    rt: Runtime = app.extensions["assetport"]
    editor, headers = user_with_token(app, "editor")
    asset_id = new_asset(rt, tmp_path, 20, user_id=editor)
    set_state(rt, asset_id, "approved", "partner")
    resp = _upload(app, headers, asset_id, png(tmp_path / "v2", 21, size=(80, 60)))
    assert resp.status_code == 201  # type: ignore[attr-defined]
    partner_page = login("partner").get(f"/assets/{asset_id}").get_data(as_text=True)  # type: ignore[operator]
    assert "64 \u00d7 48 px" in partner_page and "80 \u00d7 60 px" not in partner_page
    assert 'data-channel="web"' in partner_page and 'data-channel="print"' in partner_page
    assert 'data-channel="thumb"' not in partner_page
    assert "in review" not in partner_page.lower().replace("in_review", "")
    staff_page = login("editor").get(f"/assets/{asset_id}").get_data(as_text=True)  # type: ignore[operator]
    assert "80 \u00d7 60 px" in staff_page and staff_page.count("<code title=") == 2
    web = login("partner").get(f"/a/{asset_id}/web")  # type: ignore[operator]
    assert web.status_code == 200 and web.mimetype == "image/jpeg"
