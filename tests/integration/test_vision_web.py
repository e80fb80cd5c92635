"""Vision through the pages and the API (SQLite, tiny CLIP): find similar with permissions and filters,
search by image, semantic search, the vocabulary admin, the suggestions panel and the duplicates report."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Asset, AssetTag, TagSuggestion
from portal.app import create_app
from portal.jobs.registry import run_task
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.services.catalog.ingest import ingest_file
from portal.settings import Settings
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.vision_fixtures import picture, tiny_clip_overrides


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny-clip-web")


@pytest.fixture
def vapp(tmp_path: Path, sqlite_url: str, clip_dir: Path) -> Iterator[Flask]:
    """The app with the tiny CLIP, eager jobs."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=sqlite_url,
        secret_key="t",
        jobs_eager=True,
        vision_duplicate_threshold=0.999,
        **tiny_clip_overrides(clip_dir),
    )
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["assetport"].close()


def rt_of(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["assetport"]
    return rt


def client_for(app: Flask, role: str) -> FlaskClient:
    email = f"{role}-{len(role)}-{id(app)}@example.com"
    with rt_of(app).db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Asset)) is None:
            pass
        create_user(session, email, TEST_PASSWORD, role)
    client = app.test_client()
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return client


def add(
    app: Flask,
    tmp_path: Path,
    name: str,
    kind: str,
    *,
    status: str = "draft",
    visibility: str = "internal",
    size: tuple[int, int] = (240, 180),
) -> int:
    rt = rt_of(app)
    asset_id = ingest_file(rt, picture(tmp_path / "in" / name, kind, size)).asset_id
    assert asset_id is not None
    with rt.db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status, asset.visibility = status, visibility
        asset.approved_version_id = asset.current_version_id if status == "approved" else None
    run_task(rt, "search.sync", {"asset_ids": [asset_id]})
    return asset_id


@pytest.fixture
def catalogue(vapp: Flask, tmp_path: Path) -> dict[str, int]:
    return {
        "shared_png": add(vapp, tmp_path, "a.png", "red", status="approved", visibility="partner"),
        "shared_jpg": add(vapp, tmp_path, "b.jpg", "noise", status="approved", visibility="public"),
        "internal": add(vapp, tmp_path, "c.png", "rect", status="approved", visibility="internal"),
        "draft": add(vapp, tmp_path, "d.png", "noise", size=(200, 200)),
    }


def hit_ids(resp_json: dict) -> list[int]:
    return [h["id"] for h in resp_json["hits"]]


def test_similar_respects_permissions_and_filters(vapp: Flask, catalogue: dict[str, int]) -> None:
    partner = client_for(vapp, "partner")
    ref = catalogue["shared_png"]
    found = partner.get(f"/api/v1/assets/{ref}/similar").get_json()
    assert hit_ids(found) == [catalogue["shared_jpg"]]  # never the internal or draft ones, never itself
    for hidden in (catalogue["internal"], catalogue["draft"]):
        assert partner.get(f"/api/v1/assets/{hidden}/similar").status_code == 404
        assert partner.get(f"/api/v1/search?similar_to={hidden}").status_code == 404
        assert partner.get(f"/search?similar_to={hidden}").status_code == 404
    editor = client_for(vapp, "editor")
    everything = hit_ids(editor.get(f"/api/v1/search?similar_to={ref}").get_json())
    assert sorted(everything) == sorted(v for k, v in catalogue.items() if k != "shared_png")
    pngs = hit_ids(editor.get(f"/api/v1/search?similar_to={ref}&f.file_type=PNG").get_json())
    assert sorted(pngs) == sorted([catalogue["internal"], catalogue["draft"]])
    strict = editor.get(f"/api/v1/assets/{ref}/similar?min_score=0.9999").get_json()
    assert strict["total"] == len(strict["hits"]) and all(h["score"] >= 0.9999 for h in strict["hits"])
    assert editor.get(f"/api/v1/assets/{ref}/similar?min_score=2").status_code == 422
    page = editor.get(f"/search?similar_to={ref}").get_data(as_text=True)
    assert f'data-similar-to="{ref}"' in page and 'name="min_score"' in page


def test_search_by_image_stores_nothing(vapp: Flask, catalogue: dict[str, int], tmp_path: Path) -> None:
    partner = client_for(vapp, "partner")
    data = picture(tmp_path / "query.png", "noise").read_bytes()
    before = len(list((rt_of(vapp).settings.resolved_storage_dir).rglob("*")))
    resp = partner.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(data), "q.png")},
        headers={"X-CSRFToken": csrf_token(partner, "/search")},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert set(hit_ids(resp.get_json())) == {catalogue["shared_png"], catalogue["shared_jpg"]}
    assert len(list((rt_of(vapp).settings.resolved_storage_dir).rglob("*"))) == before
    bad = partner.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(b"not an image"), "q.png")},
        headers={"X-CSRFToken": csrf_token(partner, "/search")},
    )
    assert bad.status_code == 422
    page = partner.post(
        "/search/image",
        data={"image": (io.BytesIO(data), "q.png"), "csrf_token": csrf_token(partner, "/search")},
        follow_redirects=True,
    )
    assert page.status_code == 200 and "q.png" in page.get_data(as_text=True)


def test_search_by_image_survives_facets_and_paging(
    vapp: Flask, catalogue: dict[str, int], tmp_path: Path
) -> None:
    partner = client_for(vapp, "partner")
    data = picture(tmp_path / "query.png", "noise").read_bytes()
    posted = partner.post(
        "/search/image?size=1",
        data={"image": (io.BytesIO(data), "q.png"), "csrf_token": csrf_token(partner, "/search")},
    )
    assert posted.status_code == 303
    query = parse_qs(urlsplit(posted.headers["Location"]).query)
    token = query["image"][0]
    assert query["size"] == ["1"] and len(token) >= 16
    first = partner.get(posted.headers["Location"]).get_data(as_text=True)
    # Facet and paging links carry the token, and following them still searches by the image.
    assert f"image={token}" in first and "q.png" in first
    api = partner.get(f"/api/v1/search?image={token}&size=1").get_json()
    assert api["total"] == 2 and len(api["hits"]) == 1
    second = partner.get(f"/api/v1/search?image={token}&size=1&page=2").get_json()
    assert {api["hits"][0]["id"], second["hits"][0]["id"]} == {
        catalogue["shared_png"],
        catalogue["shared_jpg"],
    }
    jpegs = partner.get(f"/api/v1/search?image={token}&f.file_type=JPEG").get_json()
    assert hit_ids(jpegs) == [catalogue["shared_jpg"]]
    faceted = partner.get(f"/search?image={token}&f.file_type=JPEG").get_data(as_text=True)
    assert "q.png" in faceted and f"image={token}" in faceted
    # The API hands out a token too; unknown or malformed tokens are a clear 4xx, never a 500.
    posted_api = partner.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(data), "q.png")},
        headers={"X-CSRFToken": csrf_token(partner, "/search")},
    ).get_json()
    assert partner.get(f"/api/v1/search?image={posted_api['image']}").get_json()["total"] == 2
    assert partner.get("/api/v1/search?image=" + "x" * 24).status_code == 422
    assert partner.get("/api/v1/search?image=../etc").status_code == 422
    assert partner.get("/search?image=" + "x" * 24).status_code == 422


def test_semantic_search_fuses_text_and_vectors(vapp: Flask, catalogue: dict[str, int]) -> None:
    editor = client_for(vapp, "editor")
    keyword = editor.get("/api/v1/search?q=zebraword").get_json()
    assert keyword["total"] == 0
    fused = editor.get("/api/v1/search?q=zebraword&semantic=1").get_json()
    assert sorted(hit_ids(fused)) == sorted(catalogue.values())  # all come from the text vector's kNN
    both = editor.get("/api/v1/search?q=a&semantic=1").get_json()  # "a" matches a.png's title
    assert hit_ids(both)[0] == catalogue["shared_png"]


def test_vocabulary_admin(vapp: Flask) -> None:
    manager = client_for(vapp, "manager")
    page = manager.get("/admin/vision").get_data(as_text=True)
    assert "clip:assetport-tiny-clip:" in page
    token = csrf_token(manager, "/admin/vision")
    assert manager.post("/admin/vision/defaults", data={"csrf_token": token}).status_code == 302
    csv = (
        "name,group,threshold,prompts\nred shoe,colour,0.4,a red shoe|red footwear\n"
        ",object,,\nx,planet,0.2,\nbad,object,7,\n"
    )
    resp = manager.post(
        "/admin/vision/import",
        data={"csrf_token": token, "file": (io.BytesIO(csv.encode()), "v.csv")},
        follow_redirects=True,
    )
    html = resp.get_data(as_text=True).lower()
    assert "1 new, 0 updated" in html
    for line in ("line 3: the tag name is empty", "line 4: unknown group", "line 5: threshold"):
        assert line in html
    assert "red footwear" in html
    tag_id = re.search(r'id="tag-(\d+)"', html)
    assert tag_id is not None
    assert (
        manager.post(
            f"/admin/vision/tags/{tag_id.group(1)}", data={"csrf_token": token, "threshold": "1.5"}
        ).status_code
        == 422
    )
    editor = client_for(vapp, "editor")
    assert editor.get("/admin/vision").status_code == 403
    # Managers find the page in the navbar (marked current there); editors get no link.
    assert 'aria-current="page" href="/admin/vision"' in manager.get("/admin/vision").get_data(as_text=True)
    assert 'href="/admin/vision"' in manager.get("/search").get_data(as_text=True)
    assert 'href="/admin/vision"' not in editor.get("/search").get_data(as_text=True)


def test_suggestions_panel_accept_and_duplicates_report(vapp: Flask, tmp_path: Path) -> None:
    manager = client_for(vapp, "manager")
    token = csrf_token(manager, "/admin/vision")
    manager.post(
        "/admin/vision/tags",
        data={
            "csrf_token": token,
            "name": "sunny",
            "group": "setting",
            "threshold": "0",
            "prompts": "a sunny photo",
        },
    )
    first = add(vapp, tmp_path, "shoe.png", "rect")
    copy = add(vapp, tmp_path, "shoe-copy.jpg", "rect", size=(120, 90))
    panel = manager.get(f"/assets/{copy}/vision").get_data(as_text=True)
    assert "sunny" in panel and "% similar" in panel and f"#{first}" in panel
    with rt_of(vapp).db.session() as session:
        sid = session.scalar(
            select(TagSuggestion.id).where(TagSuggestion.asset_id == copy, TagSuggestion.tag == "sunny")
        )
    resp = manager.post(f"/suggestions/{sid}/accept", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert resp.status_code == 200 and 'id="vision-panel"' in resp.get_data(as_text=True)
    with rt_of(vapp).db.session() as session:
        assert (
            session.scalar(select(AssetTag.source).where(AssetTag.asset_id == copy, AssetTag.tag == "sunny"))
            == "auto"
        )
    editor = client_for(vapp, "editor")
    assert (
        editor.post(
            f"/suggestions/{sid}/reject", headers={"X-CSRFToken": csrf_token(editor, "/search")}
        ).status_code
        == 403
    )
    report = manager.get("/admin/duplicates").get_data(as_text=True)
    assert f"#{first}" in report and f"#{copy}" in report
    assert "Find similar" in manager.get(f"/assets/{first}").get_data(as_text=True)
