"""Packages over HTTP (page, progress fragment, ZIP download, API job) and from the CLI."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from models import Package
from portal.runtime import Runtime
from tests.conftest import csrf_token
from tests.integration.test_packages import LIST, _catalogue


def test_package_page_progress_and_zip_download(app: Flask, login, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt: Runtime = app.extensions["assetport"]
    _catalogue(rt, tmp_path)
    partner = login("partner")
    form = partner.get("/packages").get_data(as_text=True)
    assert 'name="articles"' in form and 'value="print"' in form and "Packages" in form
    token = csrf_token(partner, "/packages")
    resp = partner.post(
        "/packages",
        data={"articles": "\n".join(LIST), "preset": ["web"], "template": "{article_number}_{n}.{ext}",
              "kind": "zip", "csrf_token": token},
    )  # fmt: skip
    assert resp.status_code == 302
    page = partner.get(resp.headers["Location"]).get_data(as_text=True)
    assert "not approved" in page and "ambiguous" in page and "expired" in page and "Download ZIP" in page
    fragment = partner.get(resp.headers["Location"] + "/progress").get_data(as_text=True)
    assert 'id="package-progress"' in fragment and "hx-get" not in fragment  # done: polling stops
    link = fragment.split('href="/d/', 1)[1].split('"', 1)[0]
    download = app.test_client().get(f"/d/{link}")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert "manifest.csv" in archive.namelist() and "A-100_1.jpg" in archive.namelist()
    table = partner.get(resp.headers["Location"] + "/links.xlsx")
    assert table.status_code == 200 and table.data[:2] == b"PK"

    bad = partner.post("/packages", data={"articles": "A-100", "preset": ["nope"], "csrf_token": token})
    assert bad.status_code == 422 and "presets" in bad.get_data(as_text=True)
    csv_list = (io.BytesIO(b"name,sku\nChair,A-100\n"), "list.csv")
    picked = partner.post(
        "/packages",
        data={"list_file": csv_list, "column": "", "preset": ["web"], "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert picked.status_code == 302  # "sku" is the one obvious column
    other = login("partner")
    assert other.get(resp.headers["Location"]).status_code == 404, "packages are private to their creator"


def test_api_package_job(app: Flask, login, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt: Runtime = app.extensions["assetport"]
    _catalogue(rt, tmp_path)
    client = login("partner")
    token = csrf_token(client, "/packages")
    resp = client.post(
        "/api/v1/packages",
        json={"articles": ["A-100", "ZZZ"], "presets": ["thumb", "original"], "kind": "zip"},
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()["job"]
    status = client.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert status["status"] == "done" and status["report_counts"] == {"found": 1, "missing": 1}
    assert status["download_url"].startswith("http://") and status["files_total"] == 6
    bad = client.post("/api/v1/packages", json={"articles": "A-100"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid"
    assert client.get("/api/v1/jobs/99999").status_code == 404


def test_cli_package(app: Flask, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from portal.cli import main

    rt: Runtime = app.extensions["assetport"]
    _catalogue(rt, tmp_path)
    monkeypatch.setenv("ASSETPORT_INSTANCE_DIR", str(rt.settings.instance_dir))
    monkeypatch.setenv("ASSETPORT_DATABASE_URL", rt.settings.resolved_database_url)
    monkeypatch.setenv("ASSETPORT_SECRET_KEY", "cli-test")
    articles = tmp_path / "articles.txt"
    articles.write_text("A-100\nZZZ-1\n")
    out = tmp_path / "out.zip"
    result = CliRunner().invoke(
        main, ["package", "--articles", str(articles), "--preset", "web", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "ZZZ-1" in result.output and "missing" in result.output
    with zipfile.ZipFile(out) as archive:
        assert len(archive.namelist()) == 4  # three A-100 files and the manifest
    with rt.db.session() as session:
        assert session.scalars(select(Package)).one().status == "done"


def test_a_template_with_a_format_spec_is_refused_not_a_failed_job(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    client = login("partner")
    token = csrf_token(client, "/packages")
    for template in ("{article_number:d}_{n}.{ext}", "{article_number:>999999999}.{ext}"):
        resp = client.post(
            "/api/v1/packages",
            json={"articles": ["A-100"], "presets": ["thumb"], "template": template},
            headers={"X-CSRFToken": token},
        )
        assert resp.status_code == 422, resp.get_json()
        assert "formats and conversions" in resp.get_json()["error"]["message"]
