"""Audit events, users and roles, presets and renditions over the API, with each role's allow/deny."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import Flask

from portal.runtime import Runtime
from tests.gov_helpers import new_asset, set_state, user_with_token


def test_audit_filters_pages_and_csv(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = new_asset(rt, tmp_path, 1)
    _, manager = user_with_token(app, "manager")
    _, editor = user_with_token(app, "editor")
    client = app.test_client()
    for title in ("One", "Two", "Three"):
        assert (
            client.patch(f"/api/v1/assets/{asset_id}", json={"title": title}, headers=manager).status_code
            == 200
        )
    page = client.get(f"/api/v1/audit?action=asset.edit&asset={asset_id}&size=2", headers=manager).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    assert page["items"][0]["action"] == "asset.edit" and page["items"][0]["detail"]["fields"] == ["title"]
    assert client.get("/api/v1/audit?action=nothing.", headers=manager).get_json()["total"] == 0
    assert client.get("/api/v1/audit?from=2000-01-01&to=2000-01-02", headers=manager).get_json()["total"] == 0
    assert client.get("/api/v1/audit?from=soon", headers=manager).status_code == 422
    assert client.get("/api/v1/audit?asset=x", headers=manager).status_code == 422
    resp = client.get("/api/v1/audit.csv?action=asset.edit", headers=manager)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "at", "actor", "action"] and len(rows) == 4
    assert client.get("/api/v1/audit", headers=editor).status_code == 403
    assert client.get("/api/v1/audit.csv", headers=editor).status_code == 403


def test_users_and_roles(app: Flask) -> None:
    _, admin = user_with_token(app, "admin")
    other, _ = user_with_token(app, "editor")
    _, manager = user_with_token(app, "manager")
    client = app.test_client()
    users = client.get("/api/v1/users", headers=admin).get_json()["items"]
    assert {u["id"] for u in users} >= {other} and all(u["active_tokens"] == 1 for u in users)
    changed = client.patch(f"/api/v1/users/{other}", json={"role": "manager", "active": False}, headers=admin)
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["role"], changed.get_json()["active"]) == ("manager", False)
    assert client.patch(f"/api/v1/users/{other}", json={"role": "boss"}, headers=admin).status_code == 422
    assert client.patch("/api/v1/users/999999", json={"active": True}, headers=admin).status_code == 404
    assert client.get("/api/v1/users", headers=manager).status_code == 403
    assert client.patch(f"/api/v1/users/{other}", json={"active": True}, headers=manager).status_code == 403
    assert "partner" in client.get("/api/v1/roles", headers=manager).get_json()["items"]


def test_presets_and_renditions(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = new_asset(rt, tmp_path, 2)
    _, manager = user_with_token(app, "manager")
    _, editor = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    names = {p["name"] for p in client.get("/api/v1/presets", headers=partner).get_json()["items"]}
    assert "web" in names
    body = {"format": "PNG", "max_edge": 300, "label": "Shop"}
    put = client.put("/api/v1/presets/shop", json=body, headers=manager)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["name"] == "shop" and put.get_json()["format"] == "PNG"
    assert client.put("/api/v1/presets/shop", json={"format": "GIFF"}, headers=manager).status_code == 422
    assert client.put("/api/v1/presets/shop", json=body, headers=editor).status_code == 403
    renditions = client.get(f"/api/v1/assets/{asset_id}/renditions", headers=editor).get_json()["items"]
    by_name = {r["preset"]: r for r in renditions}
    assert {"original", "web", "shop"} <= set(by_name)
    fetched = client.get(by_name["shop"]["url"], headers=editor)
    assert fetched.status_code == 200 and fetched.mimetype == "image/png"
    # A partner sees the renditions of a released asset only, like its files.
    assert client.get(f"/api/v1/assets/{asset_id}/renditions", headers=partner).status_code == 404
    set_state(rt, asset_id, "approved", visibility="partner")
    assert client.get(f"/api/v1/assets/{asset_id}/renditions", headers=partner).status_code == 200
    assert client.delete("/api/v1/presets/shop", headers=editor).status_code == 403
    assert client.delete("/api/v1/presets/shop", headers=manager).status_code == 204
    assert client.delete("/api/v1/presets/shop", headers=manager).status_code == 404
