"""Product import and upsert against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from models import Product
from models.db import Database
from portal.errors import BadRequest, ValidationError
from portal.services.catalog import products as product_service
from portal.services.catalog.products import (
    import_products,
    normalise_product,
    parse_price,
    product_to_dict,
    upsert_product,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "products"
DEMO_CSV = Path(__file__).parent.parent.parent / "portal" / "demo" / "catalog" / "products.csv"


def demo_rows() -> list[dict[str, str]]:
    with DEMO_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def all_products(db: Database) -> dict[str, Product]:
    with db.session() as session:
        return {p.article_number: p for p in session.scalars(select(Product))}


def count_products(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(Product.id))) or 0


# --- the demo catalogue --------------------------------------------------------------------------------


def test_demo_import_then_reimport_is_unchanged(db: Database) -> None:
    first = import_products(db, DEMO_CSV)
    assert (first.created, first.updated, first.unchanged, first.rejected) == (124, 0, 0, [])
    stamps = {n: p.updated_at for n, p in all_products(db).items()}

    again = import_products(db, DEMO_CSV)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 124, [])
    assert {n: p.updated_at for n, p in all_products(db).items()} == stamps

    paint = all_products(db)["546451996"]
    assert paint.model_code == "nebula-night-sky-paint"
    assert paint.price == Decimal("15.00")
    assert paint.currency == "USD"
    assert paint.attributes == {"Bucket Size": "1l"}
    assert paint.weight == "1.0:kg"


def test_changed_price_updates_one_product(db: Database, tmp_path: Path) -> None:
    import_products(db, DEMO_CSV)
    before = all_products(db)
    rows = demo_rows()
    rows[5]["price"] = "99,95"
    report = import_products(db, write_csv(tmp_path / "changed.csv", rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 123)
    after = all_products(db)
    changed = rows[5]["article_number"]
    assert after[changed].price == Decimal("99.95")
    assert after[changed].updated_at > before[changed].updated_at
    assert after[rows[6]["article_number"]].updated_at == before[rows[6]["article_number"]].updated_at


def test_extra_columns_become_attributes_and_attributes_json_is_parsed(db: Database, tmp_path: Path) -> None:
    rows = [
        {
            "article_number": "C-1",
            "name": "Chair",
            "attributes": '{"Size": "M", "Colours": ["red", "blue"], "Seats": 1, "Empty": ""}',
            "Material": "oak",
            "Finish": "",
        }
    ]
    report = import_products(db, write_csv(tmp_path / "extra.csv", rows))
    assert report.created == 1
    chair = all_products(db)["C-1"]
    assert chair.attributes == {"Size": "M", "Colours": ["red", "blue"], "Seats": 1, "Material": "oak"}


def test_absent_columns_are_left_alone(db: Database, tmp_path: Path) -> None:
    import_products(db, DEMO_CSV)
    rows = [{"article_number": "546451996", "name": "Nebula Night Sky Paint (new name)"}]
    report = import_products(db, write_csv(tmp_path / "names.csv", rows))
    assert report.updated == 1
    paint = all_products(db)["546451996"]
    assert paint.name == "Nebula Night Sky Paint (new name)"
    assert paint.price == Decimal("15.00")  # no price column: price kept
    assert paint.attributes == {"Bucket Size": "1l"}


def demo_as_json(path: Path) -> Path:
    items = []
    for row in demo_rows():
        item: dict[str, Any] = dict(row)
        item["attributes"] = json.loads(row["attributes"])
        item["price"] = float(row["price"])
        items.append(item)
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def demo_as_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    rows = demo_rows()
    sheet.append([h.replace("_", " ").title() for h in rows[0]])  # "Article Number", "Model Code", ...
    for row in rows:
        # As a spreadsheet stores them: numeric article numbers and prices are numbers.
        number: Any = int(row["article_number"]) if row["article_number"].isdigit() else row["article_number"]
        sheet.append([number, *list(row.values())[1:6], float(row["price"]), *list(row.values())[7:]])
    book.save(path)
    return path


def test_json_and_xlsx_variants_import_the_same_as_csv(db: Database, tmp_path: Path) -> None:
    from_json = import_products(db, demo_as_json(tmp_path / "products.json"))
    assert (from_json.created, from_json.rejected) == (124, [])
    from_csv = import_products(db, DEMO_CSV)
    assert (from_csv.created, from_csv.updated, from_csv.unchanged) == (0, 0, 124)
    from_xlsx = import_products(db, demo_as_xlsx(tmp_path / "products.xlsx"))
    assert (from_xlsx.created, from_xlsx.updated, from_xlsx.unchanged, from_xlsx.rejected) == (0, 0, 124, [])


def test_json_fixture_with_header_variants_and_list_attributes(db: Database) -> None:
    report = import_products(db, FIXTURES / "products.json")
    assert (report.created, report.rejected) == (2, [])
    products = all_products(db)
    assert products["J-1"].attributes == {"Size": "M", "Colours": ["blue", "yellow"], "Material": "nylon"}
    assert products["J-1"].price == Decimal("49.90") == products["J-2"].price
    assert products["J-2"].currency == "EUR"


def test_windows_semicolon_export(db: Database) -> None:
    report = import_products(db, FIXTURES / "semicolon_cp1252.csv")
    assert report.created == 2
    products = all_products(db)
    assert products["1001"].name == "Müller Sessel"
    assert products["1001"].price == Decimal("1299.00")
    assert products["1001"].attributes == {"Farbe": "Grün"}
    assert products["1002"].price == Decimal("15.50")


# --- broken rows and files -----------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_reasons_and_good_rows_import(db: Database) -> None:
    report = import_products(db, FIXTURES / "bad_rows.csv")
    assert (report.created, report.updated) == (3, 0)  # "A/5": a slash is a valid article number
    reasons = {r.row: (r.article_number, r.reason) for r in report.rejected}
    assert reasons[3] == (None, "missing article number")
    assert reasons[4] == ("A-2", "price 'abc' is not a number")
    assert reasons[5] == ("A-3", "price '-5' is negative")
    assert reasons[6][0] == "A-4" and reasons[6][1].startswith("attributes are not valid JSON")
    assert reasons[7] == ("A-1", "duplicate article number (first in row 2)")
    assert reasons[9] == ("A-6", "missing name")
    assert reasons[10][1] == "currency 'EURO' is not a three-letter code such as EUR"
    assert reasons[12] == ("A-8", "attributes must be a JSON object of name: value")
    assert reasons[13][1] == "article number is longer than 64 characters"
    assert len(report.rejected) == 9
    products = all_products(db)
    assert set(products) == {"A-1", "A/5", "404.038.96"}
    assert products["A-1"].attributes == {"Size": "M", "Colour": "red"}
    assert products["A-1"].price == Decimal("15.00")
    assert products["404.038.96"].price == Decimal("1234.50")
    assert products["404.038.96"].currency == "SEK"
    as_dict = report.as_dict()
    assert as_dict["rejected_count"] == 9
    assert as_dict["rejected"][0] == {"row": 3, "article_number": None, "reason": "missing article number"}
    json.dumps(as_dict)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing_columns.csv", "missing required column(s): article_number, name"),
        ("malformed.json", "malformed JSON at line 3"),
        ("empty.csv", "the file is empty"),
        ("garbage.bin", "expected CSV, JSON or XLSX"),
    ],
)
def test_bad_files_store_nothing(db: Database, name: str, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        import_products(db, FIXTURES / name)
    assert message in info.value.message
    assert count_products(db) == 0


def test_file_broken_after_many_good_rows_stores_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(product_service, "BATCH_SIZE", 40)
    path = tmp_path / "late-break.csv"
    good = "".join(f"G-{i},Good {i}\n" for i in range(100))
    # An unclosed quote swallows the rest of the file into one field larger than the CSV reader allows.
    path.write_text("article_number,name\n" + good + 'X-1,"never closed\n' + "x" * 200_000 + "\n")
    with pytest.raises(BadRequest, match="malformed CSV"):
        import_products(db, path)
    assert count_products(db) == 0


def test_control_character_in_article_number_rejects_the_row(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "ctl.csv"
    path.write_text("article_number,name\nA\x07B,Bell\nA-1,Fine\n", encoding="utf-8")
    report = import_products(db, path)
    assert report.created == 1
    assert report.rejected[0].reason == "article number contains control characters"


def test_batches_and_progress(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(product_service, "BATCH_SIZE", 40)
    rows = [{"article_number": f"B-{i:04d}", "name": f"Item {i}", "price": f"{i}.00"} for i in range(130)]
    rows.append({"article_number": "", "name": "rejected", "price": ""})
    path = write_csv(tmp_path / "many.csv", rows)
    calls: list[int] = []
    report = import_products(db, path, progress=calls.append)
    assert report.created == 130 and len(report.rejected) == 1
    assert sum(calls) == 131 and len(calls) == 4
    rows[77]["price"] = "1.23"
    again = import_products(db, write_csv(tmp_path / "many2.csv", rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 129)


# --- one row, upsert and the JSON form -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15.00", Decimal("15.00")),
        ("15,00", Decimal("15.00")),
        ("1 234.50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("1,234,567", Decimal("1234567.00")),
        (15, Decimal("15.00")),
        (0.1, Decimal("0.10")),
        ("", None),
        (None, None),
    ],
)
def test_parse_price(value: Any, expected: Decimal | None) -> None:
    assert parse_price(value) == expected


@pytest.mark.parametrize("value", ["abc", "-1", "1,234", "NaN", "Infinity", "1e3", True, "1" * 14, [1]])
def test_parse_price_rejects(value: Any) -> None:
    with pytest.raises(ValidationError):
        parse_price(value)


def test_normalise_product_cleans_and_keeps_only_given_fields() -> None:
    data = normalise_product(
        {"Article Number": "  404.038.96 ", "Name": " Shelf\nunit ", "currency": "eur", "weight": 2.5}
    )
    assert data == {"article_number": "404.038.96", "name": "Shelf unit", "currency": "EUR", "weight": "2.5"}
    assert normalise_product(data) == data  # idempotent


def test_upsert_product_like_put(db: Database) -> None:
    with db.transaction() as session:
        product, created = upsert_product(session, {"name": "Lamp", "price": "12.5"}, article_number="L-1")
        assert created and product.article_number == "L-1"
    with db.transaction() as session:
        body = {"article_number": "L-1", "name": "Lamp", "price": 12.5, "Colour": "green"}
        product, created = upsert_product(session, body, article_number="L-1")
        assert not created and product.attributes == {"Colour": "green"}
        returned = product_to_dict(product)
    assert returned["price"] == "12.50"
    json.dumps(returned)
    with db.transaction() as session:
        # What GET returned, PUT back as it is: nothing changes (timestamps are not attributes).
        returned["assets"] = []
        product, created = upsert_product(session, returned, article_number="L-1")
        assert product.attributes == {"Colour": "green"}
        assert not session.dirty
    with db.transaction() as session, pytest.raises(ValidationError, match="differs from the URL"):
        upsert_product(session, {"article_number": "L-2", "name": "Lamp"}, article_number="L-1")
    with db.transaction() as session, pytest.raises(ValidationError, match="control characters"):
        upsert_product(session, {"name": "Lamp"}, article_number="a\u200bb")
    with db.transaction() as session, pytest.raises(ValidationError, match="missing name"):
        upsert_product(session, {"price": "1"}, article_number="L-3")
    assert count_products(db) == 1


def test_product_to_dict(db: Database) -> None:
    import_products(db, DEMO_CSV)
    data = product_to_dict(all_products(db)["546451996"])
    assert data["price"] == "15.00"
    assert data["attributes"] == {"Bucket Size": "1l"}
    assert data["created_at"].startswith("20") and "T" in data["updated_at"]
    assert json.loads(json.dumps(data)) == data
