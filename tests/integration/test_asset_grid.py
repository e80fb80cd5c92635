"""The asset grid: sort orders with a stable tie-break, the list view, the selection bar for every role
(download selected for all, share and collect for managers) and "download selected" building a package."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Asset, Package, Role
from models.base import utcnow
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog.assets import list_assets
from portal.services.governance.policy import Viewer
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state

STAFF = Viewer(None, Role.ADMIN)


def _three(rt: Runtime, folder: Path) -> list[int]:
    """Three assets: created in the order b, c, a; updated last: b."""
    ids = [
        new_asset(rt, folder, seed, title=title)
        for seed, title in ((1, "bravo"), (2, "Charlie"), (3, "alpha"))
    ]
    now = utcnow()
    with rt.db.transaction() as session:
        for n, asset_id in enumerate(ids):
            asset = session.get(Asset, asset_id)
            assert asset is not None
            asset.created_at = now - timedelta(hours=10 - n)
        session.flush()
        asset = session.get(Asset, ids[0])
        assert asset is not None
        asset.description = "touched"  # onupdate: updated_at moves to now
    return ids


def test_sort_orders(rt: Runtime, tmp_path: Path) -> None:
    b, c, a = _three(rt, tmp_path)
    with rt.db.session() as session:

        def order(sort: str) -> list[int]:
            return [x.id for x in list_assets(session, STAFF, sort=sort).items]

        assert order("newest") == [a, c, b]
        assert order("title") == [a, b, c]  # case-insensitive
        assert order("updated")[0] == b
        with pytest.raises(ValidationError, match="sort must be one of newest, title, updated"):
            list_assets(session, STAFF, sort="size")


def test_grid_page_sort_list_view_and_selection_bar(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    b, c, a = _three(rt, tmp_path)
    for asset_id in (a, b, c):
        set_state(rt, asset_id, "approved", "partner")
    manager = login("manager")
    page = manager.get("/assets?sort=title&view=list").get_data(as_text=True)
    found = [int(x) for x in re.findall(r'name="asset_ids" value="(\d+)"', page)]
    assert found == [a, b, c]
    assert 'class="grid-results is-list"' in page and '<option value="title" selected>' in page
    for button in ("download-selection", "share-selection", "collect-selection-add"):
        assert f'id="{button}"' in page
    partner = login("partner").get("/assets?article_number=nothing-here").get_data(as_text=True)
    assert 'id="download-selection"' in partner and 'id="share-selection"' not in partner
    assert 'id="collect-selection-add"' in partner  # everyone keeps collections
    assert 'id="package-search"' in partner  # a filtered grid can be packaged
    assert manager.get("/assets?sort=size").status_code == 422


def test_download_selected_builds_a_package_of_the_selection(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    ids = _three(rt, tmp_path)
    for asset_id in ids:
        set_state(rt, asset_id, "approved", "partner")
    partner = login("partner")
    token = csrf_token(partner, "/assets")
    # What the selection bar sends: the ticked asset_ids and the pressed button's preset.
    resp = partner.post("/packages", data={"asset_ids": [str(i) for i in ids[:2]], "preset": "original",
                                           "back": "/assets", "csrf_token": token})  # fmt: skip
    assert resp.status_code == 302 and "/packages/" in resp.headers["Location"]
    with rt.db.session() as session:
        package = session.scalars(select(Package)).one()
        assert (package.source, package.presets, package.lines) == (
            "selection",
            ["original"],
            [str(i) for i in ids[:2]],
        )
