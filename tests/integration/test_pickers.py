"""The one product picker of the pages: its search endpoint (``GET /api/v1/products``, thumbnails only from
assets the caller may see, per role), the chips a form shows again after an error, and the asset page's
"link products" form (several at once, all or none, unknown keys a 422 that names them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Asset, AssetProduct, LinkSource, Package, User
from portal.runtime import Runtime
from portal.services.catalog import linking
from portal.services.catalog.products import upsert_product
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state

Login = Callable[..., FlaskClient]


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


@pytest.fixture
def catalogue(app: Flask, tmp_path: Path) -> dict[str, int]:
    """Two lamps of one model and a shelf; the first lamp has a draft asset (internal), the second one an
    asset released to partners."""
    rt = _rt(app)
    with rt.db.transaction() as session:
        upsert_product(session, {"name": "Walnut desk lamp", "model_code": "LAMP-M"}, article_number="LMP-1")
        upsert_product(session, {"name": "Oak desk lamp", "model_code": "LAMP-M"}, article_number="LMP-2")
        upsert_product(session, {"name": "Birch shelf"}, article_number="SHF/9")
    ids = {"draft": new_asset(rt, tmp_path, 61), "released": new_asset(rt, tmp_path, 62)}
    set_state(rt, ids["released"], "approved", "partner")
    with rt.db.transaction() as session:
        for name, key in (("draft", "LMP-1"), ("released", "LMP-2")):
            asset = session.get(Asset, ids[name])
            assert asset is not None
            linking.add_link(session, asset, key, LinkSource.MANUAL)
    return ids


def _thumbs(client: FlaskClient, q: str) -> dict[str, Any]:
    resp = client.get("/api/v1/products", query_string={"q": q, "size": 8})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {p["article_number"]: p["thumbnail_url"] for p in resp.get_json()["items"]}


def test_product_search_gives_thumbnails_only_of_assets_the_caller_may_see(
    app: Flask, login: Login, catalogue: dict[str, int]
) -> None:
    draft, released = catalogue["draft"], catalogue["released"]
    assert _thumbs(login("editor"), "lamp") == {
        "LMP-1": f"/a/{draft}/thumb",
        "LMP-2": f"/a/{released}/thumb",
    }
    # A partner finds the products (the catalogue is not secret to them), but never a thumbnail of an
    # asset they may not see: the draft's product shows none.
    partner = login("partner")
    assert _thumbs(partner, "lamp") == {"LMP-1": None, "LMP-2": f"/a/{released}/thumb"}
    assert partner.get(f"/a/{draft}/thumb").status_code == 404
    assert _thumbs(partner, "shf/9") == {"SHF/9": None}
    # The public (no login) finds nothing at all.
    anonymous = app.test_client().get("/api/v1/products?q=lamp")
    assert anonymous.status_code == 401 and "error" in anonymous.get_json()


def test_there_is_one_picker_endpoint(login: Login) -> None:
    client = login("manager")
    assert client.get("/bulk/products?q=lamp").status_code == 404


def test_bulk_form_shown_again_keeps_the_chosen_products_as_chips(
    app: Flask, tmp_path: Path, login: Login, catalogue: dict[str, int]
) -> None:
    client = login("editor")
    token = csrf_token(client, "/search")
    fields = {
        "csrf_token": token,
        "asset_ids": [str(catalogue["draft"])],
        "add_links": ["LMP-1", "LAMP-M"],
        "remove_links": ["SHF/9"],
        # An error elsewhere in the form: it comes back with everything chosen.
        "expiry_mode": "set",
    }
    resp = client.post("/bulk/preview", data=fields)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "choose the expiry date" in html
    for key in ("LMP-1", "LAMP-M"):
        assert f'<input type="hidden" name="add_links" value="{key}">' in html
    assert '<input type="hidden" name="remove_links" value="SHF/9">' in html
    assert "Walnut desk lamp" in html and "all variants of model" in html and "Birch shelf" in html
    # The draft's thumbnail on its product's chip (the editor may see it).
    assert f'src="/a/{catalogue["draft"]}/thumb"' in html


def _links(app: Flask, asset_id: int) -> list[str]:
    with _rt(app).db.session() as session:
        rows = session.scalars(select(AssetProduct).where(AssetProduct.asset_id == asset_id)).all()
        return sorted(link.key for link in rows)


def test_asset_page_links_several_products_at_once_all_or_none(
    app: Flask, login: Login, catalogue: dict[str, int]
) -> None:
    client = login("editor")
    asset_id = catalogue["draft"]
    page = f"/assets/{asset_id}"
    token = csrf_token(client, page)
    html = client.get(page).get_data(as_text=True)
    assert 'id="link-key"' in html and 'data-endpoint="/api/v1/products"' in html

    # One unknown key among known ones: 422 naming it, nothing linked, the chosen ones shown again.
    bad = client.post(f"{page}/links", data={"csrf_token": token, "key": ["LMP-2", "NOPE-1", "SHF/9"]})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "nknown article number or model code: NOPE-1" in html
    assert _links(app, asset_id) == ["LMP-1"]
    for key in ("LMP-2", "NOPE-1", "SHF/9"):
        assert f'<input type="hidden" name="key" value="{key}">' in html
    assert 'class="picker-chip is-invalid" data-picked="NOPE-1"' in html
    assert 'class="picker-chip" data-picked="LMP-2"' in html and "Oak desk lamp" in html

    ok = client.post(f"{page}/links", data={"csrf_token": token, "key": ["LMP-2", "SHF/9", "LAMP-M"]})
    assert ok.status_code == 302
    assert _links(app, asset_id) == ["LAMP-M", "LMP-1", "LMP-2", "SHF/9"]
    assert "Linked to LMP-2, SHF/9, LAMP-M." in client.get(page).get_data(as_text=True)
    # Nothing chosen, or too many: a 422 with the reason, never a 500.
    assert client.post(f"{page}/links", data={"csrf_token": token}).status_code == 422
    many = [f"K{i}" for i in range(101)]
    too_many = client.post(f"{page}/links", data={"csrf_token": token, "key": many})
    assert too_many.status_code == 422 and "at most 100" in too_many.get_data(as_text=True)


def test_only_editors_link_and_a_partner_learns_nothing_from_the_keys(
    app: Flask, login: Login, catalogue: dict[str, int]
) -> None:
    partner = login("partner")
    page = f"/assets/{catalogue['released']}"
    token = csrf_token(partner, page)
    assert 'id="link-key"' not in partner.get(page).get_data(as_text=True)
    for keys in (["NOPE-1"], ["LMP-1"]):
        assert partner.post(f"{page}/links", data={"csrf_token": token, "key": keys}).status_code == 403
    assert _links(app, catalogue["released"]) == ["LMP-2"]


def test_review_queue_filters_by_a_picked_product(
    app: Flask, login: Login, catalogue: dict[str, int]
) -> None:
    set_state(_rt(app), catalogue["draft"], "in_review", approved=False)
    manager = login("manager")

    def total(query: str) -> tuple[str, str]:
        resp = manager.get(f"/review?{query}")
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        found = re.search(r'id="queue-total">(\d+)<', text)
        assert found is not None
        return found.group(1), text

    count, html = total("product=LMP-1")
    assert count == "1"
    assert '<input type="hidden" name="product" value="LMP-1">' in html and "Walnut desk lamp" in html
    assert 'id="f-product-box"' in html and "data-single" in html
    # Without JavaScript the empty text box is posted too: the chosen product still filters.
    assert total("product=&product=LMP-1")[0] == "1"
    assert total("product=LMP-2")[0] == "0"
    assert total("product=")[0] == "1"


def test_people_picker_finds_whom_the_viewer_may_share_with(
    app: Flask, login: Login, make_user: Callable[..., int]
) -> None:
    make_user("ann.designer@example.com", "editor")
    make_user("bob.buyer@partner-a.example", "partner")
    gone = make_user("old.designer@example.com", "editor")
    with _rt(app).db.transaction() as session:
        user = session.get(User, gone)
        assert user is not None
        user.is_active = False

    def found(client: FlaskClient, q: str) -> list[str]:
        resp = client.get("/collections/people", query_string={"q": q})
        assert resp.status_code == 200
        return [p["email"] for p in resp.get_json()["items"]]

    editor = login("editor", email="eve.editor@example.com")
    assert found(editor, "designer") == ["ann.designer@example.com"]  # never an inactive user
    assert found(editor, "buyer") == ["bob.buyer@partner-a.example"]
    assert found(editor, "eve") == []  # not oneself
    assert found(editor, "a") == []  # two characters at least
    assert found(editor, "%") == [] and found(editor, "__") == []  # wildcards are plain characters
    # A partner gets no directory: neither staff nor another partner, only a whole address.
    partner = login("partner", email="pia@partner-b.example")
    assert found(partner, "designer") == [] and found(partner, "example.com") == []
    assert found(partner, "ann.designer@example.com") == ["ann.designer@example.com"]
    assert found(partner, "buyer") == [] and found(partner, "partner-a") == []
    assert found(partner, "BOB.buyer@partner-a.example") == ["bob.buyer@partner-a.example"]
    # The public gets the login page, never the list.
    assert app.test_client().get("/collections/people?q=designer").status_code in (302, 401)
    # The share form uses the picker.
    token = csrf_token(editor, "/collections/")
    made = editor.post("/collections/", data={"csrf_token": token, "name": "Launch"})
    assert made.status_code == 302
    html = editor.get(made.headers["Location"]).get_data(as_text=True)
    assert 'id="share-email-box"' in html and 'data-endpoint="/collections/people"' in html


def test_package_form_takes_picked_products_with_the_pasted_ones(
    app: Flask, login: Login, catalogue: dict[str, int]
) -> None:
    partner = login("partner")
    token = csrf_token(partner, "/packages")
    form = partner.get("/packages").get_data(as_text=True)
    assert 'id="pick-products-box"' in form and 'data-endpoint="/api/v1/products"' in form
    picked = {"articles": "LMP-2", "product": ["SHF/9", "LMP-2"], "preset": ["web"], "csrf_token": token}
    made = partner.post("/packages", data=picked)
    assert made.status_code == 302
    with _rt(app).db.session() as session:
        package = session.scalars(select(Package).order_by(Package.id.desc())).first()
        assert package is not None and list(package.lines) == ["LMP-2", "SHF/9"]
    # A mistake elsewhere: the picked products come back as chips.
    bad = partner.post("/packages", data={**picked, "preset": ["nope"]})
    assert bad.status_code == 422
    assert '<input type="hidden" name="product" value="SHF/9">' in bad.get_data(as_text=True)
