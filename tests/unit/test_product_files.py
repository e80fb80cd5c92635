"""Reading product exports: format detection, header variants, row numbers and whole-file errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from portal.errors import BadRequest
from portal.services.catalog.product_files import PROBLEM_KEY, canonical_field, read_product_rows

FIXTURES = Path(__file__).parent.parent / "fixtures" / "products"
DEMO_CSV = Path(__file__).parent.parent.parent / "portal" / "demo" / "catalog" / "products.csv"


def rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    return list(read_product_rows(path))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def write_xlsx(tmp_path: Path, name: str, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, sheet_rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in sheet_rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


# --- headers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("article_number", "article_number"),
        ("Article Number", "article_number"),
        ("article-number", "article_number"),
        (" ARTICLE_NUMBER ", "article_number"),
        ("SKU", "article_number"),
        ("ArtNr", "article_number"),
        ("Model Code", "model_code"),
        ("Product Type", "product_type"),
        ("Colour", None),
    ],
)
def test_header_variants(header: str, field: str | None) -> None:
    assert canonical_field(header) == field


# --- formats -------------------------------------------------------------------------------------------


def test_demo_catalogue_reads_124_rows_with_line_numbers() -> None:
    result = rows(DEMO_CSV)
    assert len(result) == 124
    number, first = result[0]
    assert number == 2
    assert first["article_number"] == "546451996"
    assert first["attributes"] == '{"Bucket Size": "1l"}'


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = delimiter.join(["Article Number", "Name", "Price"]) + "\n"
    quote = '"' if delimiter == "," else ""  # a comma inside a value needs quotes only in comma files
    text += delimiter.join(["A-1", f"{quote}Chair, red{quote}", f"{quote}15,00{quote}"]) + "\n"
    [(number, row)] = rows(write(tmp_path, "p.csv", text))
    assert number == 2
    assert row == {"article_number": "A-1", "name": "Chair, red", "price": "15,00"}


def test_csv_with_bom_and_cp1252_fallback() -> None:
    [(_, first), (_, second)] = rows(FIXTURES / "semicolon_cp1252.csv")
    assert first == {
        "article_number": "1001",
        "name": "Müller Sessel",
        "price": "1.299,00",
        "currency": "EUR",
        "Farbe": "Grün",
    }
    assert second["name"] == "Café Tisch"


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "\ufeffarticle_number,name\nA-1,Stuhl für Kinder\n".encode())
    assert rows(path) == [(2, {"article_number": "A-1", "name": "Stuhl für Kinder"})]


def test_utf16_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path, "p.txt", "article_number\tname\r\nA-1\tÅngström\r\n".encode("utf-16"))
    assert rows(path) == [(2, {"article_number": "A-1", "name": "Ångström"})]


def test_csv_row_numbers_follow_lines_with_multiline_values_and_blank_lines(tmp_path: Path) -> None:
    text = 'article_number,name,description\n\nA-1,One,"two\nlines"\n\nA-2,Two,x\n'
    result = rows(write(tmp_path, "p.csv", text))
    assert [(n, r["article_number"]) for n, r in result] == [(3, "A-1"), (6, "A-2")]
    assert result[0][1]["description"] == "two\nlines"


def test_csv_row_with_too_many_cells_is_marked(tmp_path: Path) -> None:
    [(_, row)] = rows(write(tmp_path, "p.csv", "article_number,name\nA-1,Chair,red,extra\n"))
    assert row[PROBLEM_KEY].startswith("row has 4 cells, more than the header")


def test_json_list_and_products_object(tmp_path: Path) -> None:
    listed = write(tmp_path, "a.json", json.dumps([{"SKU": "A-1", "name": "One", "price": 1.5}]))
    assert rows(listed) == [(1, {"article_number": "A-1", "name": "One", "price": 1.5})]
    wrapped = rows(FIXTURES / "products.json")
    assert [n for n, _ in wrapped] == [1, 2]
    assert wrapped[1][1]["article_number"] == "J-2"  # "Article Number" key
    assert wrapped[0][1]["attributes"] == {"Size": "M", "Colours": ["blue", "yellow"]}


def test_content_wins_over_extension(tmp_path: Path) -> None:
    json_as_txt = write(tmp_path, "export.txt", ' \n[{"article_number": "A-1", "name": "One"}]')
    assert rows(json_as_txt)[0][1]["name"] == "One"
    xlsx = write_xlsx(tmp_path, "x.xlsx", {"Sheet": [["article_number", "name"], ["A-1", "One"]]})
    xlsx_as_csv = write(tmp_path, "export.csv", xlsx.read_bytes())
    assert rows(xlsx_as_csv) == [(2, {"article_number": "A-1", "name": "One"})]


def test_xlsx_numbers_become_text_and_sheet_rows_are_numbered(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path,
        "p.xlsx",
        {
            "Notes": [["just notes"]],
            "Products": [
                [None],
                ["Article Number", "Name", "Price", "Colour", None],
                [546451996, "Paint", 15.5, None, None],
                [None, None, None, None, None],
                ["404.038.96", "Shelf", 20, "white", None],
            ],
        },
    )
    result = rows(path)
    assert result == [
        (3, {"article_number": "546451996", "name": "Paint", "price": "15.5", "Colour": ""}),
        (5, {"article_number": "404.038.96", "name": "Shelf", "price": "20", "Colour": "white"}),
    ]


# --- whole-file errors ---------------------------------------------------------------------------------


def bad_request(path: Path) -> str:
    with pytest.raises(BadRequest) as info:
        rows(path)
    return info.value.message


def test_missing_columns_named_with_columns_found() -> None:
    message = bad_request(FIXTURES / "missing_columns.csv")
    assert "missing required column(s): article_number, name" in message
    assert "'sku_code', 'title', 'price'" in message


def test_missing_name_only(tmp_path: Path) -> None:
    message = bad_request(write(tmp_path, "p.csv", "Article-Number,Price\nA-1,1\n"))
    assert "missing required column(s): name;" in message


def test_malformed_json_says_where() -> None:
    assert "malformed JSON at line 3, column" in bad_request(FIXTURES / "malformed.json")


@pytest.mark.parametrize("name", ["empty.csv", "blank.csv"])
def test_empty_files(name: str) -> None:
    assert bad_request(FIXTURES / name) == "the file is empty"


def test_binary_garbage() -> None:
    message = bad_request(FIXTURES / "garbage.bin")
    assert "expected CSV, JSON or XLSX" in message


def test_binary_with_nul_bytes(tmp_path: Path) -> None:
    assert "binary" in bad_request(write(tmp_path, "p.csv", b"article_number,name\nA\x00-1,x\n"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('"just a string"', "expected a JSON list"),
        ('{"items": []}', '"products" list'),
        ('[{"article_number": "A"}, 42]', "product 2 in the JSON list is not an object"),
        ('[{"sku": "A", "title": "x"}]', "missing required column(s): name"),
    ],
)
def test_json_structure_errors(tmp_path: Path, content: str, expected: str) -> None:
    assert expected in bad_request(write(tmp_path, "p.json", content))


def test_corrupt_xlsx(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path, "x.xlsx", {"Sheet": [["article_number", "name"], ["A-1", "One"]]})
    truncated = write(tmp_path, "t.xlsx", good.read_bytes()[:300])
    assert "not a readable XLSX workbook" in bad_request(truncated)
    assert "not a readable XLSX workbook" in bad_request(write(tmp_path, "z.xlsx", b"PK\x03\x04garbage"))


def test_xlsx_without_header_or_columns(tmp_path: Path) -> None:
    assert bad_request(write_xlsx(tmp_path, "e.xlsx", {"Sheet": []})) == "the spreadsheet has no header row"
    message = bad_request(write_xlsx(tmp_path, "m.xlsx", {"Sheet": [["Colour", "Size"], ["red", "M"]]}))
    assert "missing required column(s): article_number, name; found columns: 'Colour', 'Size'" in message


def test_old_xls_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "p.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert ".xlsx" in bad_request(path)


def test_duplicate_columns(tmp_path: Path) -> None:
    message = bad_request(write(tmp_path, "p.csv", "sku,article_number,name\nA,A,x\n"))
    assert "both name 'article_number'" in message


def test_unreadable_path(tmp_path: Path) -> None:
    assert "cannot read" in bad_request(tmp_path / "missing.csv")


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    assert rows(write(tmp_path, "p.csv", "article_number,name\n")) == []


def test_json_with_two_spellings_of_a_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, "p.json", '[{"sku": "A-1", "Article Number": "A-2", "name": "x"}, {"sku": "B", "n": 1}]'
    )
    [(_, first), (_, second)] = rows(path)
    assert first[PROBLEM_KEY] == "two different values given for article_number"
    assert second == {"article_number": "B", "n": 1}
