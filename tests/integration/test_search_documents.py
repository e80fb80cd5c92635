"""Search documents from a real database (SQLite and PostgreSQL); index sync through the embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from indexer.documents import build_documents
from indexer.engines.embedded import EmbeddedEngine
from indexer.query import PortalQuery
from indexer.sync import asset_ids_for_products, rebuild_all, sync_assets
from models import Asset, AssetProduct, AssetTag, AssetVersion, Product, User
from models.db import Database

CREATED = datetime(2025, 3, 1, 12, 0, 30, 700_000, tzinfo=UTC)
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


def _asset(session: Any, number: int, *, user: User | None = None, **fields: Any) -> Asset:
    asset = Asset(
        title=fields.pop("title", f"Asset {number}"),
        original_filename=f"file_{number}.jpg",
        media_kind="image",
        created_at=CREATED,
        uploaded_by_id=user.id if user else None,
        **fields,
    )
    session.add(asset)
    session.flush()
    version = AssetVersion(
        asset_id=asset.id,
        number=1,
        sha256=f"{number:064d}",
        size_bytes=1000,
        original_filename=asset.original_filename,
        mime_type="image/jpeg",
        format="JPEG",
        width=3000,
        height=2000,
        color_mode="RGB",
        orientation="landscape",
    )
    session.add(version)
    session.flush()
    asset.current_version_id = version.id
    return asset


@pytest.fixture
def catalog(db: Database) -> dict[str, int]:
    """Three products of two models, and assets linked by model code, by article and not at all."""
    with db.transaction() as session:
        user = User(email="ed@example.com", password_hash="x", role="editor")
        session.add(user)
        session.add_all(
            [
                Product(
                    article_number="100.001.01",
                    model_code="CHAIR-1",
                    name="Aalto chair oak",
                    category="Chairs",
                    product_type="Chair",
                    brand="Nordform",
                    attributes={"Colour": "oak", "Seat height (cm)": 45, "Sizes": ["S", "M"]},
                ),
                Product(
                    article_number="100.001.02",
                    model_code="CHAIR-1",
                    name="Aalto chair black",
                    category="Chairs",
                    product_type="Chair",
                    brand="Nordform",
                    attributes={"Colour": "black", "Seat height (cm)": 45.0},
                ),
                Product(
                    article_number="200.002.01",
                    model_code="LAMP-2",
                    name="Kilo lamp",
                    category="Lighting",
                    brand="Lumo",
                    attributes={},
                ),
            ]
        )
        session.flush()
        by_model = _asset(
            session,
            1,
            user=user,
            title="Chair family",
            description="All colours",
            status="approved",
            visibility="public",
            rights_expire_at=EXPIRES,
        )
        by_model.links.append(AssetProduct(model_code="CHAIR-1", source="manual"))
        session.add_all(
            [
                AssetTag(asset_id=by_model.id, tag="studio", source="manual"),
                AssetTag(asset_id=by_model.id, tag="oak", source="embedded"),
            ]
        )
        by_article = _asset(session, 2, title="Lamp detail")
        by_article.links.append(AssetProduct(article_number="200.002.01", source="filename"))
        lonely = _asset(session, 3, title="Unlinked")
        session.flush()
        return {"model": by_model.id, "article": by_article.id, "lonely": lonely.id}


def test_model_code_links_cover_every_variant(db: Database, catalog: dict[str, int]) -> None:
    with db.session() as session:
        docs, missing = build_documents(session, [catalog["model"], catalog["article"], catalog["lonely"]])
    assert missing == []
    doc = {d["id"]: d for d in docs}[catalog["model"]]
    assert doc["article_numbers"] == ["100.001.01", "100.001.02"]
    assert doc["model_codes"] == ["CHAIR-1"]
    assert doc["product_names"] == ["Aalto chair oak", "Aalto chair black"]
    assert (doc["category"], doc["product_type"], doc["brand"]) == (["Chairs"], ["Chair"], ["Nordform"])
    lamp = {d["id"]: d for d in docs}[catalog["article"]]
    assert lamp["article_numbers"] == ["200.002.01"]
    assert lamp["model_codes"] == ["LAMP-2"]  # the article's model, so a model-code filter finds it too
    lonely = {d["id"]: d for d in docs}[catalog["lonely"]]
    assert lonely["article_numbers"] == [] and lonely["product_names"] == []


def test_attributes_become_facet_fields(db: Database, catalog: dict[str, int]) -> None:
    with db.session() as session:
        (doc,), _ = build_documents(session, [catalog["model"]])
    assert doc["attr.colour"] == ["oak", "black"]
    assert doc["attr.seat_height_cm"] == ["45"]  # 45 and 45.0 are one value
    assert doc["attr.sizes"] == ["S", "M"]


def test_asset_metadata_is_copied(db: Database, catalog: dict[str, int]) -> None:
    with db.session() as session:
        (doc,), _ = build_documents(session, [catalog["model"]], vectors={catalog["model"]: [1, 0.5]})
    assert doc["title"] == "Chair family" and doc["description"] == "All colours"
    assert (doc["file_type"], doc["mime_type"], doc["media_kind"]) == ("JPEG", "image/jpeg", "image")
    assert (doc["orientation"], doc["color_mode"], doc["megapixel_band"]) == ("landscape", "RGB", "4-12 MP")
    assert (doc["width"], doc["height"]) == (3000, 2000)
    assert doc["tags"] == ["oak", "studio"] and doc["auto_tags"] == [] and doc["collections"] == []
    assert (doc["status"], doc["visibility"]) == ("approved", "public")
    assert doc["created_at"] == int(CREATED.timestamp())
    assert doc["rights_expire_at"] == EXPIRES.timestamp()
    assert doc["uploaded_by"] == "ed@example.com"
    assert doc["vector"] == [1.0, 0.5]


def test_deleted_assets_are_reported_for_deletion(db: Database, catalog: dict[str, int]) -> None:
    with db.transaction() as session:
        session.delete(session.get(Asset, catalog["lonely"]))
    with db.session() as session:
        docs, missing = build_documents(session, [catalog["lonely"], catalog["article"], 987_654])
    assert [d["id"] for d in docs] == [catalog["article"]]
    assert missing == [catalog["lonely"], 987_654]


def test_documents_take_a_fixed_number_of_queries(db: Database, catalog: dict[str, int]) -> None:
    with db.transaction() as session:
        for number in range(10, 40):
            asset = _asset(session, number)
            asset.links.append(AssetProduct(model_code="CHAIR-1", source="manual"))
            session.add(AssetTag(asset_id=asset.id, tag=f"t{number}", source="manual"))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            docs, _ = build_documents(session, list(range(1, 60)))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(docs) == 33
    # Assets, tags, links, products + variant inheritance: the variants of the linked models, their links,
    # and the products of the variants that inherit, + the custom field definitions (a fixed number per
    # chunk, never one per asset).
    assert len(statements) <= 8, statements


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    """An empty embedded index."""
    index = EmbeddedEngine(tmp_path / "index")
    yield index
    index.close()


def test_sync_and_rebuild_follow_the_database(
    db: Database, catalog: dict[str, int], engine: EmbeddedEngine
) -> None:
    progress: list[tuple[int, int]] = []
    assert (
        rebuild_all(engine, db.session, batch=2, progress=lambda done, total: progress.append((done, total)))
        == 3
    )
    assert progress == [(2, 3), (3, 3)]
    staff = PortalQuery(viewer_role="admin", text="100.001.02")
    assert engine.search(staff).ids == [catalog["model"]]
    # A product rename reaches every asset that shows it, through the model-code link too.
    with db.transaction() as session:
        product = session.query(Product).filter_by(article_number="100.001.02").one()
        product.name = "Aalto chair midnight"
        affected = asset_ids_for_products(session, ["100.001.02"], [])
        session.delete(session.get(Asset, catalog["lonely"]))
    assert affected == [catalog["model"]]
    report = sync_assets(engine, db.session, [*affected, catalog["lonely"]])
    assert (report.indexed, report.deleted) == (1, 1)
    assert engine.search(PortalQuery(viewer_role="admin", text="midnight")).ids == [catalog["model"]]
    assert engine.count() == 2
    assert engine.search(PortalQuery(viewer_role=None)).ids == [catalog["model"]]  # the only public one


def test_products_find_assets_by_article_and_model(db: Database, catalog: dict[str, int]) -> None:
    with db.session() as session:
        assert asset_ids_for_products(session, ["200.002.01"]) == [catalog["article"]]
        assert asset_ids_for_products(session, [], ["CHAIR-1"]) == [catalog["model"]]
        assert asset_ids_for_products(session, ["unknown"], ["NONE"]) == []
