"""Flashed messages start with a capital letter, except a file name the user gave, which is shown as it is:
"my_file.jpg" is never "My_file.jpg"."""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from portal.runtime import Runtime
from tests.conftest import csrf_token
from tests.integration.distribution_helpers import ingest

Login = Callable[..., FlaskClient]
NOT_A_JPEG = b"\xff\xd8\xff\xe0 not really a JPEG"
WEB = Path(__file__).resolve().parents[2] / "portal" / "web"


def test_a_rejected_version_upload_keeps_the_file_name_as_written(
    app: Flask, login: Login, tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    image = tmp_path / "chair.jpg"
    Image.new("RGB", (32, 24), (200, 30, 30)).save(image, "JPEG")
    asset_id = ingest(rt, image)
    client = login("editor")
    page = f"/assets/{asset_id}"
    token = csrf_token(client, page)
    resp = client.post(
        f"/assets/{asset_id}/versions",
        data={"file": (io.BytesIO(NOT_A_JPEG), "my_file.jpg"), "csrf_token": token},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "my_file.jpg: " in body, body[body.find("alert-danger") - 100 :][:600]
    assert "My_file.jpg" not in body


def test_other_flashes_still_start_with_a_capital(login: Login) -> None:
    client = login("manager")
    token = csrf_token(client, "/admin/vision")
    client.post(
        "/admin/vision/import",
        data={"file": (io.BytesIO(b""), "tags.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    body = client.get("/admin/vision").get_data(as_text=True)
    assert "Choose a CSV file to import" in body  # the service says "choose a CSV file to import"


def test_web_views_flash_through_the_one_helper() -> None:
    """Capitalising happens in ``portal.web.flashing.flash`` (the template shows messages as they are):
    a view flashing with Flask's own ``flash`` would show a service message in lower case."""
    offenders = []
    for path in sorted(WEB.glob("*.py")):
        if path.name == "flashing.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "flask" and "flash" in _names(node):
                offenders.append(path.name)
    assert not offenders


def _names(node: ast.ImportFrom) -> set[str]:
    return {alias.name for alias in node.names}
