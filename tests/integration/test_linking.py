"""Asset <-> product links against real databases: file names, model codes, late products, by hand."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Asset, AssetProduct, LinkSource, Product
from models.db import Database
from portal.errors import NotFound, ValidationError
from portal.services.catalog import linking
from portal.services.catalog.products import import_products, upsert_product
from portal.settings import DEFAULT_FILENAME_PATTERN as PATTERN

CATALOG = Path(__file__).parent.parent.parent / "portal" / "demo" / "catalog"
DEMO_CSV = CATALOG / "products.csv"
NEBULA = ["546451996", "546451997", "546451999"]  # the variants of model "nebula-night-sky-paint"


def new_asset(session: Session, filename: str) -> Asset:
    asset = Asset(title=filename, original_filename=filename, media_kind="image")
    session.add(asset)
    session.flush()
    return asset


def add_products(session: Session, *rows: tuple[str, str | None]) -> None:
    for number, model in rows:
        session.add(Product(article_number=number, model_code=model, name=f"Product {number}", attributes={}))
    session.flush()


def link_keys(session: Session, asset_id: int) -> list[tuple[str | None, str | None, str]]:
    query = select(AssetProduct).where(AssetProduct.asset_id == asset_id).order_by(AssetProduct.id)
    return [(link.article_number, link.model_code, link.source) for link in session.scalars(query)]


# --- file names (no database) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "keys"),
    [
        ("546451996_1.png", ["546451996_1", "546451996"]),
        ("404.038.96_1.jpg", ["404.038.96_1", "404.038.96"]),
        ("404.038.96.jpg", ["404.038.96"]),
        ("404.038.96", ["404.038.96"]),
        ("nebula-night-sky-paint_2.png", ["nebula-night-sky-paint_2", "nebula-night-sky-paint"]),
        ("polo-shirt-2_1.png", ["polo-shirt-2_1", "polo-shirt-2"]),
        ("code-division-t-shirt.png", ["code-division-t-shirt"]),
        ("ABC-front.JPG", ["ABC-front", "ABC"]),
        ("546451996 (1).png", ["546451996 (1)", "546451996"]),
        ("../../etc/passwd_1.png", ["passwd_1", "passwd"]),
        ("C:\\Users\\me\\ABC_2.tif", ["ABC_2", "ABC"]),
        ("A\x00B_1.png", ["AB_1", "AB"]),
        ("x" * 1000 + "_1.png", []),
        ("", []),
    ],
)
def test_filename_keys(filename: str, keys: list[str]) -> None:
    assert linking.filename_keys(filename, PATTERN) == keys


def test_filename_keys_normalise_unicode_and_survive_a_bad_pattern() -> None:
    decomposed = unicodedata.normalize("NFD", "Müller_1.jpg")
    assert linking.filename_keys(decomposed, PATTERN) == ["Müller_1", "Müller"]
    assert linking.filename_keys("ABC_2.jpg", "([unclosed") == ["ABC_2", "ABC"]  # falls back to the default
    assert linking.filename_keys("ABC_2.jpg", r"^(.+)_\d+$") == ["ABC_2", "ABC"]  # unnamed group


# --- linking by file name ------------------------------------------------------------------------------


def test_every_demo_image_links_to_its_article(db: Database) -> None:
    import_products(db, DEMO_CSV)
    with CATALOG.joinpath("images.csv").open(encoding="utf-8") as fh:
        files = [row["file"] for row in csv.DictReader(fh)]
    assert len(files) == 50
    with db.transaction() as session:
        for name in files:
            asset = new_asset(session, name)
            links = linking.link_asset_by_filename(session, asset, name, PATTERN)
            assert [link.article_number for link in links] == [name.rsplit("_", 1)[0]], name
            assert asset.link_key == name.rsplit("_", 1)[0]


def test_article_dotted_article_and_model_code(db: Database) -> None:
    import_products(db, DEMO_CSV)
    with db.transaction() as session:
        add_products(session, ("404.038.96", "shelf"))
        plain = new_asset(session, "546451996_1.png")
        dotted = new_asset(session, "404.038.96_1.jpg")
        model = new_asset(session, "nebula-night-sky-paint_2.png")
        for asset in (plain, dotted, model):
            linking.link_asset_by_filename(session, asset, asset.original_filename, PATTERN)
        assert link_keys(session, plain.id) == [("546451996", None, "filename")]
        assert link_keys(session, dotted.id) == [("404.038.96", None, "filename")]
        assert link_keys(session, model.id) == [(None, "nebula-night-sky-paint", "filename")]
        assert model.link_key == "nebula-night-sky-paint"

        # A model-code link covers every variant.
        assert [p.article_number for p in linking.products_for_asset(session, model.id)] == NEBULA
        assert linking.article_numbers_for_asset(session, model.id) == NEBULA
        found = set(session.scalars(linking.asset_ids_for_article(session, "546451999")))
        assert found == {model.id}
        both = set(session.scalars(linking.asset_ids_for_article(session, "546451996")))
        assert both == {plain.id, model.id}
        assert list(session.scalars(linking.asset_ids_for_article(session, "no-such-article"))) == []


def test_full_stem_article_wins_over_stripped_key(db: Database) -> None:
    with db.transaction() as session:
        add_products(session, ("ABC", "abc-model"), ("ABC_2", "abc-model"))
        asset = new_asset(session, "ABC_2.jpg")
        links = linking.link_asset_by_filename(session, asset, "ABC_2.jpg", PATTERN)
        assert [link.article_number for link in links] == ["ABC_2"]
        assert asset.link_key == "ABC_2"


def test_article_numbers_win_over_model_codes_and_case_is_forgiven(db: Database) -> None:
    with db.transaction() as session:
        add_products(session, ("SHARED", "x-model"), ("V-1", "SHARED"), ("ABC123", None))
        assert linking.resolve_keys(session, ["SHARED"]) == [linking.LinkTarget("SHARED", None)]
        assert linking.resolve_keys(session, ["abc123"]) == [linking.LinkTarget("ABC123", None)]
        assert linking.resolve_keys(session, ["X-MODEL"]) == [linking.LinkTarget(None, "x-model")]
        assert linking.resolve_keys(session, ["nope", " V-1 "]) == [linking.LinkTarget("V-1", None)]
        assert linking.resolve_keys(session, ["nope", ""]) == []
        asset = new_asset(session, "abc123_1.jpg")
        links = linking.link_asset_by_filename(session, asset, "abc123_1.jpg", PATTERN)
        assert [link.article_number for link in links] == ["ABC123"]


def test_unknown_file_keeps_its_key_and_links_when_the_product_arrives(db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        early = new_asset(session, "546451996_1.png")
        assert linking.link_asset_by_filename(session, early, "546451996_1.png", PATTERN) == []
        assert early.link_key == "546451996"
        by_model = new_asset(session, "nebula-night-sky-paint_3.png")
        linking.link_asset_by_filename(session, by_model, by_model.original_filename, PATTERN)
        stranger = new_asset(session, "holiday-photo.jpg")
        linking.link_asset_by_filename(session, stranger, "holiday-photo.jpg", PATTERN)
        ids = early.id, by_model.id, stranger.id

    report = import_products(db, DEMO_CSV)
    assert report.linked_assets == 2
    with db.session() as session:
        assert link_keys(session, ids[0]) == [("546451996", None, "filename")]
        assert link_keys(session, ids[1]) == [(None, "nebula-night-sky-paint", "filename")]
        assert link_keys(session, ids[2]) == []
        assert [p.article_number for p in linking.products_for_asset(session, ids[1])] == NEBULA

    # A new variant of an already linked model: nothing new to link, nothing doubled.
    extra = tmp_path / "variant.csv"
    extra.write_text("article_number,model_code,name\n546451998,nebula-night-sky-paint,Nebula 10l\n")
    assert import_products(db, extra).linked_assets == 0
    with db.session() as session:
        assert len(link_keys(session, ids[1])) == 1
        assert "546451998" in linking.article_numbers_for_asset(session, ids[1])


def test_put_product_links_waiting_assets(db: Database) -> None:
    with db.transaction() as session:
        asset = new_asset(session, "LATE-1_front.jpg")
        linking.link_asset_by_filename(session, asset, "LATE-1_front.jpg", PATTERN)
        assert asset.link_key == "LATE-1"
    with db.transaction() as session:
        upsert_product(session, {"name": "Late"}, article_number="LATE-1")
        # The API calls this again after the upsert; it must be a no-op.
        assert linking.link_pending_assets(session, ["LATE-1"], [""]) == 0
        assert link_keys(session, asset.id) == [("LATE-1", None, "filename")]


def test_link_pending_assets_is_idempotent(db: Database) -> None:
    with db.transaction() as session:
        asset = new_asset(session, "p-1_1.jpg")
        linking.link_asset_by_filename(session, asset, "p-1_1.jpg", PATTERN)
        add_products(session, ("P-1", None))
        assert linking.link_pending_assets(session, ["P-1"], []) == 1  # "p-1" kept, "P-1" arrived
        assert linking.link_pending_assets(session, ["P-1"], []) == 0
        assert linking.link_pending_assets(session, [], ["", "  "]) == 0
        assert [link.article_number for link in asset.links] == ["P-1"]


def test_hostile_file_names_do_not_break_linking(db: Database) -> None:
    names = [
        "../../../etc/passwd",
        "..\\..\\windows\\system32\\x_1.dll",
        "😀😀😀_1.png",
        "\u202eevil_1.png",
        "a" * 5000 + ".jpg",
        "name\x00with\x01controls_1.jpg",
        "%2F..%2Fx_1.png",
        "/",
        ".",
        "'; DROP TABLE product; --_1.png",
    ]
    import_products(db, DEMO_CSV)
    with db.transaction() as session:
        for number, name in enumerate(names):
            asset = new_asset(session, f"hostile-{number}.bin")  # only the linking gets the raw name
            assert linking.link_asset_by_filename(session, asset, name, PATTERN) == []
            assert asset.link_key is None or len(asset.link_key) <= linking.MAX_KEY_LENGTH
    assert count(db, Product) == 124


def count(db: Database, entity: type[Product] | type[AssetProduct]) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(entity)) or 0


# --- by hand, idempotency, removal ---------------------------------------------------------------------


def test_add_link_resolves_rejects_unknown_and_is_idempotent(db: Database) -> None:
    import_products(db, DEMO_CSV)
    with db.transaction() as session:
        asset = new_asset(session, "photo.jpg")
        first = linking.add_link(session, asset, " 546451997 ", LinkSource.MANUAL, None)
        again = linking.add_link(session, asset, "546451997", LinkSource.API, None)
        assert first.id == again.id and first.source == "manual"
        model = linking.add_link(session, asset, "nebula-night-sky-paint", LinkSource.CSV)
        assert (model.article_number, model.model_code) == (None, "nebula-night-sky-paint")
        with pytest.raises(NotFound, match="unknown article number or model code: 123-nope"):
            linking.add_link(session, asset, "123-nope", LinkSource.MANUAL)
        with pytest.raises(ValidationError):
            linking.add_link(session, asset, "   ", LinkSource.MANUAL)
        assert [p.article_number for p in linking.products_for_asset(session, asset.id)] == NEBULA
        asset_id = asset.id
    assert count(db, AssetProduct) == 2

    with db.transaction() as session:
        other = new_asset(session, "546451996_1.png")
        linking.link_asset_by_filename(session, other, "546451996_1.png", PATTERN)
        linking.link_asset_by_filename(session, other, "546451996_1.png", PATTERN)
        assert linking.add_link(session, other, "546451996", LinkSource.MANUAL).source == "filename"
        assert len(link_keys(session, other.id)) == 1
    with db.session() as session:
        assert linking.article_numbers_for_asset(session, asset_id) == NEBULA


def test_remove_link(db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        add_products(session, ("R-1", "r-model"))
        asset = new_asset(session, "r-model_1.jpg")
        [link] = linking.link_asset_by_filename(session, asset, "r-model_1.jpg", PATTERN)
        other = new_asset(session, "other.jpg")
        with pytest.raises(NotFound):
            linking.remove_link(session, other, link.id)
        linking.remove_link(session, asset, link.id)
        assert asset.links == [] and asset.link_key is None
        asset_id = asset.id
    # The removed file-name link does not come back when another variant of the model arrives.
    variant = tmp_path / "variant.csv"
    variant.write_text("article_number,model_code,name\nR-2,r-model,Second\n")
    assert import_products(db, variant).linked_assets == 0
    with db.session() as session:
        assert link_keys(session, asset_id) == []
