"""The brand logo as browsers get it: a CMYK JPEG (print artwork) is stored as an sRGB JPEG, since browsers
show CMYK JPEGs with wrong or inverted colours; RGB JPEGs and PNGs are stored byte for byte."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from models import Role
from portal.runtime import Runtime
from portal.services.brand import hub as brand
from portal.services.governance.policy import Viewer
from tests.conftest import csrf_token
from tests.helpers import ZOO

ADMIN = Viewer(None, Role.ADMIN)


def _image_bytes(mode: str, colour: tuple[int, ...], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (40, 20), colour).save(out, fmt)
    return out.getvalue()


def _stored(rt: Runtime) -> tuple[bytes, str]:
    with rt.db.session() as session:
        row = brand.get_settings(session)
        sha, mime = row.logo_sha256, row.logo_mime
    assert sha and mime
    return b"".join(rt.blobs.iter_chunks(sha)), mime


def test_a_cmyk_jpeg_logo_is_stored_as_srgb(app: Flask) -> None:
    rt: Runtime = app.extensions["assetport"]
    cmyk_red = _image_bytes("CMYK", (0, 255, 255, 0), "JPEG")
    with Image.open(io.BytesIO(cmyk_red)) as check:
        assert check.mode == "CMYK"
    with rt.db.transaction() as session:
        brand.set_logo(session, rt, ADMIN, cmyk_red)
    data, mime = _stored(rt)
    assert mime == "image/jpeg"
    with Image.open(io.BytesIO(data)) as logo:
        assert (logo.format, logo.mode, logo.size) == ("JPEG", "RGB", (40, 20))
        r, g, b = logo.convert("RGB").getpixel((20, 10))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60, (r, g, b)


def test_rgb_jpeg_and_png_logos_are_kept_as_uploaded(app: Flask) -> None:
    rt: Runtime = app.extensions["assetport"]
    for data, fmt in (
        (_image_bytes("RGB", (10, 120, 200), "JPEG"), "image/jpeg"),
        (_image_bytes("RGBA", (10, 120, 200, 128), "PNG"), "image/png"),
    ):
        with rt.db.transaction() as session:
            brand.set_logo(session, rt, ADMIN, data)
        assert _stored(rt) == (data, fmt)


def test_a_cmyk_logo_uploaded_on_the_settings_page_is_served_as_rgb(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    client = login("admin")
    token = csrf_token(client, "/brand-admin/")
    upload = (io.BytesIO(_image_bytes("CMYK", (255, 0, 0, 0), "JPEG")), "logo-cmyk.jpg")
    answer = client.post("/brand-admin/logo", data={"csrf_token": token, "logo": upload})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    served = app.test_client().get("/brand/logo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as logo:
        assert logo.mode == "RGB"
        r, g, b = logo.getpixel((20, 10))  # type: ignore[misc]
    assert r < 60 and g > 200 and b > 200, (r, g, b)  # cyan


def test_a_real_cmyk_jpeg_logo_is_stored_as_srgb(app: Flask) -> None:
    rt: Runtime = app.extensions["assetport"]
    data = (ZOO / "good" / "pil_sample_cmyk.jpg").read_bytes()
    with rt.db.transaction() as session:
        brand.set_logo(session, rt, ADMIN, data)
    stored, mime = _stored(rt)
    with Image.open(io.BytesIO(stored)) as logo, Image.open(io.BytesIO(data)) as original:
        assert (mime, logo.mode, logo.size) == ("image/jpeg", "RGB", original.size)
