"""The JSON API of the foundation: assets, products, health; errors are JSON with the right status."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal.app import create_app
from portal.settings import Settings
from tests.conftest import csrf_token
from tests.helpers import ZOO

Login = Callable[..., FlaskClient]


def _upload(client: FlaskClient, path: Any, name: str | None = None, **form: Any) -> Any:
    token = csrf_token(client, "/upload")
    data = {"file": (io.BytesIO(path.read_bytes()), name or path.name), **form}
    return client.post(
        "/api/v1/assets", data=data, headers={"X-CSRFToken": token}, content_type="multipart/form-data"
    )


def _put_product(client: FlaskClient, article: str, body: Any) -> Any:
    token = csrf_token(client, "/upload")
    return client.put(f"/api/v1/products/{article}", json=body, headers={"X-CSRFToken": token})


def test_upload_list_and_detail(login: Login) -> None:
    client = login("editor")
    resp = _upload(client, ZOO / "good" / "pil_sample_cmyk.jpg", title="CMYK sample")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["title"] == "CMYK sample" and body["duplicate"] is False
    assert body["versions"][0]["color_mode"] == "CMYK"
    assert (body["versions"][0]["width"], body["versions"][0]["height"]) == (100, 100)
    again = _upload(client, ZOO / "good" / "pil_sample_cmyk.jpg", name="other.jpg")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"] and again.get_json()["duplicate"]
    listing = client.get("/api/v1/assets?page=1&size=10").get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == body["id"]
    detail = client.get(f"/api/v1/assets/{body['id']}").get_json()
    assert detail["versions"][0]["sha256"] and detail["article_numbers"] == []
    thumb = client.get(f"/a/{body['id']}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"


def test_products_put_get_and_article_filter(login: Login) -> None:
    client = login("editor")
    resp = _put_product(
        client,
        "404.038.96",
        {"name": "Lamp", "model_code": "lamp", "price": "19.90", "attributes": {"Colour": "red"}},
    )
    assert resp.status_code == 201, resp.get_json()
    assert _put_product(client, "404.038.96", {"name": "Lamp v2"}).status_code == 200
    assert _upload(client, ZOO / "good" / "hopper.jpg", name="404.038.96_1.jpg").status_code == 201
    assert _upload(client, ZOO / "good" / "flower.webp", name="lamp_2.webp").status_code == 201
    _upload(client, ZOO / "good" / "hopper.bmp")
    product = client.get("/api/v1/products/404.038.96").get_json()
    assert product["name"] == "Lamp v2" and product["asset_count"] == 2
    filtered = client.get("/api/v1/assets?article_number=404.038.96").get_json()
    assert filtered["total"] == 2
    assert client.get("/api/v1/assets").get_json()["total"] == 3


def test_errors_are_json_4xx(login: Login, tmp_path: Any) -> None:
    client = login("editor")
    token = csrf_token(client, "/upload")
    headers = {"X-CSRFToken": token}
    cases = [
        (client.get("/api/v1/assets/999999"), 404),
        (client.get("/api/v1/assets?page=abc"), 422),
        (client.get("/api/v1/products/NOPE"), 404),
        (
            client.put(
                "/api/v1/products/X1",
                data="{not json",
                headers={**headers, "Content-Type": "application/json"},
            ),
            400,
        ),
        (client.put("/api/v1/products/X1", json=["a"], headers=headers), 400),
        (client.put("/api/v1/products/X1", json={"price": "x"}, headers=headers), 422),
        (client.post("/api/v1/assets", data={}, headers=headers), 400),
        (_upload(client, ZOO / "bad" / "test-ole-file.doc"), 415),
        (_upload(client, ZOO / "bad" / "truncated_jpeg.jpg"), 422),
        (_upload(client, ZOO / "bad" / "png_decompression_dos.png"), 422),
        (_upload(client, ZOO / "good" / "hopper.jpg", article_number="UNKNOWN-1"), 404),
        (client.get("/api/v1/nothing-here"), 404),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (resp.request.path, resp.get_json())
        error = resp.get_json()["error"]
        assert error["code"] and error["message"]
    assert client.get("/api/v1/assets").get_json()["total"] == 0


def test_api_requires_session_and_csrf(app: Flask, login: Login) -> None:
    anon = app.test_client()
    resp = anon.get("/api/v1/assets")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthenticated"
    client = login("editor")
    no_csrf = client.post("/api/v1/assets", data={"file": (io.BytesIO(b"x"), "x.jpg")})
    assert no_csrf.status_code == 400 and no_csrf.get_json()["error"]["code"] == "csrf"


def test_partner_cannot_upload_or_see_drafts(login: Login) -> None:
    editor = login("editor")
    asset_id = _upload(editor, ZOO / "good" / "hopper.jpg").get_json()["id"]
    partner = login("partner")
    assert _upload(partner, ZOO / "good" / "flower.webp").status_code == 403
    assert partner.get("/api/v1/assets").get_json()["total"] == 0
    assert partner.get(f"/api/v1/assets/{asset_id}").status_code == 404
    assert partner.get(f"/a/{asset_id}/original").status_code == 404


def test_oversized_upload_is_413(settings: Settings, make_user: Any) -> None:
    small = create_app(settings.model_copy(update={"max_upload_bytes": 2000}))
    try:
        from portal.services.accounts.users import create_user
        from tests.conftest import TEST_PASSWORD

        with small.extensions["assetport"].db.transaction() as session:
            create_user(session, "big@example.com", TEST_PASSWORD, "editor")
        client = small.test_client()
        client.post(
            "/login",
            data={
                "email": "big@example.com",
                "password": TEST_PASSWORD,
                "csrf_token": csrf_token(client, "/login"),
            },
        )
        resp = _upload(client, ZOO / "good" / "flower.webp")
        assert resp.status_code == 413 and "limit" in resp.get_json()["error"]["message"]
    finally:
        small.extensions["assetport"].close()


def test_healthz(app: Flask) -> None:
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["checks"]["database"] == "ok"


def test_original_download_is_attachment_for_non_images(login: Login) -> None:
    client = login("editor")
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (50, 40), "red").save(buf, "PDF")
    buf.seek(0)
    token = csrf_token(client, "/upload")
    resp = client.post("/api/v1/assets", data={"file": (buf, "doc.pdf")}, headers={"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_json()
    original = client.get(f"/a/{resp.get_json()['id']}/original")
    assert original.status_code == 200
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.headers["X-Content-Type-Options"] == "nosniff"
