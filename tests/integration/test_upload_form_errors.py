"""A malformed file on an upload form is said on that form, like every other form error: the package form
is shown again with the message (422), the admin imports (synonyms, tag vocabulary) and the brand logo
flash it on their page. Never the generic error page, never a 500."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import select

from models import SynonymRule, TagVocabulary
from tests.conftest import csrf_token

Login = Callable[..., FlaskClient]
SVG = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _workbook_parts() -> dict[str, bytes]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku"])
    sheet.append(["A-100"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _sheet(cells: str) -> bytes:
    """A workbook whose first sheet holds ``cells`` (row XML): read-only openpyxl parses it lazily."""
    parts = _workbook_parts()
    body = f'<worksheet xmlns="{MAIN_NS}"><sheetData>{cells}</sheetData></worksheet>'
    parts["xl/worksheets/sheet1.xml"] = body.encode()
    return _zip(parts)


BROKEN_LISTS = {
    "missing-shared-string.xlsx": _sheet('<row r="1"><c r="A1" t="s"><v>99</v></c></row>'),
    "text-in-a-number-cell.xlsx": _sheet('<row r="1"><c r="A1"><v>abc</v></c></row>'),
    "bad-date.xlsx": _sheet('<row r="1"><c r="A1" t="d"><v>someday</v></c></row>'),
    "bad-cell-reference.xlsx": _sheet('<row r="1"><c r="ZZZZZ1"><v>1</v></c></row>'),
    "no-sheet.xlsx": _zip({k: v for k, v in _workbook_parts().items() if "worksheets" not in k}),
    "not-a-zip.xlsx": b"PK\x03\x04 and then nothing",
    "nul.csv": b"sku\nA-\x00100\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN_LISTS))
def test_a_malformed_list_file_shows_the_package_form_again(login: Login, name: str) -> None:
    client = login("partner")
    token = csrf_token(client, "/packages")
    resp = client.post(
        "/packages",
        data={
            "list_file": (io.BytesIO(BROKEN_LISTS[name]), name),
            "preset": ["web"],
            "template": "{article_number}_{n}.{ext}",
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422, body[-600:]
    assert 'name="list_file"' in body and "<title>Packages" in body, "the form, not the error page"
    assert "not a readable XLSX file" in body or "malformed CSV" in body
    assert 'value="{article_number}_{n}.{ext}"' in body, "what was typed is kept"


def _post_file(client: FlaskClient, page: str, action: str, name: str, data: bytes, **form: str) -> str:
    token = csrf_token(client, page)
    resp = client.post(
        action,
        data={"file": (io.BytesIO(data), name), "csrf_token": token, **form},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page), resp.status_code
    shown = client.get(page)
    assert shown.status_code == 200
    return shown.get_data(as_text=True)


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", "Choose a CSV file to import"),
        ("latin1.csv", "name\nbouteille verte \xe9\n".encode("latin-1"), "must be UTF-8 text"),
        ("unclosed.csv", b'name\n"mug\x00\n', "malformed CSV"),
    ],
)
def test_a_bad_vocabulary_file_is_said_on_the_vocabulary_page(
    app: Flask, login: Login, name: str, data: bytes, message: str
) -> None:
    body = _post_file(login("manager"), "/admin/vision", "/admin/vision/import", name, data)
    assert message in body and "alert-danger" in body
    with app.extensions["assetport"].db.session() as session:
        assert not list(session.scalars(select(TagVocabulary.name)))


def test_a_bad_synonym_file_is_said_on_the_synonym_page_and_no_file_replaces_nothing(
    app: Flask, login: Login
) -> None:
    admin = login("admin")
    body = _post_file(admin, "/admin/synonyms", "/admin/synonyms/import", "ok.csv", b"tv,television\n")
    assert "Imported 1 rules" in body
    with app.extensions["assetport"].db.session() as session:
        before = sorted(session.scalars(select(SynonymRule.rule)))
    assert "tv => television" in before
    body = _post_file(admin, "/admin/synonyms", "/admin/synonyms/import", "bad.csv", b"sofa,\x00couch\n")
    assert "malformed CSV" in body and "alert-danger" in body
    # A form sent without a file (an empty file part) with "replace" ticked must not empty the list.
    body = _post_file(admin, "/admin/synonyms", "/admin/synonyms/import", "", b"", replace="1")
    assert "Choose a CSV file to import" in body
    with app.extensions["assetport"].db.session() as session:
        assert sorted(session.scalars(select(SynonymRule.rule))) == before


def test_a_bad_logo_is_said_on_the_brand_settings_page(login: Login) -> None:
    client = login("admin")
    token = csrf_token(client, "/brand-admin/")
    resp = client.post(
        "/brand-admin/logo",
        data={
            "logo": (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "logo.svg"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    body = client.get("/brand-admin/").get_data(as_text=True)
    assert "not a readable image" in body and "alert-danger" in body


@pytest.mark.parametrize(
    "data, message", [(b"not an image", "Not an image that can be read"), (b"", "Send an image file")]
)
def test_a_bad_search_image_is_said_on_the_search_page(login: Login, data: bytes, message: str) -> None:
    client = login("partner")
    token = csrf_token(client, "/search")
    resp = client.post(
        "/search/image?q=chair",
        data={"image": (io.BytesIO(data), "query.png"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303 and "/search?q=chair" in resp.headers["Location"]
    body = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert message in body and "alert-danger" in body
