"""PATCH of an asset with ETags, product links over the API, the product list, and the generated spec."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal.runtime import Runtime
from tests.gov_helpers import new_asset, set_state, user_with_token


def _asset(app: Flask, tmp_path: Path, seed: int = 1) -> int:
    rt: Runtime = app.extensions["assetport"]
    return new_asset(rt, tmp_path, seed)


def test_patch_changes_fields_and_a_stale_etag_is_412(app: Flask, tmp_path: Path) -> None:
    asset_id = _asset(app, tmp_path)
    _, headers = user_with_token(app, "editor")
    client = app.test_client()
    got = client.get(f"/api/v1/assets/{asset_id}", headers=headers)
    etag = got.headers["ETag"]
    patch = {
        "title": "Bracket, front",
        "description": "A steel bracket",
        "tags": ["Steel", "bracket", "steel"],
        "visibility": "partner",
        "rights_note": "Photo: ACME",
        "usage_restrictions": "web only",
        "expires_at": "2099-12-31",
    }
    resp = client.patch(f"/api/v1/assets/{asset_id}", json=patch, headers={**headers, "If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["title"] == "Bracket, front" and sorted(body["tags"]) == ["bracket", "steel"]
    assert (body["visibility"], body["usage_restrictions"]) == ("partner", "web only")
    assert body["rights_note"] == "Photo: ACME" and body["rights_expire_at"].startswith("2099-12-31")
    assert resp.headers["ETag"] != etag
    # The old ETag is stale now: a second writer who read before the change is refused.
    stale = client.patch(
        f"/api/v1/assets/{asset_id}", json={"title": "Other"}, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412 and stale.get_json()["error"]["code"] == "precondition_failed"
    fresh = client.get(f"/api/v1/assets/{asset_id}", headers=headers)
    assert fresh.get_json()["title"] == "Bracket, front"
    assert fresh.headers["ETag"] == resp.headers["ETag"]
    # Only what is sent changes; null clears an optional field; no If-Match is allowed.
    again = client.patch(f"/api/v1/assets/{asset_id}", json={"expires_at": None}, headers=headers)
    assert again.status_code == 200 and again.get_json()["rights_expire_at"] is None
    assert again.get_json()["title"] == "Bracket, front" and again.get_json()["visibility"] == "partner"


def test_patch_validation_and_roles(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = _asset(app, tmp_path)
    set_state(rt, asset_id, "approved", visibility="partner")
    _, editor = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    _, reader = user_with_token(app, "editor", scope="read")
    client = app.test_client()
    url = f"/api/v1/assets/{asset_id}"
    assert client.patch(url, json={"title": ""}, headers=editor).status_code == 422
    assert client.patch(url, json={"visibility": "everyone"}, headers=editor).status_code == 422
    assert client.patch(url, json={"colour": "red"}, headers=editor).status_code == 422
    assert client.patch(url, json={"expires_at": "soon"}, headers=editor).status_code == 422
    assert client.patch(url, data="nope", headers=editor, content_type="application/json").status_code == 400
    assert client.patch(url, json={"title": "x"}, headers=partner).status_code == 403
    assert client.patch(url, json={"title": "x"}, headers=reader).status_code == 403
    assert client.patch(url, json={"title": "x"}).status_code in (400, 401)  # CSRF or login
    assert client.patch("/api/v1/assets/999999", json={"title": "x"}, headers=editor).status_code == 404
    assert client.get(url, headers=partner).get_json()["title"] != "x"


def test_links_over_the_api(app: Flask, tmp_path: Path) -> None:
    asset_id = _asset(app, tmp_path)
    _, editor = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    assert (
        client.put("/api/v1/products/7310%2F22-B", json={"name": "Bracket"}, headers=editor).status_code
        == 201
    )
    url = f"/api/v1/assets/{asset_id}/links"
    assert client.get(url, headers=editor).get_json() == {"items": []}
    created = client.post(url, json={"key": "7310/22-B"}, headers=editor)
    assert created.status_code == 201, created.get_json()
    link = created.get_json()
    assert link["article_number"] == "7310/22-B" and link["source"] == "manual"
    assert client.post(url, json={"key": "nope"}, headers=editor).status_code == 404
    assert client.post(url, json={"key": ""}, headers=editor).status_code == 422
    assert client.post(url, json={"key": "7310/22-B"}, headers=partner).status_code in (403, 404)
    assert [i["id"] for i in client.get(url, headers=editor).get_json()["items"]] == [link["id"]]
    assert client.delete(f"{url}/{link['id']}", headers=partner).status_code in (403, 404)
    assert client.delete(f"{url}/{link['id']}", headers=editor).status_code == 204
    assert client.delete(f"{url}/{link['id']}", headers=editor).status_code == 404
    assert client.get(url, headers=editor).get_json() == {"items": []}


def test_product_list_pages_and_filters(app: Flask) -> None:
    _, editor = user_with_token(app, "editor")
    client = app.test_client()
    for number, name, category in [
        ("A-1", "Lamp red", "Lamps"),
        ("A-2", "Lamp blue", "Lamps"),
        ("B/1", "Chair", "Seats"),
    ]:
        body = {"name": name, "category": category}
        assert (
            client.put(
                f"/api/v1/products/{number.replace('/', '%2F')}", json=body, headers=editor
            ).status_code
            == 201
        )
    page = client.get("/api/v1/products?size=2", headers=editor).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    lamps = client.get("/api/v1/products?q=lamp&category=Lamps", headers=editor).get_json()
    assert {p["article_number"] for p in lamps["items"]} == {"A-1", "A-2"}
    assert (
        client.get("/api/v1/products?q=b/1", headers=editor).get_json()["items"][0]["article_number"] == "B/1"
    )
    assert client.get("/api/v1/products?size=0", headers=editor).status_code == 422
    assert client.get("/api/v1/products?page=x", headers=editor).status_code == 422
    assert client.get("/api/v1/products").status_code == 401


def test_generated_spec_and_405(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    patch = paths["/assets/{asset_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AssetPatch"
    }
    assert {"200", "401", "403", "404", "412", "422"} <= set(patch["responses"])
    assert "ETag" in paths["/assets/{asset_id}"]["get"]["responses"]["200"]["headers"]
    assert "delete" in paths["/assets/{asset_id}/links/{link_id}"]
    products = paths["/products"]["get"]
    size = next(p for p in products["parameters"] if p["name"] == "size")
    assert (size["schema"]["minimum"], size["schema"]["maximum"]) == (1, 200)
    assert "Allow" in products["responses"]["405"]["headers"]
    assert "/products/{article_number}" in paths and "/openapi.json" not in paths
    for name in ("AssetDetail", "ProductPage", "Error", "Link"):
        assert name in spec["components"]["schemas"]
    # Every $ref points at a schema that exists.
    import json
    import re

    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs <= set(spec["components"]["schemas"])
    _, editor = user_with_token(app, "editor")
    resp = client.delete("/api/v1/products", headers=editor)
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert resp.get_json()["error"]["code"] == "method_not_allowed"


def test_docs_page_loads_the_vendored_swagger_ui_without_inline_script(app: Flask) -> None:
    resp = app.test_client().get("/api/docs")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and 'data-spec-url="/api/v1/openapi.json"' in html
    assert "<script>" not in html and "http" not in html.split("<body>")[1]
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert app.test_client().get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
