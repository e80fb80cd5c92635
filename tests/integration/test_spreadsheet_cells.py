"""Files people open in a spreadsheet keep text as text: an article number (PIMs allow any printable
character) or a custom field value starting with ``=``, ``+``, ``-`` or ``@`` is never a live formula in
a package's link tables (CSV, XLSX) or its ZIP manifest."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image

from portal.runtime import Runtime
from portal.services.catalog.products import upsert_product
from portal.services.csv_text import spreadsheet_text
from tests.conftest import csrf_token
from tests.integration.distribution_helpers import ingest, release

Login = Callable[..., FlaskClient]
FORMULA = '=HYPERLINK("http://evil.example/","open")'


def _formula_package(app: Flask, login: Login, tmp_path: Path) -> tuple[FlaskClient, dict[str, Any]]:
    """A released asset linked to the article ``FORMULA`` and a partner's finished package of it."""
    rt: Runtime = app.extensions["assetport"]
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": FORMULA, "name": "Trap"})
    image = tmp_path / "trap.jpg"
    Image.new("RGB", (32, 24), (200, 30, 30)).save(image, "JPEG")
    asset = ingest(rt, image)
    client = login("editor")
    token = csrf_token(client, "/packages")
    headers = {"X-CSRFToken": token}
    linked = client.post(f"/api/v1/assets/{asset}/links", json={"key": FORMULA}, headers=headers)
    assert linked.status_code == 201, linked.get_json()
    release(rt, asset)

    partner = login("partner")
    token = csrf_token(partner, "/packages")
    made = partner.post(
        "/api/v1/packages",
        json={"articles": [FORMULA], "presets": ["web"], "kind": "zip", "template": "{n}.{ext}"},
        headers={"X-CSRFToken": token},
    )
    assert made.status_code == 202, made.get_json()
    job: dict[str, Any] = partner.get(f"/api/v1/jobs/{made.get_json()['job']['id']}").get_json()
    assert job["report_counts"] == {"found": 1}, job
    return partner, job


def test_link_tables_and_manifest_keep_a_formula_like_article_number_as_text(
    app: Flask, login: Login, tmp_path: Path
) -> None:
    partner, job = _formula_package(app, login, tmp_path)

    table = partner.get(f"/packages/{job['id']}/links.csv")
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["article_number"] == "'" + FORMULA

    book = load_workbook(io.BytesIO(partner.get(f"/packages/{job['id']}/links.xlsx").data))
    sheet = book.active
    assert sheet is not None
    cells = {c.value: c.data_type for c in sheet[2]}
    assert cells[FORMULA] == "s", "the article number must be a text cell, not a formula"

    download = app.test_client().get(urlsplit(job["download_url"]).path)
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert manifest[0]["article_number"] == "'" + FORMULA


def test_spreadsheet_text_quotes_only_formula_starts() -> None:
    assert [spreadsheet_text(v) for v in ("=1", "+1", "-1", "@a", "\tx", "A-1", "", 5, "'s", "it's")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "A-1",
        "",
        5,
        "''s",
        "it's",
    ]  # fmt: skip  (a leading quote is quoted too, so reading the file back gives it exactly)


def test_a_link_table_or_manifest_sent_back_as_a_product_list_finds_the_article(
    app: Flask, login: Login, tmp_path: Path
) -> None:
    """The protective quote of the exported cell comes off again: the list names ``FORMULA``, not
    ``'FORMULA`` (which was an unknown article number)."""
    partner, job = _formula_package(app, login, tmp_path)
    table = partner.get(f"/packages/{job['id']}/links.csv").data
    download = app.test_client().get(urlsplit(job["download_url"]).path)
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        manifest = archive.read("manifest.csv")
    for name, data in (("links.csv", table), ("manifest.csv", manifest)):
        token = csrf_token(partner, "/packages")
        resp = partner.post(
            "/packages",
            data={
                "list_file": (io.BytesIO(data), name),
                "column": "article_number",
                "preset": ["web"],
                "csrf_token": token,
            },
            content_type="multipart/form-data",
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]
        package_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        again = partner.get(f"/api/v1/jobs/{package_id}").get_json()
        assert again["report_counts"] == {"found": 1}, (name, again)
