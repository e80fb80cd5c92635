"""The server-rendered pages: asset grid and detail, product links, products, upload, permissions."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from models import Asset, AssetProduct, AssetStatus, Product, Visibility
from tests.conftest import csrf_token
from tests.helpers import ZOO

Login = Callable[..., FlaskClient]
GOOD = ZOO / "good"
TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign and en dash, as the pages print them


def _upload(client: FlaskClient, path: Path, name: str | None = None) -> dict[str, Any]:
    token = csrf_token(client, "/upload")
    resp = client.post(
        "/api/v1/assets",
        data={"file": (io.BytesIO(path.read_bytes()), name or path.name)},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    body: dict[str, Any] = resp.get_json()
    return body


def _html(resp: TestResponse) -> str:
    return resp.get_data(as_text=True)


def _add_products(app: Flask, *products: Product) -> None:
    with app.extensions["assetport"].db.transaction() as session:
        session.add_all(products)


def _release(app: Flask, asset_id: int, visibility: Visibility = Visibility.PARTNER) -> None:
    """Approve an asset for partners directly (the workflow is not part of these pages)."""
    with app.extensions["assetport"].db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status = AssetStatus.APPROVED.value
        asset.visibility = visibility.value


def _post(client: FlaskClient, path: str, data: dict[str, str], page: str) -> TestResponse:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


@pytest.fixture
def chairs(app: Flask) -> None:
    """Two variants of one product model and an unrelated product."""
    _add_products(
        app,
        Product(
            article_number="404.038.96",
            name="Lounge chair",
            model_code="CHAIR-1",
            variant="Oak",
            category="Chairs",
            price=199,
        ),
        Product(
            article_number="404.038.97",
            name="Lounge chair",
            model_code="CHAIR-1",
            variant="Walnut",
            category="Chairs",
        ),
        Product(article_number="77306807", name="Desk lamp", model_code="LAMP", category="Lighting"),
    )


def test_grid_lists_uploads_with_loading_thumbnails(login: Login) -> None:
    client = login("editor")
    first = _upload(client, GOOD / "hopper.jpg")
    second = _upload(client, GOOD / "flower.webp")
    resp = client.get("/assets")
    assert resp.status_code == 200
    html = _html(resp)
    for body in (first, second):
        assert body["title"] in html
        assert f'href="/assets/{body["id"]}"' in html
        assert re.search(rf'<img class="tile-img" src="/a/{body["id"]}/thumb" loading="lazy"', html)
        thumb = client.get(f"/a/{body['id']}/thumb")
        assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    assert f"WEBP · 480{TIMES}360" in html
    assert "draft" in html  # staff see the workflow state on the tiles
    assert client.get("/").headers["Location"].endswith("/assets")


def test_grid_paging_and_filter(login: Login, app: Flask, chairs: None) -> None:
    client = login("editor")
    linked = _upload(client, GOOD / "hopper.jpg", name="404.038.96_1.jpg")
    other = _upload(client, GOOD / "rgb.jpg")
    first_page = _html(client.get("/assets?size=1"))
    assert f"1{DASH}1 of 2 assets" in first_page
    assert "page=2" in first_page and "Next" in first_page
    second_page = _html(client.get("/assets?size=1&page=2"))
    assert f'href="/assets/{linked["id"]}"' in second_page  # oldest last
    assert f'href="/assets/{other["id"]}"' not in second_page
    filtered = _html(client.get("/assets?article_number=404.038.96"))
    assert f'href="/assets/{linked["id"]}"' in filtered and f'href="/assets/{other["id"]}"' not in filtered
    assert "404.038.96" in filtered
    # The filter box answers htmx with just the results.
    hx = {"HX-Request": "true", "HX-Target": "results"}
    partial = client.get("/assets?article_number=404.038.96", headers=hx)
    assert partial.status_code == 200 and "<html" not in _html(partial) and "asset-grid" in _html(partial)
    restore = client.get("/assets", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in _html(restore)
    assert client.get("/assets?page=0").status_code == 422
    assert client.get("/assets?size=abc").status_code == 422
    assert "No assets" in _html(client.get("/assets?article_number=nothing-like-this"))


def test_detail_page_shows_metadata(login: Login) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "exif_gps.jpg")
    resp = client.get(f"/assets/{body['id']}")
    assert resp.status_code == 200
    html = _html(resp)
    version = body["versions"][0]
    for expected in (
        "exif_gps.jpg",
        "JPEG",
        f"8 {TIMES} 8 px",
        "RGB",
        version["sha256"][:12],
        "asset.uploaded",
    ):
        assert expected in html, expected
    assert f'src="/a/{body["id"]}/preview"' in html
    assert f'href="/a/{body["id"]}/original"' in html and "Download original" in html
    assert "GPS" in html and "private" in html  # staff see the location, marked private
    assert 'name="title"' in html and 'name="rights_note"' in html  # the edit form
    assert client.get(f"/a/{body['id']}/preview").status_code == 200
    assert client.get("/assets/999999").status_code == 404


def test_edit_metadata(login: Login) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "hopper.jpg")
    page = f"/assets/{body['id']}"
    form = {
        "title": "Hopper portrait",
        "description": "A classic test image.",
        "tags": "Portrait, test,  portrait",
        "rights_note": "Internal use only.",
    }
    resp = _post(client, f"{page}/edit", form, page)
    assert resp.status_code == 302
    html = _html(client.get(page))
    assert "Hopper portrait" in html and "A classic test image." in html and "Internal use only." in html
    assert '<span class="tag">portrait</span>' in html and '<span class="tag">test</span>' in html
    assert "asset.edit" in html and "Saved: title" in html
    bad = _post(client, f"{page}/edit", {**form, "title": "   "}, page)
    assert bad.status_code == 422 and "The title must not be empty" in _html(bad)
    too_long = _post(client, f"{page}/edit", {**form, "title": "x" * 501}, page)
    assert too_long.status_code == 422


def test_link_and_unlink_a_product_by_hand(login: Login, app: Flask, chairs: None) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "hopper.jpg")
    page = f"/assets/{body['id']}"
    resp = _post(client, f"{page}/links", {"key": "404.038.96"}, page)
    assert resp.status_code == 302
    html = _html(client.get(page))
    assert 'href="/products/404.038.96"' in html and "Linked to 404.038.96." in html
    assert "source-manual" in html and "asset.link" in html
    product_page = _html(client.get("/products/404.038.96"))
    assert f'href="/assets/{body["id"]}"' in product_page and "Lounge chair" in product_page

    with app.extensions["assetport"].db.session() as session:
        link_id = session.scalars(select(AssetProduct.id).where(AssetProduct.asset_id == body["id"])).one()
    resp = _post(client, f"{page}/links/{link_id}/delete", {}, page)
    assert resp.status_code == 302
    assert f'href="/assets/{body["id"]}"' not in _html(client.get("/products/404.038.96"))
    assert "asset.unlink" in _html(client.get(page))
    assert _post(client, f"{page}/links/{link_id}/delete", {}, page).status_code == 404


def test_model_code_link_reaches_every_variant(login: Login, chairs: None) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "rgb.jpg")
    page = f"/assets/{body['id']}"
    assert _post(client, f"{page}/links", {"key": "CHAIR-1"}, page).status_code == 302
    assert "2 variants" in _html(client.get(page))
    for article in ("404.038.96", "404.038.97"):
        html = _html(client.get(f"/products/{article}"))
        assert f'href="/assets/{body["id"]}"' in html and "via model code" in html


def test_unknown_article_number_is_a_flashed_error(login: Login, chairs: None) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "hopper.jpg")
    page = f"/assets/{body['id']}"
    resp = _post(client, f"{page}/links", {"key": "NO-SUCH-ARTICLE"}, page)
    assert resp.status_code == 422
    html = _html(resp)
    assert (
        "nknown article number or model code: NO-SUCH-ARTICLE" in html and 'value="NO-SUCH-ARTICLE"' in html
    )
    assert _post(client, f"{page}/links", {"key": "  "}, page).status_code == 422
    assert _post(client, "/assets/999999/links", {"key": "404.038.96"}, page).status_code == 404
    assert client.post(f"{page}/links", data={"key": "404.038.96"}).status_code == 400  # no CSRF token
    assert 'href="/products/404.038.96"' not in _html(client.get(page))


def test_product_page(login: Login, chairs: None) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "hopper.jpg", name="404.038.96_2.jpg")
    html = _html(client.get("/products/404.038.96"))
    assert "Lounge chair" in html and "Oak" in html and "199.00" in html and "CHAIR-1" in html
    assert 'href="/products/404.038.97"' in html  # the sibling variant
    assert f'href="/assets/{body["id"]}"' in html and f"/a/{body['id']}/thumb" in html
    assert client.get("/products/NOPE").status_code == 404


def test_products_list_search_and_categories(login: Login, chairs: None) -> None:
    client = login("partner")
    html = _html(client.get("/products"))
    assert "3 products" in html and "Chairs" in html and "Lighting" in html
    found = _html(client.get("/products?q=lamp"))
    assert "77306807" in found and "404.038.96" not in found
    assert "404.038.97" in _html(client.get("/products?q=038.97"))
    by_model = _html(client.get("/products?q=chair-1"))
    assert "404.038.96" in by_model and "404.038.97" in by_model and "77306807" not in by_model
    in_category = _html(client.get("/products?category=Lighting"))
    assert "77306807" in in_category and "404.038.96" not in in_category
    assert "No products match" in _html(client.get("/products?q=%25_%25"))  # LIKE wildcards are literal
    paged = _html(client.get("/products?size=2&page=2"))
    assert f"3{DASH}3 of 3 products" in paged


def test_partner_sees_only_released_assets(login: Login, app: Flask, chairs: None) -> None:
    editor = login("editor")
    draft = _upload(editor, GOOD / "hopper.jpg", name="404.038.96_1.jpg")
    released = _upload(editor, GOOD / "exif_gps.jpg", name="404.038.96_2.jpg")
    _release(app, released["id"])
    partner = login("partner")
    grid = _html(partner.get("/assets"))
    assert f'href="/assets/{released["id"]}"' in grid and f'href="/assets/{draft["id"]}"' not in grid
    assert f"1{DASH}1 of 1 assets" in grid
    assert partner.get(f"/assets/{draft['id']}").status_code == 404
    assert partner.get(f"/a/{draft['id']}/thumb").status_code == 404
    product = _html(partner.get("/products/404.038.96"))
    assert f'href="/assets/{released["id"]}"' in product and f'href="/assets/{draft["id"]}"' not in product
    listing = _html(partner.get("/products?q=404.038.96"))
    assert f"/a/{released['id']}/thumb" in listing and f"/a/{draft['id']}/thumb" not in listing
    detail = _html(partner.get(f"/assets/{released['id']}"))
    assert "404.038.96_2.jpg" in detail
    assert "GPS" not in detail and 'name="title"' not in detail and "Audit trail" not in detail
    assert 'href="/upload"' not in detail
    # Partners may not change anything, even with a valid CSRF token.
    page = f"/assets/{released['id']}"
    assert _post(partner, f"{page}/links", {"key": "77306807"}, page).status_code == 403
    assert _post(partner, f"{page}/edit", {"title": "mine"}, page).status_code == 403
    assert partner.get("/upload").status_code == 403


def test_pages_redirect_to_login_when_logged_out(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/assets", "/assets/1", "/products", "/products/404.038.96", "/upload"):
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert "/login" in resp.headers["Location"], path


def test_upload_page_has_the_drop_zone(login: Login) -> None:
    html = _html(login("editor").get("/upload"))
    assert 'id="drop-zone"' in html and '<button type="button" id="drop-zone"' in html
    assert 'data-endpoint="/upload/batch/file"' in html and 'data-check="/upload/batch/check"' in html
    assert 'id="batch-form"' in html and 'name="title_pattern"' in html and "data-picker" in html
    assert "/static/js/picker.js" in html and 'data-endpoint="/api/v1/products"' in html
    assert re.search(r'<input type="file" id="file-input"[^>]* multiple', html)
    assert "/static/js/upload.js" in html


def test_pages_follow_the_content_security_policy(login: Login, chairs: None) -> None:
    client = login("editor")
    body = _upload(client, GOOD / "hopper.jpg", name="404.038.96_1.jpg")
    for path in ("/assets", f"/assets/{body['id']}", "/products", "/products/404.038.96", "/upload", "/nope"):
        html = _html(client.get(path))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path  # no inline scripts
        assert not re.search(r"\sstyle=|<style", html), path  # no inline styles
        assert not re.search(r"""(src|href)=["']https?://""", html), path  # nothing from a CDN
    for asset in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "css/app.css",
        "js/app.js",
        "js/grid.js",
        "js/upload.js",
    ):
        assert client.get(f"/static/{asset}").status_code == 200, asset
