"""The search page: results for text, disjunctive facets, chips, URL state, htmx partials, permissions and
saved searches, on the real database and the real embedded search engine (jobs run eagerly)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from models import Asset, AssetStatus, Product, Role, SavedSearch, Visibility
from portal.errors import Conflict
from portal.jobs.registry import run_task
from portal.services.catalog.ingest import ingest_file
from portal.services.governance.policy import Viewer
from portal.services.search.queries import SearchParams
from portal.services.search.saved import save_search
from tests.conftest import csrf_token
from tests.helpers import ZOO

Login = Callable[..., FlaskClient]
GOOD = ZOO / "good"
HX = {"HX-Request": "true", "HX-Target": "search-body"}


@dataclass(frozen=True)
class Corpus:
    """Ids of the indexed assets: two paints (JPEG, one draft), a polo shirt (WEBP), an unlinked CMYK JPEG."""

    paint_1l: int
    paint_25l: int
    polo: int
    loose: int


def _html(resp: TestResponse) -> str:
    return unescape(resp.get_data(as_text=True))


def _tile_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<a class="tile-link" href="/assets/(\d+)"', html)}


def _facet(html: str, field: str) -> dict[str, int]:
    """``{value: count}`` of one facet group as rendered (checkbox value and its count)."""
    group = re.search(rf'data-facet-group="{re.escape(field)}">(.*?)</fieldset>', html, re.S)
    if group is None:
        return {}
    pairs = re.findall(
        r'name="f\.[^"]+" value="([^"]+)".*?<span class="facet-count">([\d,]+)</span>', group.group(1), re.S
    )
    return {value: int(count.replace(",", "")) for value, count in pairs}


def _checked(html: str, field: str) -> set[str]:
    return set(re.findall(rf'name="f\.{re.escape(field)}" value="([^"]+)"\s+checked', html))


def _ingest(app: Flask, path: Path, name: str) -> int:
    result = ingest_file(app.extensions["assetport"], path, name)
    assert result.ok and result.asset_id is not None, result.error
    return result.asset_id


def _release(app: Flask, *asset_ids: int) -> None:
    """Approve assets for partners and reindex them (as the workflow's sync job would)."""
    rt = app.extensions["assetport"]
    with rt.db.transaction() as session:
        for asset_id in asset_ids:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            asset.status = AssetStatus.APPROVED.value
            asset.visibility = Visibility.PARTNER.value
    run_task(rt, "search.sync", {"asset_ids": list(asset_ids)})


@pytest.fixture
def corpus(app: Flask) -> Corpus:
    with app.extensions["assetport"].db.transaction() as session:
        session.add_all(
            [
                Product(
                    article_number="546451996",
                    model_code="nebula-night-sky-paint",
                    name="Nebula Night Sky Paint",
                    variant="1l",
                    category="Paints",
                    product_type="Paint",
                    attributes={"Bucket Size": "1l"},
                ),
                Product(
                    article_number="546451997",
                    model_code="nebula-night-sky-paint",
                    name="Nebula Night Sky Paint",
                    variant="2.5l",
                    category="Paints",
                    product_type="Paint",
                    attributes={"Bucket Size": "2.5l"},
                ),
                Product(
                    article_number="29716755",
                    model_code="polo-shirt",
                    name="Polo Shirt",
                    category="Polo Shirts",
                    product_type="Top (clothing)",
                    attributes={"Material": "Cotton", "Size": "S"},
                ),
            ]
        )
    corpus = Corpus(
        paint_1l=_ingest(app, GOOD / "hopper.jpg", "546451996_1.jpg"),
        paint_25l=_ingest(app, GOOD / "rgb.jpg", "546451997_1.jpg"),
        polo=_ingest(app, GOOD / "flower.webp", "29716755_1.webp"),
        loose=_ingest(app, GOOD / "pil_sample_cmyk.jpg", "studio-shot.jpg"),
    )
    _release(app, corpus.paint_1l, corpus.polo)
    return corpus


def test_text_search_renders_results_facets_and_count(login: Login, corpus: Corpus) -> None:
    client = login("editor")
    resp = client.get("/search?q=546451996")
    assert resp.status_code == 200
    html = _html(resp)
    assert _tile_ids(html) == {corpus.paint_1l}
    assert "<strong>1</strong> asset for “546451996”" in html
    assert "546451996" in html and "Nebula Night Sky Paint" in html
    assert f'src="/a/{corpus.paint_1l}/thumb"' in html
    assert 'data-shortcut="/"' in html and "data-grid" in html and "js/search.js" in html
    # Everything, newest first, with facet groups under human labels and their counts.
    everything = _html(client.get("/search"))
    assert _tile_ids(everything) == {corpus.paint_1l, corpus.paint_25l, corpus.polo, corpus.loose}
    assert "<strong>4</strong> assets" in everything
    assert _facet(everything, "file_type") == {"JPEG": 3, "WEBP": 1}
    assert _facet(everything, "category") == {"Paints": 2, "Polo Shirts": 1}
    assert _facet(everything, "attr.bucket_size") == {"1l": 1, "2.5l": 1}
    for label in ("File type", "Category", "Bucket size", "Colour mode", "Product type"):
        assert f'<legend class="facet-legend">{label}</legend>' in everything
    assert "draft" in everything  # staff see the workflow state on the tiles
    # The sorts are offered by name.
    assert '<option value="name">Name A\u2013Z</option>' in everything


def test_facet_toggle_filters_and_keeps_its_own_counts(login: Login, corpus: Corpus) -> None:
    client = login("editor")
    html = _html(client.get("/search?f.file_type=WEBP"))
    assert _tile_ids(html) == {corpus.polo}
    # Disjunctive: the file type facet still counts the other types, so a second one can be added.
    assert _facet(html, "file_type") == {"JPEG": 3, "WEBP": 1}
    assert _checked(html, "file_type") == {"WEBP"}
    # Other facets narrow to the selection.
    assert _facet(html, "category") == {"Polo Shirts": 1}
    both = _html(client.get("/search?f.file_type=WEBP&f.file_type=JPEG"))
    assert len(_tile_ids(both)) == 4 and _checked(both, "file_type") == {"JPEG", "WEBP"}
    # AND across fields.
    paints = _html(client.get("/search?f.file_type=JPEG&f.category=Paints"))
    assert _tile_ids(paints) == {corpus.paint_1l, corpus.paint_25l}
    assert _facet(paints, "category") == {"Paints": 2}  # only JPEGs are counted here
    # Attribute facets filter too.
    bucket = _html(client.get("/search?f.attr.bucket_size=2.5l"))
    assert _tile_ids(bucket) == {corpus.paint_25l}
    assert _checked(bucket, "attr.bucket_size") == {"2.5l"}


def test_chips_clear_all_and_url_round_trip(login: Login, corpus: Corpus) -> None:
    client = login("editor")
    url = "/search?q=nebula&f.category=Paints&f.file_type=JPEG&sort=name"
    html = _html(client.get(url))
    assert _tile_ids(html) == {corpus.paint_1l, corpus.paint_25l}
    chips = dict(
        re.findall(r'<a class="filter-chip" href="([^"]+)"[^>]*aria-label="Remove filter ([^"]+)"', html)
    )
    assert set(chips.values()) == {"Category: Paints", "File type: JPEG"}
    removes = {label: href for href, label in chips.items()}
    # Removing a chip keeps everything else of the state, back on page 1.
    assert removes["Category: Paints"] == "/search?q=nebula&f.file_type=JPEG&sort=name"
    assert removes["File type: JPEG"] == "/search?q=nebula&f.category=Paints&sort=name"
    assert '<a class="chip-clear" href="/search?q=nebula&sort=name">Clear all</a>' in html
    # The form holds the same state, so the next request (typing, toggling) carries it along.
    assert 'name="q" value="nebula"' in html
    assert '<option value="name" selected>' in html
    assert _checked(html, "category") == {"Paints"} and _checked(html, "file_type") == {"JPEG"}
    # A removed chip's URL gives the same results as asking for that state directly.
    assert _tile_ids(_html(client.get(removes["File type: JPEG"]))) == {corpus.paint_1l, corpus.paint_25l}
    # Name sort orders by title; oldest puts the first upload first.
    oldest = _html(client.get("/search?sort=oldest"))
    ids = [int(i) for i in re.findall(r'href="/assets/(\d+)" data-tile', oldest)]
    assert ids == sorted(ids)
    # Paging: 48 per page by default, the state stays in the page links.
    paged = _html(client.get("/search?f.file_type=JPEG&size=2&sort=oldest"))
    assert len(_tile_ids(paged)) == 2 and "<strong>3</strong> assets" in paged
    assert 'href="/search?f.file_type=JPEG&sort=oldest&page=2&size=2"' in paged
    second = _html(client.get("/search?f.file_type=JPEG&size=2&sort=oldest&page=2"))
    assert len(_tile_ids(second)) == 1 and 'name="size" value="2"' in second
    past = _html(client.get("/search?page=9"))
    assert "Go to the first page" in past and 'href="/search"' in past


def test_htmx_request_gets_only_the_results_fragment(login: Login, corpus: Corpus) -> None:
    client = login("partner")
    resp = client.get("/search?q=&f.file_type=WEBP&sort=relevance", headers=HX)
    assert resp.status_code == 200
    html = _html(resp)
    assert "<html" not in html and 'id="search-form"' not in html and "app-navbar" not in html
    assert _tile_ids(html) == {corpus.polo} and 'data-facet-group="file_type"' in html
    # The address bar gets the canonical URL of the state.
    assert resp.headers["HX-Push-Url"] == "/search?f.file_type=WEBP"
    assert "HX-Target" in resp.headers["Vary"]
    # History restores and other targets get the whole page.
    restore = client.get("/search", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in _html(restore)
    assert "<html" in _html(client.get("/search", headers={"HX-Request": "true", "HX-Target": "main"}))


def test_bad_parameters_are_4xx_pages(login: Login, corpus: Corpus) -> None:
    client = login("editor")
    for query in ("sort=sideways", "page=0", "page=abc", "size=1000", "f.password=x", "f.attr.Bad-Name=x"):
        resp = client.get(f"/search?{query}")
        assert resp.status_code == 422, query
        assert "<html" in _html(resp) and "error-page" in _html(resp)
    assert "unknown sort" in _html(client.get("/search?sort=sideways")).lower()
    assert client.get("/search?q=" + "x" * 1001).status_code == 422
    # Odd but valid input is simply searched.
    for text in ("<script>alert(1)</script>", "%00", "\u202e", "(((", "OR AND NOT", "*"):
        resp = client.get("/search", query_string={"q": text})
        assert resp.status_code == 200, text
    assert "<script>alert(1)</script>" not in client.get("/search?q=<script>alert(1)</script>").get_data(
        as_text=True
    )


def test_login_required(app: Flask) -> None:
    resp = app.test_client().get("/search?q=x")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_partner_sees_only_released_assets_in_results_and_counts(login: Login, corpus: Corpus) -> None:
    client = login("partner")
    html = _html(client.get("/search"))
    assert _tile_ids(html) == {corpus.paint_1l, corpus.polo}
    assert "<strong>2</strong> assets" in html
    assert _facet(html, "file_type") == {"JPEG": 1, "WEBP": 1}
    assert _facet(html, "attr.bucket_size") == {"1l": 1}  # the draft 2.5l paint is not counted
    assert _facet(html, "color_mode").get("CMYK") is None
    assert "draft" not in re.sub(r"<(script|meta)[^>]*>", "", html).lower()
    # Searching for a hidden asset's article number finds nothing and says how to go on.
    hidden = _html(client.get("/search?q=546451997"))
    assert _tile_ids(hidden) == set() and "No assets match “546451997”" in hidden
    assert "approved assets shared with partners" in hidden
    # Filtering on a value only hidden assets have: no results and no leak in counts.
    empty = _html(client.get("/search?f.color_mode=CMYK"))
    assert _tile_ids(empty) == set() and "<strong>0</strong> assets" in empty
    assert _facet(empty, "color_mode") == {"RGB": 2, "CMYK": 0}  # the selection stays, to uncheck it


def _save(client: FlaskClient, name: str, query: str) -> TestResponse:
    token = csrf_token(client, "/search")
    return client.post("/search/saved", data={"name": name, "query": query, "csrf_token": token})


def test_saved_searches_save_list_delete(login: Login, app: Flask, corpus: Corpus) -> None:
    client = login("editor")
    resp = _save(client, "  JPEG   paints ", "q=nebula&f.file_type=JPEG&page=3")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/search?q=nebula&f.file_type=JPEG"
    html = _html(client.get(resp.headers["Location"]))
    assert "Saved search “JPEG paints”." in html
    assert re.search(
        r'<a class="saved-link" href="/search\?q=nebula&f.file_type=JPEG" aria-current="true">', html
    )
    assert '<span class="saved-about">“nebula” · File type: JPEG</span>' in html
    # The saved link opens the same search.
    assert _tile_ids(_html(client.get("/search?q=nebula&f.file_type=JPEG"))) == {
        corpus.paint_1l,
        corpus.paint_25l,
    }
    assert _save(client, "Everything", "").status_code == 302
    listed = _html(client.get("/search"))
    names = re.findall(r'<span class="saved-name">([^<]+)</span>', listed)
    assert names == ["Everything", "JPEG paints"] and "All assets" in listed

    # A duplicate name is a 409 page that says why and keeps the typed name; nothing is added.
    dup = _save(client, "JPEG paints", "q=other")
    assert dup.status_code == 409
    dup_html = _html(dup)
    assert "already have a saved search called 'JPEG paints'" in dup_html
    assert 'id="saved-name" name="name" value="JPEG paints"' in dup_html and "data-open-on-load" in dup_html
    assert _save(client, "   ", "q=x").status_code == 422
    assert _save(client, "bad", "sort=sideways").status_code == 422
    with app.extensions["assetport"].db.session() as session:
        rows = {s.name: (s.id, s.query) for s in session.query(SavedSearch)}
    assert rows["JPEG paints"][1] == "q=nebula&f.file_type=JPEG" and len(rows) == 2

    # CSRF is required for saving and deleting.
    no_token = client.post("/search/saved", data={"name": "x", "query": ""})
    assert no_token.status_code == 400
    saved_id = rows["JPEG paints"][0]
    assert client.post(f"/search/saved/{saved_id}/delete").status_code == 400

    # Another user can neither see nor delete it.
    other = login("partner")
    assert "JPEG paints" not in _html(other.get("/search"))
    token = csrf_token(other, "/search")
    assert other.post(f"/search/saved/{saved_id}/delete", data={"csrf_token": token}).status_code == 404
    assert other.post("/search/saved/999999/delete", data={"csrf_token": token}).status_code == 404

    # The owner deletes it and lands back on the search they were looking at.
    token = csrf_token(client, "/search")
    gone = client.post(
        f"/search/saved/{saved_id}/delete", data={"csrf_token": token, "query": "q=polo&sort=name"}
    )
    assert gone.status_code == 302 and gone.headers["Location"] == "/search?q=polo&sort=name"
    after = _html(client.get(gone.headers["Location"]))
    assert "Saved search removed." in after and "JPEG paints" not in after
    assert client.post(f"/search/saved/{saved_id}/delete", data={"csrf_token": token}).status_code == 404


def test_facet_labels_and_more_values() -> None:
    from indexer.query import FacetValue, SearchResult
    from portal.services.search.queries import SearchParams
    from portal.web.search import _facet_groups, facet_label, value_label

    assert facet_label("attr.bucket_size") == "Bucket size"
    assert facet_label("file_type") == "File type" and facet_label("megapixel_band") == "Resolution"
    assert value_label("status", "in_review") == "In review" and value_label("color_mode", "P") == "Palette"
    assert value_label("category", "in_review") == "in_review"
    values = [FacetValue(f"v{i}", 20 - i) for i in range(8)]
    params = SearchParams(filters={"tags": ("v7", "gone")})
    result = SearchResult(total=1, hits=[], facets={"tags": values, "category": [FacetValue("Paints", 3)]})
    category, tags = _facet_groups(params, result)  # product facets first
    assert category["label"] == "Category" and tags["label"] == "Tags"
    # Top five, plus the selected values (one with no count left), the rest behind "more".
    assert [o["value"] for o in tags["top"]] == ["v0", "v1", "v2", "v3", "v4", "v7", "gone"]
    assert [o["value"] for o in tags["extra"]] == ["v5", "v6"]
    assert [o["count"] for o in tags["top"]][-2:] == [13, 0] and tags["top"][-1]["checked"]
    ids = [o["id"] for o in tags["top"] + tags["extra"]]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"f-tags-[0-9a-f]{10}", i) for i in ids)


def test_same_name_saved_at_the_same_moment_is_a_conflict(app: Flask, make_user: Callable[..., int]) -> None:
    # Two tabs save "Spring" at once: the second passed its name check before the first committed, so the
    # unique rule decides, and the loser gets the same Conflict as a plain duplicate (never a 500).
    db = app.extensions["assetport"].db
    who = Viewer(make_user("tabs@example.com", "editor"), Role.EDITOR)

    def second_tab() -> None:
        with db.transaction() as session:
            save_search(session, who, "Spring", SearchParams(text="b"))

    with ThreadPoolExecutor(1) as pool:
        with db.transaction() as session:
            save_search(session, who, "Spring", SearchParams(text="a"))
            racing = pool.submit(second_tab)
            time.sleep(0.5)  # the other tab checks the name now and waits on the insert
        with pytest.raises(Conflict):
            racing.result(timeout=30)
    with db.session() as session:
        assert [(s.name, s.query) for s in session.query(SavedSearch)] == [("Spring", "q=a")]
