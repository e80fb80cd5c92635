"""Localized product text: ``name@de`` and Akeneo's ``name-de_DE`` columns in every import format and the
API, stored by language, searched, and shown in the viewer's language; bad locale columns are clear 4xx /
report lines, never a 500."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from models import Product
from models.db import Database
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog import product_locales
from portal.services.catalog.products import import_products, normalise_product
from tests.conftest import csrf_token
from tests.integration.distribution_helpers import ingest, release

Login = Callable[..., FlaskClient]
I18N_CSV = Path(__file__).parent.parent.parent / "portal" / "demo" / "catalog" / "products_i18n.csv"


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _translations(db: Database) -> dict[str, dict[str, Any]]:
    with db.session() as session:
        return {p.article_number: p.translations for p in session.scalars(select(Product))}


def test_csv_and_json_imports_store_each_language(db: Database, tmp_path: Path) -> None:
    header = [
        "article_number",
        "name",
        "name@de",
        "description@fr",
        "name-fr_FR",
        "description-de_DE-ecommerce",
    ]
    path = _csv(tmp_path / "p.csv", header, [["L-1", "Lamp", "Lampe", "Une lampe", "Lampe", "Eine Lampe"]])
    report = import_products(db, path)
    assert report.created == 1 and not report.rejected
    assert _translations(db)["L-1"] == {
        "de": {"name": "Lampe", "description": "Eine Lampe"},
        "fr": {"name": "Lampe", "description": "Une lampe"},
    }
    # JSON: the same columns as keys, and the API's "translations" object; a blank value removes one.
    rows = [{"sku": "L-1", "name": "Lamp", "name@de": "", "translations": {"it": {"name": "Lampada"}}}]
    (tmp_path / "p.json").write_text(json.dumps(rows), encoding="utf-8")
    report = import_products(db, tmp_path / "p.json")
    assert report.updated == 1, report.as_dict()
    stored = _translations(db)["L-1"]
    assert stored["de"] == {"description": "Eine Lampe"} and stored["it"] == {"name": "Lampada"}
    # A file without localized columns leaves them alone.
    import_products(db, _csv(tmp_path / "plain.csv", ["article_number", "name"], [["L-1", "Lamp"]]))
    assert _translations(db)["L-1"] == stored


def test_xlsx_import_reads_localized_columns(db: Database, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["SKU", "Name", "name-de_DE", "Description@FR"])
    sheet.append(["X-1", "Chair", "Stuhl", "Une chaise"])
    book.save(tmp_path / "p.xlsx")
    report = import_products(db, tmp_path / "p.xlsx")
    assert report.created == 1, report.as_dict()
    assert _translations(db)["X-1"] == {"de": {"name": "Stuhl"}, "fr": {"description": "Une chaise"}}


def test_demo_file_in_akeneo_shape(db: Database) -> None:
    demo = Path(__file__).parent.parent.parent / "portal" / "demo" / "catalog" / "products.csv"
    import_products(db, demo)
    report = import_products(db, I18N_CSV)
    assert not report.rejected and report.updated > 0
    assert _translations(db)["93855755"] == {"de": {"name": "Apfelsaft"}, "fr": {"name": "Jus de pomme"}}


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("name@xx", "unknown language 'xx'"),
        ("name@", "malformed locale"),
        ("description@de_DE_x", "malformed locale"),
        ("name-qq_QQ", "unknown language 'qq'"),
        ("price@de", "only name and description can be localized"),
    ],
)
def test_bad_locale_columns_are_reported_per_row(
    db: Database, tmp_path: Path, column: str, message: str
) -> None:
    path = _csv(tmp_path / "bad.csv", ["article_number", "name", column], [["B-1", "Bulb", "x"]])
    report = import_products(db, path)
    assert report.created == 0 and len(report.rejected) == 1
    assert message in report.rejected[0].reason


def test_columns_that_only_look_localized_stay_attributes() -> None:
    data = normalise_product({"article_number": "T-1", "name": "Tee", "t-shirt": "yes", "Colour@home": "red"})
    assert data["attributes"] == {"t-shirt": "yes", "Colour@home": "red"}
    assert "translations" not in data
    with pytest.raises(ValidationError, match="two different values given for name@de"):
        normalise_product({"article_number": "T-1", "name": "Tee", "name@de": "Tee", "name-de_DE": "Shirt"})


def test_viewer_language_choice() -> None:
    assert product_locales.preferred_languages("fr-CH;q=0.8, de;q=0.9, en;q=0.1, *;q=0.5") == [
        "de",
        "fr",
        "en",
    ]
    assert product_locales.preferred_languages("de", preference="fr") == ["fr", "de"]
    assert product_locales.preferred_languages("q=;;, 12345;q=x") == []
    table = {"de": {"name": "Lampe"}, "fr": {"description": "Une lampe"}}
    shown = product_locales.display_text("Lamp", "A lamp", table, ["de", "fr"])
    assert (shown.name, shown.language, shown.description, shown.description_language) == (
        "Lampe",
        "de",
        "Une lampe",
        "fr",
    )
    # The default text is English: a viewer who reads English before German gets it.
    assert product_locales.display_text("Lamp", None, table, ["en", "de"]).name == "Lamp"
    assert product_locales.display_text("Lamp", None, table, ["it"]).name == "Lamp"


def _put(client: FlaskClient, article: str, body: Any) -> Any:
    token = csrf_token(client, "/upload")
    return client.put(f"/api/v1/products/{article}", json=body, headers={"X-CSRFToken": token})


def test_api_page_and_search_in_the_viewers_language(app: Flask, login: Login, tmp_path: Path) -> None:
    editor = login("editor")
    resp = _put(editor, "L-9", {"name": "Desk lamp", "name@de": "Schreibtischlampe", "description": "Bright"})
    assert resp.status_code == 201, resp.get_json()
    resp = _put(editor, "L-9", {"name": "Desk lamp", "translations": {"fr": {"name": "Lampe de bureau"}}})
    assert resp.status_code == 200
    data = editor.get("/api/v1/products/L-9").get_json()
    assert data["translations"] == {"de": {"name": "Schreibtischlampe"}, "fr": {"name": "Lampe de bureau"}}
    bad_bodies = [
        ({"name": "x", "name@zz": "y"}, "unknown language 'zz'"),
        ({"name": "x", "translations": {"de": "y"}}, "translations.de"),  # the typed body says so first
        ({"name": "x", "translations": 3}, "translations"),
        ({"name": "x", "translations": {"d3": {"name": "y"}}}, "malformed locale 'd3'"),
    ]
    for body, message in bad_bodies:
        bad = _put(editor, "L-9", body)
        assert bad.status_code == 422 and message in bad.get_json()["error"]["message"], bad.get_json()

    page = editor.get("/products/L-9", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert 'lang="de">Schreibtischlampe' in html
    assert "Schreibtischlampe" not in editor.get("/products/L-9", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Lampe de bureau" in editor.get("/products?q=lamp", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )

    rt: Runtime = app.extensions["assetport"]
    path = tmp_path / "L-9_1.jpg"
    Image.new("RGB", (32, 32), (9, 9, 9)).save(path, "JPEG")
    asset_id = ingest(rt, path)
    release(rt, asset_id)
    rt.queue.join()
    from indexer.sync import sync_assets

    sync_assets(rt.search(), rt.db.session, [asset_id])
    rt.search().refresh()
    partner = login("partner")
    for text in ("schreibtischlampe", "lampe de bureau"):
        hits = partner.get(f"/api/v1/search?q={text}").get_json()["hits"]
        assert [h["id"] for h in hits] == [asset_id], text
