"""Visibility and rights: the edit form, expiry hiding an asset everywhere at once, the expiry job."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Asset, AuditEvent, OutboxItem
from models.base import utcnow
from portal.jobs.registry import run_task
from portal.runtime import Runtime
from portal.services.governance.rights import expiring_soon
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state, user_with_token


def _seen_by_partner(client: FlaskClient, headers: dict[str, str], asset_id: int) -> dict[str, bool]:
    return {
        "api": client.get(f"/api/v1/assets/{asset_id}", headers=headers).status_code == 200,
        "list": asset_id
        in {i["id"] for i in client.get("/api/v1/assets", headers=headers).get_json()["items"]},
        "search": asset_id
        in {h["id"] for h in client.get("/api/v1/search", headers=headers).get_json()["hits"]},
        "file": client.get(f"/a/{asset_id}/original", headers=headers).status_code == 200,
        "thumb": client.get(f"/a/{asset_id}/thumb", headers=headers).status_code == 200,
    }


def test_expiry_hides_at_the_expiry_time_without_the_job(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    _, partner = user_with_token(app, "partner")
    past, future = new_asset(rt, tmp_path, 1), new_asset(rt, tmp_path, 2)
    now = utcnow()
    set_state(rt, past, "approved", "partner", now - timedelta(seconds=2))
    set_state(rt, future, "approved", "partner", now + timedelta(minutes=10))
    rt.queue.enqueue("search.rebuild")  # documents carry the expiry; the query compares it with the clock
    client = app.test_client(use_cookies=False)
    assert not any(_seen_by_partner(client, partner, past).values())
    assert all(_seen_by_partner(client, partner, future).values())


def test_expiry_job_reindexes_once_and_dashboard_flags_soon(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    expired, soon, later = (new_asset(rt, tmp_path, i) for i in (3, 4, 5))
    now = utcnow()
    set_state(rt, expired, "approved", "public", now - timedelta(minutes=1))
    set_state(rt, soon, "approved", "public", now + timedelta(days=3))
    set_state(rt, later, "approved", "public", now + timedelta(days=40))
    assert run_task(rt, "rights.expire", {}) == 1
    assert run_task(rt, "rights.expire", {}) == 0  # safe twice
    with rt.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "asset.rights_expired")).all()
        assert [e.asset_id for e in events] == [expired]
        syncs = session.scalars(select(OutboxItem).where(OutboxItem.task == "search.sync")).all()
        assert any(expired in s.args["asset_ids"] for s in syncs)
        assert [a.id for a in expiring_soon(session)] == [soon]


def test_rights_form_saves_visibility_restrictions_and_expiry(
    app: Flask, login: object, tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    editor = login("editor")  # type: ignore[operator]
    asset_id = new_asset(rt, tmp_path, 6)
    token = csrf_token(editor, f"/assets/{asset_id}")
    form = {
        "csrf_token": token,
        "visibility": "public",
        "rights_note": "Photo: ACME",
        "usage_restrictions": "web only",
        "rights_expire_at": "2031-05-01T12:00",
    }
    resp = editor.post(f"/assets/{asset_id}/rights", data=form, follow_redirects=True)
    assert resp.status_code == 200 and "Saved" in resp.get_data(as_text=True)
    with rt.db.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None and asset.visibility == "public" and asset.usage_restrictions == "web only"
        assert asset.rights_expire_at is not None and asset.rights_expire_at.year == 2031
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "asset.rights")).one()
        assert event.detail["visibility"] == "public"
    bad = editor.post(
        f"/assets/{asset_id}/rights", data={**form, "visibility": "world"}, follow_redirects=True
    )
    assert "isibility must be one of" in bad.get_data(as_text=True)
    bad_date = editor.post(
        f"/assets/{asset_id}/rights", data={**form, "rights_expire_at": "soon"}, follow_redirects=True
    )
    assert "ot a date" in bad_date.get_data(as_text=True)
    partner = login("partner")  # type: ignore[operator]
    denied = partner.post(
        f"/assets/{asset_id}/rights", data={**form, "csrf_token": csrf_token(partner, "/assets")}
    )
    assert denied.status_code in (403, 404)


def test_dashboard_lists_expiring_assets_for_managers(app: Flask, login: object, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = new_asset(rt, tmp_path, 7, title="Soon gone")
    set_state(rt, asset_id, "approved", "public", utcnow() + timedelta(days=2))
    manager = login("manager")  # type: ignore[operator]
    page = manager.get("/review/dashboard").get_data(as_text=True)
    assert "Soon gone" in page
    assert login("editor").get("/review/dashboard").status_code == 403  # type: ignore[operator]
