"""Managers share from the portal's search page: "Share this search" (a search link prefilled from the
current query and filters), and a grid selection shared or added to a collection; the new link's URL is
shown once with a copy button."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Collection
from models.base import utcnow
from portal.runtime import Runtime
from portal.services.brand import collections as collection_service
from tests.brand_helpers import html, ingest, release, tile_ids
from tests.conftest import csrf_token
from tests.helpers import ZOO

GOOD = ZOO / "good"


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    rt: Runtime = app.extensions["assetport"]
    found = {
        "jpeg": ingest(rt, GOOD / "hopper.jpg", title="Hopper portrait"),
        "png": ingest(rt, GOOD / "hopper_mask.png", title="Hopper mask"),
        "other": ingest(rt, GOOD / "pil_sample_rgb.jpg", title="Sample photo"),
    }
    release(rt, *found.values())
    return found


def _link_path(page: str) -> str:
    found = re.search(r'value="(http[^"]+/s/[^"]+)"', page)
    assert found is not None
    return "/s/" + found.group(1).rsplit("/s/", 1)[1]


def test_search_page_offers_sharing_to_managers_only(
    app: Flask, ids: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    page = html(login("manager").get("/search?q=hopper"))
    assert 'id="share-search"' in page and 'id="selection-form"' in page
    assert f'name="asset_ids" value="{ids["jpeg"]}"' in page
    assert 'form="selection-form"' in page and 'aria-label="Select Hopper portrait"' in page
    partner = html(login("partner").get("/search?q=hopper"))
    assert 'id="share-search"' not in partner and 'id="share-selection"' not in partner
    # Partners select to download (a package of the selection), package the whole search and add to
    # their own collections, but share nothing through links.
    assert "data-select-tile" in partner and 'id="download-selection"' in partner
    assert 'id="package-search"' in partner and 'id="collect-selection-add"' in partner


def test_share_this_search_prefills_the_form_and_shows_the_url_once(
    app: Flask, ids: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    manager = login("manager")
    query = "q=hopper&f.file_type=JPEG"
    form = manager.get("/brand-admin/links/new?" + urlencode({"kind": "search", "query": query}))
    page = html(form)
    assert form.status_code == 200
    assert f'name="query" value="{query}"' in page.replace("&amp;", "&")
    assert "“hopper” · File type: JPEG" in page  # the search in words, also the default title
    for field in ("expires", "password", "allowed_presets", "download", "note"):
        assert f'name="{field}"' in page
    made = manager.post(
        "/brand-admin/links",
        data={
            "csrf_token": csrf_token(manager, "/brand-admin/"), "kind": "search", "query": query,
            "expires": (utcnow() + timedelta(days=5)).strftime("%Y-%m-%d"), "allowed_presets": ["web"],
            "download": "on", "note": "Spring", "title": "Hopper JPEGs",
        },
    )  # fmt: skip
    created = html(made)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert 'data-copy="#share-url"' in created and "js/share_tools.js" in created
    assert created.count("/s/") == 1  # the URL, once
    assert tile_ids(html(app.test_client().get(_link_path(created)))) == {ids["jpeg"]}
    bad = manager.get("/brand-admin/links/new?" + urlencode({"kind": "search", "query": "f.nope=1"}))
    assert bad.status_code == 422
    assert manager.get("/brand-admin/links/new?kind=other").status_code == 422


def test_a_selection_is_shared_or_added_to_a_collection(
    app: Flask, ids: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    rt: Runtime = app.extensions["assetport"]
    manager = login("manager")
    token = csrf_token(manager, "/search")
    picked = [str(ids["jpeg"]), str(ids["other"])]
    form = manager.post(
        "/brand-admin/links/new",
        data={"csrf_token": token, "kind": "selection", "asset_ids": picked, "back": "/search?q=x"},
    )
    page = html(form)
    assert form.status_code == 200 and "2 selected assets" in page
    assert f'name="asset_ids" value="{", ".join(picked)}"' in page
    assert 'href="/search?q=x"' in page
    made = manager.post(
        "/brand-admin/links",
        data={
            "csrf_token": token, "kind": "selection", "asset_ids": ", ".join(picked),
            "expires": (utcnow() + timedelta(days=5)).strftime("%Y-%m-%d"), "allowed_presets": ["web"],
            "download": "on", "password": "secret-pw",
        },
    )  # fmt: skip
    assert made.status_code == 200 and 'id="copy-share-url"' in html(made)

    collect = {"csrf_token": token, "asset_ids": picked, "back": "/search?q=hopper"}
    added = manager.post("/brand-admin/selection/collect", data={**collect, "new_collection": "Picks"})
    assert added.status_code == 302 and added.headers["Location"].endswith("/search?q=hopper")
    with rt.db.session() as session:
        collection = session.scalars(select(Collection)).one()
        assert collection_service.item_ids(session, collection.id) == [int(i) for i in picked]
    more = {**collect, "asset_ids": [str(ids["png"]), str(ids["jpeg"])], "collection_id": str(collection.id)}
    more["back"] = "https://evil.example/"  # never followed
    again = manager.post("/brand-admin/selection/collect", data=more)
    assert again.status_code == 302 and again.headers["Location"].endswith("/brand-admin/")
    with rt.db.session() as session:
        assert collection_service.item_ids(session, collection.id) == [*map(int, picked), ids["png"]]
    empty = manager.post("/brand-admin/selection/collect", data={"csrf_token": token, "new_collection": "X"})
    assert empty.status_code == 422
    nowhere = manager.post("/brand-admin/selection/collect", data={"csrf_token": token, "asset_ids": picked})
    assert nowhere.status_code == 422
    nothing = manager.post("/brand-admin/links/new", data={"csrf_token": token, "kind": "selection"})
    assert nothing.status_code == 422
    partner = login("partner")
    refused = partner.post(
        "/brand-admin/selection/collect",
        data={"csrf_token": csrf_token(partner, "/search"), "asset_ids": picked, "new_collection": "P"},
    )
    assert refused.status_code == 403
