"""POST /api/v1/bulk: dry run per asset, a job with per-asset results, the page rules per asset, undo."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal.runtime import Runtime
from tests.gov_helpers import new_asset, set_state, user_with_token


def test_bulk_dry_run_job_and_undo(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    ids = [new_asset(rt, tmp_path, seed) for seed in (1, 2, 3)]
    set_state(rt, ids[2], "archived", visibility="internal")  # frozen for editors
    _, editor = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    assert (
        client.put("/api/v1/products/7310%2F22-B", json={"name": "Bracket"}, headers=editor).status_code
        == 201
    )
    changes = {"add_tags": ["Spring"], "visibility": "partner", "add_links": ["7310/22-B"]}
    dry = client.post("/api/v1/bulk", json={"ids": ids, "changes": changes, "dry_run": True}, headers=editor)
    assert dry.status_code == 200, dry.get_json()
    by_id = {r["asset_id"]: r for r in dry.get_json()["items"]}
    assert by_id[ids[0]]["result"] == "ok"
    assert by_id[ids[0]]["changes"]["visibility"] == {"from": "internal", "to": "partner"}
    assert by_id[ids[0]]["changes"]["tags"]["to"] == ["spring"]
    assert by_id[ids[2]]["result"] == "refused" and by_id[ids[2]]["status"] == 403
    # Nothing was stored by the dry run.
    assert client.get(f"/api/v1/assets/{ids[0]}", headers=editor).get_json()["visibility"] == "internal"
    started = client.post("/api/v1/bulk", json={"ids": ids, "changes": changes}, headers=editor)
    assert started.status_code == 202, started.get_json()
    job = client.get(started.headers["Location"], headers=editor).get_json()
    assert (job["status"], job["done"], job["total"]) == ("done", 3, 3)
    assert [r["result"] for r in job["results"]] == ["ok", "ok", "refused"]
    first = client.get(f"/api/v1/assets/{ids[0]}", headers=editor).get_json()
    assert (
        first["visibility"] == "partner"
        and "spring" in first["tags"]
        and "7310/22-B" in first["article_numbers"]
    )
    assert client.get(started.headers["Location"], headers=partner).status_code == 404
    undone = client.post(job["undo_url"], headers=editor)
    assert undone.status_code == 202, undone.get_json()
    undo_job = client.get(undone.headers["Location"], headers=editor).get_json()
    assert (undo_job["kind"], undo_job["status"], undo_job["undo_of"]) == ("undo", "done", job["id"])
    assert {r["result"] for r in undo_job["results"]} == {"ok"} and undo_job["summary"]["changed"] == 2
    back = client.get(f"/api/v1/assets/{ids[0]}", headers=editor).get_json()
    assert back["visibility"] == "internal" and back["tags"] == [] and back["article_numbers"] == []
    assert client.post(job["undo_url"], headers=editor).status_code == 422  # undone already


def test_bulk_by_search_validation_and_roles(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    for seed in (4, 5):
        new_asset(rt, tmp_path, seed, title=f"lamp {seed}")
    new_asset(rt, tmp_path, 6, title="chair")
    _, editor = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    body = {"search": "q=lamp", "changes": {"add_tags": ["light"]}, "dry_run": True}
    dry = client.post("/api/v1/bulk", json=body, headers=editor)
    assert dry.status_code == 200, dry.get_json()
    assert len(dry.get_json()["items"]) == 2
    assert client.post("/api/v1/bulk", json={**body, "ids": [1]}, headers=editor).status_code == 422
    assert client.post("/api/v1/bulk", json={"ids": [1], "changes": {}}, headers=editor).status_code == 422
    assert (
        client.post(
            "/api/v1/bulk", json={"ids": [1], "changes": {"colour": "red"}}, headers=editor
        ).status_code
        == 422
    )
    both = {"ids": [1], "changes": {"set_tags": ["a"], "add_tags": ["b"]}}
    assert client.post("/api/v1/bulk", json=both, headers=editor).status_code == 422
    assert client.post("/api/v1/bulk", json={**body, "dry_run": False}, headers=partner).status_code == 403
