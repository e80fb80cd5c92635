"""CSV written spreadsheet-safe reads back exactly: a value that would start a formula (``=``, ``+``, ``-``,
``@``, tab, carriage return) is written with a protective leading quote, and so is one that starts with a
quote; the readers take off that one quote and nothing else. So values round-trip through the product import,
the synonym export and import, and a package's link table sent back as a product list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Product, Role
from portal.runtime import Runtime
from portal.services.catalog.product_files import read_product_rows
from portal.services.catalog.products import import_products
from portal.services.csv_text import spreadsheet_text, unquote_spreadsheet_text
from portal.services.governance.policy import Viewer
from portal.services.search import synonyms
from portal.services.search.synonyms import import_csv as import_synonyms

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRICKY = [
    '=HYPERLINK("http://evil.example/","open")',
    "+1",
    "-x",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1",
    "'quoted",
    "''twice",
    "'=already quoted",
    "'",
    "plain",
    "A-1",
    "",
]


@pytest.mark.parametrize("value", TRICKY)
def test_spreadsheet_text_round_trips_and_never_starts_a_formula(value: str) -> None:
    written = spreadsheet_text(value)
    assert isinstance(written, str)
    assert not written.startswith(FORMULA_STARTS)
    assert unquote_spreadsheet_text(written) == value


def test_a_cell_that_merely_starts_with_a_quote_is_read_as_it_stands() -> None:
    # Not written by a spreadsheet-safe export: nothing to take off.
    assert unquote_spreadsheet_text("'s-Hertogenbosch") == "'s-Hertogenbosch"
    assert unquote_spreadsheet_text("it's") == "it's"


def _export(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_text(cell) for cell in row])
    return out.getvalue()


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_product_csv_written_spreadsheet_safe_imports_the_same_values(rt: Runtime, tmp_path: Path) -> None:
    products = {
        "=HYPERLINK(1)": ('=HYPERLINK("http://evil.example/","open")', "+49 30 1234"),
        "+1": ("+1", "-x"),
        "-x": ("@SUM(A1:A2)", "'quoted"),
        "@SUM": ("'quoted", "''twice"),
        "'quoted": ("plain", "'=already quoted"),
        "'=A1": ("=A1", "@"),
    }
    header = ["article_number", "name", "colour_code"]
    text = _export([header, *([number, *values] for number, values in products.items())])
    assert not [c for c in _cells(text) if c.startswith(FORMULA_STARTS)], "no cell is a formula"
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")

    report = import_products(rt.db, path)
    assert not report.rejected and report.created == len(products), report.as_dict()
    with rt.db.session() as session:
        stored = {
            p.article_number: (p.name, (p.attributes or {}).get("colour_code"))
            for p in session.scalars(select(Product))
        }
    assert stored == products


def test_xlsx_text_cells_are_not_unquoted(tmp_path: Path) -> None:
    """A text cell needs no protective quote: one that starts with a quote is the value itself."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["article_number", "name"])
    sheet.append(["'=A1", "''x"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    [(_, row)] = list(read_product_rows(path))
    assert (row["article_number"], row["name"]) == ("'=A1", "''x")


def test_synonym_export_is_spreadsheet_safe_and_imports_the_same_rules(rt: Runtime) -> None:
    admin = Viewer(None, Role.ADMIN)
    source = 'terms,targets\n"=sum, +plus",-minus\n"@at, \'quote",\n'
    with rt.db.transaction() as session:
        import_synonyms(session, admin, source.encode(), replace=True)
        before = [r.rule for r in synonyms.list_rules(session)]
        exported = synonyms.export_csv(session)
    assert before == ["sum, plus => minus", "at, quote"]
    assert not [c for c in _cells(exported) if c.startswith(FORMULA_STARTS)]
    with rt.db.transaction() as session:
        import_synonyms(session, admin, exported.encode(), replace=True)
        assert [r.rule for r in synonyms.list_rules(session)] == before
