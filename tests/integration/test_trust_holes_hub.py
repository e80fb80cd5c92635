"""Trust hole 10: the brand hub's download rules (public presets, usage terms) hold on every route that
serves a public file: stable links, pinned versions and share links."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal.runtime import Runtime
from portal.services.brand import hub as brand_service
from tests.brand_helpers import ADMIN, ingest, release, share
from tests.conftest import csrf_token
from tests.gov_helpers import png


def test_hole_10_public_presets_and_terms_gate_every_public_download(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = ingest(rt, png(tmp_path, 10, size=(300, 200)))
    release(rt, asset_id)
    with rt.db.transaction() as session:
        brand_service.update_settings(
            session, ADMIN, name="Hub", colour="#123456", intro="", terms="Be nice.", public_presets=["web"]
        )
    token = share(rt, "selection", {"asset_ids": [asset_id]}, allowed_presets=["web", "original"])
    client = app.test_client()
    # Not offered to the public at all: refused on every route, terms or not.
    for path in (f"/a/{asset_id}/original", f"/a/{asset_id}/print", f"/a/{asset_id}/v/1/original"):
        resp = client.get(path)
        assert resp.status_code in (302, 401) and "/login" in resp.headers.get("Location", "/login"), path
    # Offered, but the terms come first.
    for path in (f"/a/{asset_id}/web", f"/a/{asset_id}/v/1/web", f"/s/{token}/a/{asset_id}/web"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/brand/terms" in resp.headers["Location"], (
            path,
            resp.status_code,
        )
    # Thumbnails and previews stay free.
    assert client.get(f"/a/{asset_id}/thumb").status_code == 200
    csrf = csrf_token(client, "/brand/terms")
    client.post("/brand/terms", data={"csrf_token": csrf})
    for path in (f"/a/{asset_id}/web", f"/a/{asset_id}/v/1/web", f"/s/{token}/a/{asset_id}/web"):
        assert client.get(path).status_code == 200, path
    assert client.get(f"/a/{asset_id}/original").status_code in (302, 401)
    # The terms page sends the visitor back to the stable link (no open redirect elsewhere).
    resp = client.post("/brand/terms", data={"csrf_token": csrf, "next": f"/a/{asset_id}/web"})
    assert resp.headers["Location"].endswith(f"/a/{asset_id}/web")
