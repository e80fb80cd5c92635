"""Variants share their model's pictures: one rule (``indexer.variants``) seen the same way by search, the
product page, the API, packages and link tables; never more than a role may see; switchable off."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from indexer import variants
from indexer.documents import build_documents
from indexer.sync import asset_ids_for_products, sync_assets
from models import Asset, LinkSource, OutboxItem, Package, Role
from portal.runtime import Runtime
from portal.services.catalog import browse, linking
from portal.services.catalog.products import upsert_product
from portal.services.distribution import packages
from portal.services.distribution import signed_links as package_links
from portal.services.governance import workflow
from portal.services.governance.policy import Viewer
from tests.integration.distribution_helpers import ingest, release

Login = Callable[..., FlaskClient]
NEBULA = ("546451996", "546451997", "546451999")  # 1 l (has the photo), 2.5 l, 5 l
SIZES = {"546451996": "1l", "546451997": "2.5l", "546451999": "5l"}


# --- the rule itself ---------------------------------------------------------------------------------


def test_rule_per_media_kind_model_links_count_as_own_and_the_source_is_named() -> None:
    found = variants.compute(
        [("A1", "M"), ("A2", "M"), ("A3", "M"), ("B1", "N"), ("C1", None)],
        [
            (1, "A1", None, "image"),
            (2, "A2", None, "video"),  # A2 has its own video, not its own image
            (3, "A3", None, "image"),  # A3 has its own image
            (4, None, "N", "image"),  # a model-code link serves every variant of N already
            (5, "C1", None, "image"),  # no model: nothing to share
        ],
    )
    assert found.for_article("A2") == {1: "A1", 3: "A3"}  # both siblings' images; not the video
    assert found.for_article("A1") == {2: "A2"}  # A1 has an image, inherits A2's video
    assert found.for_article("A3") == {2: "A2"}
    assert found.for_article("B1") == {} and found.for_article("C1") == {}
    assert found.by_asset()[1] == {"A2": "A1"}


def test_rule_switches_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert variants.enabled()
    monkeypatch.setenv(variants.ENV_INHERITANCE, "false")
    assert not variants.enabled()


# --- the portal ----------------------------------------------------------------------------------------


def _image(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = folder / name
    Image.new("RGB", (64, 48), colour).save(path, "JPEG")
    return path


def _catalogue(rt: Runtime, tmp_path: Path, *, visibility: str = "partner") -> int:
    """Nebula paint in three sizes, one photo of the 1 l bucket (released with ``visibility``)."""
    with rt.db.transaction() as session:
        for number in NEBULA:
            upsert_product(
                session,
                {
                    "article_number": number,
                    "model_code": "nebula",
                    "name": "Nebula Night Sky Paint",
                    "Bucket Size": SIZES[number],
                },
            )
    photo = ingest(rt, _image(tmp_path, f"{NEBULA[0]}_1.jpg", (20, 20, 80)))
    _release(rt, photo, visibility=visibility)
    return photo


def _release(rt: Runtime, asset_id: int, visibility: str = "partner") -> None:
    """Released directly in the database, then its document rebuilt (as the workflow's sync would)."""
    release(rt, asset_id, visibility=visibility)
    rt.queue.join()
    sync_assets(rt.search(), rt.db.session, [asset_id])
    rt.search().refresh()


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


def test_product_page_and_api_show_the_inherited_photo(app: Flask, login: Login, tmp_path: Path) -> None:
    photo = _catalogue(_rt(app), tmp_path)
    client = login("partner")
    page = client.get(f"/products/{NEBULA[1]}").get_data(as_text=True)
    assert f"inherited from {NEBULA[0]}" in page and "No assets for this product" not in page
    data = client.get(f"/api/v1/products/{NEBULA[1]}").get_json()
    assert [(a["id"], a["inherited_from"]) for a in data["assets"]] == [(photo, NEBULA[0])]
    detail = client.get(f"/api/v1/assets/{photo}").get_json()
    assert detail["inherited_by"] == [
        {"article_number": NEBULA[1], "inherited_from": NEBULA[0]},
        {"article_number": NEBULA[2], "inherited_from": NEBULA[0]},
    ]
    own = client.get(f"/api/v1/products/{NEBULA[0]}").get_json()
    assert [(a["id"], a["inherited_from"]) for a in own["assets"]] == [(photo, None)]
    listing = client.get("/products?q=nebula").get_data(as_text=True)
    assert "/a/" in listing  # every size has a thumbnail now
    spec = client.get("/api/v1/openapi.json").get_json()
    props = spec["components"]["schemas"]["ProductAsset"]["properties"]
    assert "inherited_from" in props
    assert "inherited_by" in spec["components"]["schemas"]["AssetDetail"]["properties"]
    assert "translations" in spec["components"]["schemas"]["ProductWithAssets"]["properties"]


def test_search_finds_the_photo_by_a_sibling_number_below_own_assets(
    app: Flask, login: Login, tmp_path: Path
) -> None:
    rt = _rt(app)
    photo = _catalogue(rt, tmp_path)
    client = login("partner")
    hits = client.get(f"/api/v1/search?q={NEBULA[2]}").get_json()["hits"]
    assert [h["id"] for h in hits] == [photo]
    assert [h["id"] for h in client.get("/api/v1/search?q=nebula 2.5 l").get_json()["hits"]] == [photo]
    # A photo of the 2.5 l bucket's own: it no longer inherits the 1 l photo (same purpose: image).
    sheet = ingest(rt, _image(tmp_path, f"{NEBULA[1]}_1.jpg", (200, 200, 200)))
    _release(rt, sheet)
    hits = client.get(f"/api/v1/search?q={NEBULA[1]}").get_json()["hits"]
    assert [h["id"] for h in hits] == [sheet]


def test_inheritance_never_widens_what_a_role_sees(app: Flask, login: Login, tmp_path: Path) -> None:
    rt = _rt(app)
    photo = _catalogue(rt, tmp_path, visibility="internal")
    partner = login("partner")
    assert partner.get(f"/api/v1/products/{NEBULA[1]}").get_json()["assets"] == []
    assert partner.get(f"/api/v1/search?q={NEBULA[1]}").get_json()["hits"] == []
    assert "inherited from" not in partner.get(f"/products/{NEBULA[1]}").get_data(as_text=True)
    report = _package(rt, Viewer(None, Role.PARTNER), [NEBULA[1]], presets=["original"])
    assert [(line.status, line.files) for line in report.report] == [("missing", 0)]
    staff = login("editor")
    assert [a["id"] for a in staff.get(f"/api/v1/products/{NEBULA[1]}").get_json()["assets"]] == [photo]


def _package(rt: Runtime, viewer: Viewer, lines: list[str], **kw: object) -> Package:
    with rt.db.transaction() as session:
        package_id = packages.create_package(session, viewer, lines=lines, **kw).id  # type: ignore[arg-type]
    rt.queue.join()
    with rt.db.session() as session:
        package = session.get(Package, package_id)
        assert package is not None
        package.report, package.files  # noqa: B018  (load before the session closes)
        session.expunge(package)
        return package


def test_packages_and_link_tables_deliver_it_and_say_so(rt: Runtime, tmp_path: Path) -> None:
    photo = _catalogue(rt, tmp_path)
    partner = Viewer(None, Role.PARTNER)
    package = _package(rt, partner, list(NEBULA), presets=["original"])
    assert package.status == "done", package.error
    lines = [(line.status, line.message, line.asset_ids) for line in package.report]
    assert lines[0] == ("found", "1 asset(s)", [str(photo)])
    assert lines[1] == ("found", f"1 asset(s), 1 inherited from {NEBULA[0]}", [str(photo)])
    assert lines[2][0] == "found" and f"inherited from {NEBULA[0]}" in lines[2][1]
    with rt.db.session() as session:
        stored = session.get(Package, package.id)
        assert stored is not None
        rows = package_links.link_rows(session, rt, stored, "https://dam.example")
    notes = {row["article_number"]: row["note"] for row in rows}
    assert notes == {NEBULA[0]: "", NEBULA[1]: f"inherited from {NEBULA[0]}", NEBULA[2]: notes[NEBULA[2]]}
    assert notes[NEBULA[2]] == f"inherited from {NEBULA[0]}"
    table = list(csv.DictReader(io.StringIO(package_links.links_csv(rows).decode("utf-8-sig"))))
    assert table[1]["note"] == f"inherited from {NEBULA[0]}"


def test_switched_off_nothing_is_inherited(
    rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variants.ENV_INHERITANCE, "off")
    _catalogue(rt, tmp_path)
    package = _package(rt, Viewer(None, Role.PARTNER), [NEBULA[1]], presets=["original"])
    assert [line.status for line in package.report] == ["missing"]
    with rt.db.session() as session:
        detail = browse.product_detail(session, Viewer(None, Role.PARTNER), NEBULA[1])
        assert detail.assets.items == [] and detail.inherited_from == {}


def test_documents_carry_sibling_words_and_link_changes_reindex_siblings(rt: Runtime, tmp_path: Path) -> None:
    photo = _catalogue(rt, tmp_path)
    with rt.db.session() as session:
        (doc,), _ = build_documents(session, [photo])
    assert doc["article_numbers"] == [NEBULA[0]]
    assert {NEBULA[1], NEBULA[2], "2.5l", "2.5 l", "5l", "5 l"} <= set(doc["variant_text"])
    other = ingest(rt, _image(tmp_path, "unrelated.jpg", (1, 2, 3)))
    with rt.db.transaction() as session:
        before = session.scalar(select(OutboxItem.id).order_by(OutboxItem.id.desc()).limit(1)) or 0
        asset = session.get(Asset, other)
        assert asset is not None
        linking.add_link(session, asset, NEBULA[2], LinkSource.MANUAL)
        items = session.scalars(select(OutboxItem).where(OutboxItem.id > before)).all()
        # The photo of the 1 l bucket is a sibling's asset: its document changes with this link.
        synced = {i for item in items if item.task == "search.sync" for i in item.args["asset_ids"]}
        assert photo in synced
        assert photo in asset_ids_for_products(session, [NEBULA[2]])  # a product change re-indexes it too
    with rt.db.session() as session:
        (doc,), _ = build_documents(session, [photo])
    assert NEBULA[2] not in doc["variant_text"] and NEBULA[1] in doc["variant_text"]


def test_an_archived_own_picture_gives_the_variant_back_its_inheritance(rt: Runtime, tmp_path: Path) -> None:
    photo = _catalogue(rt, tmp_path)
    own = ingest(rt, _image(tmp_path, f"{NEBULA[1]}_1.jpg", (200, 200, 200)))
    release(rt, own)
    manager = Viewer(None, Role.MANAGER)
    with rt.db.session() as session:
        detail = browse.product_detail(session, manager, NEBULA[1])
        assert [a.id for a in detail.assets.items] == [own] and detail.inherited_from == {}
    with rt.db.transaction() as session:
        before = session.scalar(select(OutboxItem.id).order_by(OutboxItem.id.desc()).limit(1)) or 0
        workflow.transition(session, manager, own, "archive")
        items = session.scalars(select(OutboxItem).where(OutboxItem.id > before)).all()
        synced = {i for item in items if item.task == "search.sync" for i in item.args["asset_ids"]}
        assert {own, photo} <= synced  # the photo's document serves the 2.5 l bucket again
    with rt.db.session() as session:
        detail = browse.product_detail(session, manager, NEBULA[1])
        assert detail.inherited_from == {photo: NEBULA[0]}
        (doc,), _ = build_documents(session, [photo])
    assert NEBULA[1] in doc["variant_text"]
