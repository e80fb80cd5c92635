"""Packages from a product list: the report per line, the streamed ZIP and its manifest, link tables."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from models import Package, Role
from models.base import utcnow
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog.products import upsert_product
from portal.services.distribution import packages
from portal.services.distribution import product_lists as package_lists
from portal.services.distribution import signed_links as package_links
from portal.services.governance.policy import Viewer
from tests.integration.distribution_helpers import ingest, release

PRODUCTS = [
    ("A-100", "M1"),
    ("A-101", "M1"),
    ("ab-1", None),
    ("AB-1", None),
    ("B-200", None),
    ("C-300", None),
    ("D-400", None),
    ("00123", None),
]
LIST = ["A-100", " a-100 ", "ZZZ-999", "Ab-1", "B-200", "C-300", "M1-RED", "D-400"]
EXPECTED = ["found", "found", "missing", "ambiguous", "not_approved", "expired", "found", "missing"]


def _image(folder: Path, name: str, colour: tuple[int, int, int], fmt: str = "JPEG") -> Path:
    path = folder / name
    Image.new("RGB", (64, 48), colour).save(path, fmt)
    return path


def _catalogue(rt: Runtime, tmp_path: Path) -> dict[str, int]:
    with rt.db.transaction() as session:
        for number, model in PRODUCTS:
            upsert_product(
                session, {"article_number": number, "model_code": model, "name": f"Product {number}"}
            )
    files = {
        "A-100_1.jpg": ((200, 10, 10), "JPEG"),
        "A-100_2.png": ((10, 200, 10), "PNG"),
        "M1_1.jpg": ((10, 10, 200), "JPEG"),
        "B-200_1.jpg": ((50, 50, 50), "JPEG"),
        "C-300_1.jpg": ((90, 90, 90), "JPEG"),
    }
    ids = {name: ingest(rt, _image(tmp_path, name, colour, fmt)) for name, (colour, fmt) in files.items()}
    for name in ("A-100_1.jpg", "A-100_2.png", "M1_1.jpg"):
        release(rt, ids[name])
    release(rt, ids["C-300_1.jpg"], expires=utcnow() - timedelta(days=1))
    release(rt, ids["B-200_1.jpg"], status="in_review")  # visible to partners once released, not yet
    return ids


def _build(rt: Runtime, viewer: Viewer, lines: list[str], **kw: object) -> Package:
    with rt.db.transaction() as session:
        package_id = packages.create_package(session, viewer, lines=lines, **kw).id  # type: ignore[arg-type]
    rt.queue.join()
    with rt.db.session() as session:
        package = session.get(Package, package_id)
        assert package is not None
        package.report, package.files  # noqa: B018  (load before the session closes)
        session.expunge(package)
        return package


def test_report_and_zip_manifest(rt: Runtime, tmp_path: Path) -> None:
    _catalogue(rt, tmp_path)
    partner = Viewer(None, Role.PARTNER)
    package = _build(
        rt, partner, LIST, presets=["original"], template="{article_number}/{article_number}_{n}.{ext}"
    )
    assert package.status == "done", package.error
    assert [line.status for line in package.report] == EXPECTED
    assert "ab-1" in package.report[3].message and "AB-1" in package.report[3].message
    assert "M1" in package.report[6].message
    with zipfile.ZipFile(package.file_path or "") as archive:
        names = archive.namelist()
        assert "A-100/A-100_1.jpg" in names and "A-100/A-100_2.png" in names and "M1/M1_1.jpg" in names
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        assert len(manifest) == len(names) - 1 == package.files_total == package.files_done
        for row in manifest:
            assert hashlib.sha256(archive.read(row["path"])).hexdigest() == row["sha256"]
            info = archive.getinfo(row["path"])
            assert info.compress_type == zipfile.ZIP_STORED  # JPEG and PNG are not recompressed


def test_selection_lines_report_assets_not_article_numbers(rt: Runtime, tmp_path: Path) -> None:
    """A selection's lines are asset ids: a hidden one reads exactly like one that does not exist, and
    neither is called an "unknown article number"."""
    ids = _catalogue(rt, tmp_path)
    partner = Viewer(None, Role.PARTNER)
    hidden, shown = ids["B-200_1.jpg"], ids["A-100_1.jpg"]
    lines = [str(shown), str(hidden), "999999"]
    package = _build(rt, partner, lines, presets=["original"], source="selection")
    assert [line.status for line in package.report] == ["found", "missing", "missing"]
    assert package.report[1].message == package.report[2].message == "no such asset"
    assert package.report[1].article_number is None and package.report[1].asset_ids == []


def test_presets_templates_and_size_limit(rt: Runtime, tmp_path: Path) -> None:
    _catalogue(rt, tmp_path)
    staff = Viewer(None, Role.MANAGER)
    package = _build(rt, staff, ["A-100"], presets=["web", "print"], template="{model_code}/{title}.{ext}")
    assert package.status == "done"
    with zipfile.ZipFile(package.file_path or "") as archive:
        entries = {i.filename: i for i in archive.infolist()}
    tifs = [n for n in entries if n.endswith(".tif")]
    assert len(tifs) == 3 and all(n.startswith("M1/") for n in entries if n != "manifest.csv")
    assert entries[tifs[0]].compress_type == zipfile.ZIP_DEFLATED
    assert len({n.lower() for n in entries}) == len(entries), "names are de-duplicated"

    rt.settings.package_max_bytes = 2000
    too_big = _build(rt, staff, ["A-100"], presets=["print"])
    assert too_big.status == "failed" and "size limit" in (too_big.error or "")
    assert not list((rt.settings.instance_dir / "packages").glob("*.part"))


def test_bad_requests_are_clear(rt: Runtime) -> None:
    partner = Viewer(None, Role.PARTNER)
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="presets"):
        packages.create_package(session, partner, lines=["A"], presets=["nope"])
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="unknown field"):
        packages.create_package(session, partner, lines=["A"], presets=["web"], template="{nope}.{ext}")
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="at least one"):
        packages.create_package(session, partner, lines=[], presets=["web"])


def test_lists_from_csv_and_xlsx() -> None:
    data = b"name;Article No\nChair;A-100\nTable; 00123 \n"
    with pytest.raises(ValidationError, match="choose the column"):
        package_lists.column_values("l.csv", b"a,b\n1,2\n", None)
    assert package_lists.column_values("list.csv", data, None) == ["A-100", "00123"]
    assert package_lists.column_values("list.csv", data, "1") == ["Chair", "Table"]
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku", "qty"])
    sheet.append([4711, 2])
    sheet.append(["A-100", 1])
    out = io.BytesIO()
    book.save(out)
    assert package_lists.column_values("list.xlsx", out.getvalue(), "sku") == ["4711", "A-100"]
    assert package_lists.parse_text("A-1\n\n B-2 ,C-3;D-4\r\n") == ["A-1", "B-2", "C-3", "D-4"]
    assert package_lists.normalise(" 00 12 3", strip_zeros=True) == "123"


def test_leading_zeros_when_configured(sqlite_rt: Runtime, tmp_path: Path) -> None:
    _catalogue(sqlite_rt, tmp_path)
    with sqlite_rt.db.session() as session:
        viewer = Viewer(None, Role.ADMIN)
        plain = package_lists.resolve_lines(session, viewer, ["123"])
        zeros = package_lists.resolve_lines(session, viewer, ["123"], strip_zeros=True)
    assert plain[0].status == "missing"
    assert zeros[0].article_number == "00123" and zeros[0].status == "missing"  # known, nothing linked
    assert zeros[0].message == "no assets linked"


def test_link_table_and_signed_downloads(app, login, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt: Runtime = app.extensions["assetport"]
    ids = _catalogue(rt, tmp_path)
    package = _build(rt, Viewer(None, Role.PARTNER), ["A-100", "C-300"], presets=["web"], kind="links")
    assert package.status == "done"
    with rt.db.session() as session:
        row = session.get(Package, package.id)
        assert row is not None
        rows = package_links.link_rows(session, rt, row, "http://portal.test")
    assert len(rows) == 3 and all(r["url"].startswith("http://portal.test/d/") for r in rows)
    assert package_links.links_csv(rows).decode("utf-8-sig").startswith("line,article_number,file")
    assert package_links.links_xlsx(rows)[:2] == b"PK"
    client = app.test_client()
    path = rows[0]["url"].removeprefix("http://portal.test")
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    # The same file headers as /a/<id>/<preset>, and never kept by a cache.
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert client.get(path[:-3] + "xyz").status_code == 404
    # Withdrawn since the table was made: the link stops working.
    release(rt, ids["A-100_1.jpg"], status="draft")
    release(rt, ids["A-100_2.png"], status="draft")
    assert client.get(path).status_code == 404
    rt.settings.package_link_ttl_seconds = -1
    assert client.get(path).status_code == 404
