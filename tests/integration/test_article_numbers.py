"""Article numbers as PIMs have them: slashes, spaces, dots, dashes and non-ASCII letters.

They import, are fetched at a percent-encoded URL, link from file names (``/`` spelled ``-``), are found by
search and name the files of a package; duplicates in one file stay rejected per row.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from portal.runtime import Runtime
from portal.services.catalog import linking
from portal.services.catalog.products import import_products
from tests.gov_helpers import png, user_with_token

NUMBERS = ("7310/22-B", "ÄÖ 12.34-5")


def _url(number: str) -> str:
    return "/api/v1/products/" + quote(number, safe="")


@pytest.mark.parametrize("number", NUMBERS)
def test_put_and_get_at_the_percent_encoded_url(app: Flask, number: str) -> None:
    _, headers = user_with_token(app, "editor")
    client = app.test_client()
    resp = client.put(_url(number), json={"name": "Bracket", "model_code": "BR"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["article_number"] == number
    got = client.get(_url(number), headers=headers)
    assert got.status_code == 200 and got.get_json()["name"] == "Bracket"
    assert client.get(_url(number + "x"), headers=headers).status_code == 404
    assert client.put(_url(number), json={"name": "Bracket 2"}, headers=headers).status_code == 200


@pytest.mark.parametrize("sent", [" 7310/22-B ", "A\u0308O 1"], ids=["padded", "decomposed"])
def test_a_product_reads_back_at_the_url_it_was_put_to(app: Flask, login, sent: str) -> None:  # type: ignore[no-untyped-def]
    """PUT stores the number trimmed and in NFC; GET (API and page) took the URL as it came: a 404 for the
    very URL the PIM had just written to."""
    _, headers = user_with_token(app, "editor")
    client = app.test_client()
    put = client.put(_url(sent), json={"name": "Bracket"}, headers=headers)
    assert put.status_code == 201, put.get_json()
    stored = put.get_json()["article_number"]
    assert stored != sent
    for url in (_url(sent), _url(stored)):
        got = client.get(url, headers=headers)
        assert got.status_code == 200 and got.get_json()["article_number"] == stored, url
    page = login("editor").get("/products/" + quote(sent, safe=""))
    assert page.status_code == 200 and "Bracket" in page.get_data(as_text=True)


def test_import_accepts_real_numbers_and_rejects_duplicates_per_row(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "article_number,name\n7310/22-B,Bracket\nÄÖ 12.34-5,Umlaut\n7310/22-B,Again\nbad\x07no,Bell\n"
        + ("x" * 65)
        + ",Long\n",
        encoding="utf-8",
    )
    report = import_products(rt.db, path)
    assert report.created == 2
    reasons = {r.row: (r.article_number, r.reason) for r in report.rejected}
    assert reasons[4] == ("7310/22-B", "duplicate article number (first in row 2)")
    assert reasons[5][1] == "article number contains control characters"
    assert reasons[6][1] == "article number is longer than 64 characters"


def test_file_names_link_with_the_slash_replacement(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    _, headers = user_with_token(app, "editor")
    client = app.test_client()

    def upload(name: str, seed: int) -> dict[str, object]:
        data = {"file": (io.BytesIO(png(tmp_path, seed).read_bytes()), name)}
        resp = client.post("/api/v1/assets", data=data, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        body: dict[str, object] = resp.get_json()
        return body

    # A file that arrives before its product waits for it; one that arrives after links at once.
    early = upload("7310-22-B_1.jpg", 1)
    assert early["article_numbers"] == []
    assert client.put(_url("7310/22-B"), json={"name": "Bracket"}, headers=headers).status_code == 201
    late = upload("7310-22-b_2.jpg", 2)
    assert late["article_numbers"] == ["7310/22-B"]
    listing = client.get(_url("7310/22-B"), headers=headers).get_json()
    assert {a["id"] for a in listing["assets"]} == {early["id"], late["id"]}
    # The article filter of the asset list takes the real number too.
    filtered = client.get("/api/v1/assets?article_number=" + quote("7310/22-B"), headers=headers).get_json()
    assert filtered["total"] == 2
    assert client.put(_url("ÄÖ 12.34-5"), json={"name": "Umlaut"}, headers=headers).status_code == 201
    umlaut = upload("ÄÖ 12.34-5_1.png", 3)
    assert umlaut["article_numbers"] == ["ÄÖ 12.34-5"]
    with rt.db.session() as session:
        assert linking.resolve_keys(session, ["7310/22-B"])[0].article_number == "7310/22-B"


def test_a_configured_replacement_is_used(rt: Runtime) -> None:
    assert linking.filename_form("7310/22-B", "_") == "7310_22-B"
    assert linking.filename_form("A\\B/C") == "A-B-C"
    with rt.db.transaction() as session:
        from portal.services.catalog.products import upsert_product

        upsert_product(session, {"name": "Bracket"}, article_number="7310/22-B")
    with rt.db.session() as session:
        found = linking._lookup(session, ["7310+22-B"], "+")
        assert found["7310+22-B"].article_number == "7310/22-B"
        assert linking._lookup(session, ["7310+22-B"], "-") == {}


def test_search_finds_and_packages_name_files_by_the_real_number(app: Flask, tmp_path: Path) -> None:
    _, headers = user_with_token(app, "admin")
    client = app.test_client()
    for number in NUMBERS:
        assert client.put(_url(number), json={"name": "Thing"}, headers=headers).status_code == 201
    spelled = {"7310/22-B": "7310-22-B_1.png", "ÄÖ 12.34-5": "ÄÖ 12.34-5_1.png"}
    ids = {}
    for seed, (number, name) in enumerate(spelled.items(), 10):
        data = {"file": (io.BytesIO(png(tmp_path, seed).read_bytes()), name)}
        resp = client.post("/api/v1/assets", data=data, headers=headers)
        assert resp.get_json()["article_numbers"] == [number]
        ids[number] = resp.get_json()["id"]
        for action in ("submit", "approve"):
            step = client.post(
                f"/api/v1/assets/{ids[number]}/transitions", json={"action": action}, headers=headers
            )
            assert step.status_code == 200, step.get_json()
    for number in NUMBERS:
        hits = client.get("/api/v1/search?q=" + quote(number), headers=headers).get_json()["hits"]
        assert hits and hits[0]["id"] == ids[number], (number, hits)
        facet = client.get("/api/v1/search?f.article_numbers=" + quote(number), headers=headers).get_json()
        assert [h["id"] for h in facet["hits"]] == [ids[number]]
    resp = client.post(
        "/api/v1/packages",
        json={"articles": list(NUMBERS), "presets": ["original"], "template": "{article_number}_{n}.{ext}"},
        headers=headers,
    )
    assert resp.status_code == 202, resp.get_json()
    package = client.get(resp.headers["Location"], headers=headers).get_json()
    assert package["status"] == "done", package
    assert {line["article_number"] for line in package["report"]} == set(NUMBERS), package["report"]
    assert [line["files"] for line in package["report"]] == [1, 1], package["report"]
    zipped = client.get(package["download_url"], headers=headers)
    names = set(zipfile.ZipFile(io.BytesIO(zipped.data)).namelist())
    assert {"7310-22-B_1.png", "ÄÖ 12.34-5_1.png"} <= names
