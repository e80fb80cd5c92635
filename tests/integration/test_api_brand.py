"""Collections, share links and saved searches over the API, with each role's allow/deny."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from models.base import utcnow
from portal.runtime import Runtime
from tests.gov_helpers import new_asset, set_state, user_with_token


def test_collections(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    ids = [new_asset(rt, tmp_path, seed) for seed in (1, 2, 3)]
    _, manager = user_with_token(app, "manager")
    _, editor = user_with_token(app, "editor")
    client = app.test_client()
    made = client.post("/api/v1/collections", json={"name": "Spring", "asset_ids": ids[:2]}, headers=manager)
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    assert made.get_json()["asset_ids"] == ids[:2]
    assert client.post("/api/v1/collections", json={"name": "Spring"}, headers=manager).status_code == 409
    added = client.post(
        f"/api/v1/collections/{cid}/items", json={"asset_ids": [ids[2], ids[0]]}, headers=manager
    )
    assert added.get_json()["asset_ids"] == ids
    assert (
        client.post(
            f"/api/v1/collections/{cid}/items", json={"asset_ids": [999999]}, headers=manager
        ).status_code
        == 422
    )
    assert client.delete(f"/api/v1/collections/{cid}/items/{ids[1]}", headers=manager).status_code == 204
    assert client.get(f"/api/v1/collections/{cid}", headers=manager).get_json()["asset_ids"] == [
        ids[0],
        ids[2],
    ]
    assert [c["id"] for c in client.get("/api/v1/collections", headers=manager).get_json()["items"]] == [cid]
    # Everyone has collections of their own; someone else's unshared one does not exist for them.
    assert client.get("/api/v1/collections", headers=editor).get_json()["items"] == []
    assert client.post("/api/v1/collections", json={"name": "X"}, headers=editor).status_code == 201
    assert client.get(f"/api/v1/collections/{cid}", headers=editor).status_code == 404
    assert client.delete(f"/api/v1/collections/{cid}", headers=editor).status_code == 404
    assert client.delete(f"/api/v1/collections/{cid}", headers=manager).status_code == 204
    assert client.get(f"/api/v1/collections/{cid}", headers=manager).status_code == 404


def test_share_links_create_list_revoke_and_log(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = new_asset(rt, tmp_path, 4)
    set_state(rt, asset_id, "approved", visibility="public")
    _, manager = user_with_token(app, "manager")
    _, editor = user_with_token(app, "editor")
    client = app.test_client()
    expires = (utcnow() + timedelta(days=7)).date().isoformat()
    body = {"kind": "selection", "asset_ids": [asset_id], "expires_at": expires, "title": "For the shop"}
    made = client.post("/api/v1/share-links", json=body, headers=manager)
    assert made.status_code == 201, made.get_json()
    link = made.get_json()
    assert link["state"] == "active" and "/s/" in link["url"]
    assert client.get(link["url"].split("localhost", 1)[-1]).status_code == 200
    log = client.get(f"/api/v1/share-links/{link['id']}/access", headers=manager).get_json()["items"]
    assert [a["action"] for a in log] == ["view"]
    listed = client.get("/api/v1/share-links", headers=manager).get_json()["items"]
    assert listed[0]["id"] == link["id"] and listed[0]["views"] == 1 and "url" not in listed[0]
    bad = client.post("/api/v1/share-links", json={**body, "expires_at": "2000-01-01"}, headers=manager)
    assert bad.status_code == 422
    assert client.post("/api/v1/share-links", json=body, headers=editor).status_code == 403
    assert client.get("/api/v1/share-links", headers=editor).status_code == 403
    revoked = client.post(f"/api/v1/share-links/{link['id']}/revoke", headers=manager)
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert client.get(link["url"].split("localhost", 1)[-1]).status_code == 410


def test_saved_searches_belong_to_their_owner(app: Flask) -> None:
    _, alice = user_with_token(app, "partner")
    _, bob = user_with_token(app, "editor")
    client = app.test_client()
    made = client.post(
        "/api/v1/saved-searches", json={"name": "Lamps", "query": "q=lamp&f.file_type=image"}, headers=alice
    )
    assert made.status_code == 201, made.get_json()
    assert "q=lamp" in made.get_json()["query"]
    assert client.post("/api/v1/saved-searches", json={"name": "Lamps"}, headers=alice).status_code == 409
    assert [s["name"] for s in client.get("/api/v1/saved-searches", headers=alice).get_json()["items"]] == [
        "Lamps"
    ]
    assert client.get("/api/v1/saved-searches", headers=bob).get_json()["items"] == []
    sid = made.get_json()["id"]
    assert client.delete(f"/api/v1/saved-searches/{sid}", headers=bob).status_code == 404
    assert client.delete(f"/api/v1/saved-searches/{sid}", headers=alice).status_code == 204


def test_brand_hub_settings_and_sections(app: Flask) -> None:
    _, admin = user_with_token(app, "admin")
    _, manager = user_with_token(app, "manager")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    assert client.get("/api/v1/brand/settings", headers=partner).get_json()["terms_version"] == 1
    body = {
        "name": "ACME",
        "colour": "#112233",
        "intro": "Hello",
        "terms": "Be nice",
        "public_presets": ["web"],
    }
    saved = client.put("/api/v1/brand/settings", json=body, headers=admin)
    assert saved.status_code == 200, saved.get_json()
    assert (saved.get_json()["name"], saved.get_json()["terms_version"]) == ("ACME", 2)
    assert (
        client.put("/api/v1/brand/settings", json={**body, "colour": "red"}, headers=admin).status_code == 422
    )
    assert client.put("/api/v1/brand/settings", json=body, headers=manager).status_code == 403
    first = client.post(
        "/api/v1/brand/sections",
        json={"title": "Lamps", "kind": "saved_search", "query": "q=lamp"},
        headers=manager,
    )
    assert first.status_code == 201, first.get_json()
    second = client.post(
        "/api/v1/brand/sections", json={"title": "Chairs", "kind": "saved_search"}, headers=manager
    )
    assert second.status_code == 201
    assert (
        client.post(
            "/api/v1/brand/sections", json={"title": "Lamps", "kind": "saved_search"}, headers=manager
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/brand/sections", json={"title": "X", "kind": "saved_search"}, headers=partner
        ).status_code
        == 403
    )
    moved = client.post(
        f"/api/v1/brand/sections/{second.get_json()['id']}/move", json={"step": -1}, headers=manager
    )
    assert [s["title"] for s in moved.get_json()["items"]] == ["Chairs", "Lamps"]
    assert [s["slug"] for s in client.get("/api/v1/brand/sections", headers=partner).get_json()["items"]] == [
        "chairs",
        "lamps",
    ]
    assert (
        client.delete(f"/api/v1/brand/sections/{first.get_json()['id']}", headers=partner).status_code == 403
    )
    assert (
        client.delete(f"/api/v1/brand/sections/{first.get_json()['id']}", headers=manager).status_code == 204
    )
