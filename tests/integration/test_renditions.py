"""Channel renditions: every preset on the format zoo's good files, colours, metadata, caching, delivery."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat
from sqlalchemy import select

from models import Rendition, Role
from portal.errors import NotFound, ValidationError
from portal.media.presets import AV_FORMATS, BUILTIN, applies_to
from portal.runtime import Runtime
from portal.services.distribution import renditions
from portal.services.governance.policy import ANONYMOUS, Viewer
from tests.helpers import ZOO, zoo_manifest
from tests.integration.distribution_helpers import ingest, release

STAFF = Viewer(1, Role.ADMIN)
PARTNER = Viewer(2, Role.PARTNER)
GOOD = [row["file"] for row in zoo_manifest() if row["file"].startswith("good/")]
COPYRIGHT = "(c) 2026 Example GmbH"


def _open(rt: Runtime, sha: str) -> Image.Image:
    im = Image.open(io.BytesIO(rt.blobs.path_for(sha).read_bytes()))
    im.load()
    return im


def _deliver(rt: Runtime, viewer: Viewer, asset_id: int, preset: str) -> renditions.Delivery:
    with rt.db.session() as session:
        return renditions.deliver(session, rt, viewer, asset_id, preset)


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    return max(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


@pytest.mark.parametrize("name", GOOD)
def test_every_preset_on_every_good_zoo_file(sqlite_rt: Runtime, name: str) -> None:
    asset_id = ingest(sqlite_rt, ZOO / name)
    release(sqlite_rt, asset_id, creator="Ann Example", copyright=COPYRIGHT)
    for preset, spec in BUILTIN.items():
        if not applies_to(spec, "image"):  # the audio/video presets
            assert spec.format in AV_FORMATS
            continue
        got = _deliver(sqlite_rt, STAFF, asset_id, preset)
        im = _open(sqlite_rt, got.sha256)
        assert im.format == spec.format and got.mime_type == spec.mime_type
        assert got.filename.endswith("." + spec.extension)
        if spec.max_edge:
            assert max(im.size) <= spec.max_edge
        exif = im.getexif()
        assert 0x8825 not in exif, "GPS must never leave the building"
        if spec.write_metadata:
            assert exif.get(0x8298) == COPYRIGHT and exif.get(0x013B) == "Ann Example"
        if preset == "print":
            assert im.info.get("dpi") == (300, 300)
            assert im.info.get("icc_profile"), "print TIFF carries an ICC profile"
        if preset == "web":
            assert im.mode == "RGB" and not im.info.get("icc_profile"), "web is untagged sRGB"


def test_cmyk_jpeg_becomes_srgb_with_the_right_colours(sqlite_rt: Runtime) -> None:
    asset_id = ingest(sqlite_rt, ZOO / "good/pil_sample_cmyk.jpg")
    web = _open(sqlite_rt, _deliver(sqlite_rt, STAFF, asset_id, "web").sha256)
    assert web.mode == "RGB"
    # The same picture saved as RGB by Pillow's test suite is the reference.
    assert _mean_diff(web, Image.open(ZOO / "good/pil_sample_rgb.jpg")) < 12


def test_sixteen_bit_tiff_uses_its_real_range(sqlite_rt: Runtime) -> None:
    asset_id = ingest(sqlite_rt, ZOO / "good/cmx3g8_wv_1998.260_0745_mcidas.tiff")
    for preset in ("web", "print"):
        grey = _open(sqlite_rt, _deliver(sqlite_rt, STAFF, asset_id, preset).sha256).convert("L")
        low, high = grey.getextrema()
        assert isinstance(low, int) and isinstance(high, int)
        assert high - low > 150, "12-bit data in a 16-bit file must not come out dark and flat"


def test_transparent_png_lands_on_the_preset_background(sqlite_rt: Runtime) -> None:
    with sqlite_rt.db.transaction() as session:
        renditions.save_preset(
            session, STAFF, BUILTIN["web"].with_changes(name="red-web", background="#ff0000", label="red")
        )
    path = ZOO / "good/dispose_none_load_end_second.png"
    asset_id = ingest(sqlite_rt, path)
    out = _open(sqlite_rt, _deliver(sqlite_rt, STAFF, asset_id, "red-web").sha256).convert("RGB")
    alpha = Image.open(path).convert("RGBA").getchannel("A")
    x, y = next(
        (x, y) for y in range(alpha.height) for x in range(alpha.width) if alpha.getpixel((x, y)) == 0
    )
    r, g, b = out.getpixel((x, y))  # type: ignore[misc]
    assert r > 230 and g < 30 and b < 30


@pytest.mark.parametrize(
    "name", ["hopper_orientation_5.jpg", "hopper_orientation_7.jpg", "hopper_orientation_2.jpg"]
)
def test_exif_orientation_is_applied(sqlite_rt: Runtime, name: str) -> None:
    asset_id = ingest(sqlite_rt, ZOO / "good" / name)
    out = _open(sqlite_rt, _deliver(sqlite_rt, STAFF, asset_id, "web").sha256)
    upright = ImageOps.exif_transpose(Image.open(ZOO / "good" / name))
    assert _mean_diff(out, upright) < 5
    assert out.getexif().get(0x0112) is None, "orientation applied, so no tag left to apply it twice"


def test_cmyk_output_with_a_configured_profile(tmp_path: Path, sqlite_rt: Runtime) -> None:
    profile = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
    if not profile.is_file():
        pytest.skip("no CMYK ICC profile on this machine")
    sqlite_rt.settings.cmyk_profile_path = str(profile)
    with sqlite_rt.db.transaction() as session:
        renditions.save_preset(
            session, STAFF, BUILTIN["print"].with_changes(name="print-cmyk", colour="cmyk")
        )
    asset_id = ingest(sqlite_rt, ZOO / "good/hopper.jpg")
    out = _open(sqlite_rt, _deliver(sqlite_rt, STAFF, asset_id, "print-cmyk").sha256)
    assert out.mode == "CMYK" and out.info["icc_profile"][16:20] == b"CMYK"


def test_a_changed_preset_never_serves_the_old_file(rt: Runtime) -> None:
    asset_id = ingest(rt, ZOO / "good/flower.webp")
    first = _deliver(rt, STAFF, asset_id, "web")
    assert _deliver(rt, STAFF, asset_id, "web").sha256 == first.sha256  # cached
    with rt.db.transaction() as session:
        renditions.save_preset(session, STAFF, BUILTIN["web"].with_changes(max_edge=200))
    second = _deliver(rt, STAFF, asset_id, "web")
    assert second.sha256 != first.sha256 and max(_open(rt, second.sha256).size) == 200
    with rt.db.session() as session:
        rows = session.scalars(select(Rendition).where(Rendition.preset == "web")).all()
        assert len(rows) == 1 and rows[0].sha256 == second.sha256


def test_preset_validation_and_unknown_presets(rt: Runtime) -> None:
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="format"):
        renditions.save_preset(session, STAFF, BUILTIN["web"].with_changes(name="bad", format="GIF"))
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="unknown field"):
        renditions.save_preset(
            session, STAFF, BUILTIN["web"].with_changes(name="bad", filename_template="{x}.{ext}")
        )
    asset_id = ingest(rt, ZOO / "good/hopper.jpg")
    with pytest.raises(NotFound):
        _deliver(rt, STAFF, asset_id, "nope")


def test_partners_get_the_approved_version_only(rt: Runtime) -> None:
    asset_id = ingest(rt, ZOO / "good/hopper.jpg")
    with pytest.raises(NotFound):
        _deliver(rt, PARTNER, asset_id, "web")  # draft
    release(rt, asset_id)
    assert _deliver(rt, PARTNER, asset_id, "web").version_id > 0
    with pytest.raises(NotFound):
        _deliver(rt, ANONYMOUS, asset_id, "web")  # partner visibility, not public


def test_http_delivery_headers(app, login, make_user) -> None:  # type: ignore[no-untyped-def]
    rt: Runtime = app.extensions["assetport"]
    asset_id = ingest(rt, ZOO / "good/hopper.jpg", "404.038.96_1.jpg")
    release(rt, asset_id, visibility="public")
    anonymous = app.test_client()
    resp = anonymous.get(f"/a/{asset_id}/web")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["ETag"].startswith('"') and resp.headers["Cache-Control"].startswith("public")
    assert "must-revalidate" in resp.headers["Cache-Control"]
    assert (
        resp.headers["Content-Disposition"].startswith("inline;")
        and "_web.jpg" in resp.headers["Content-Disposition"]
    )
    again = anonymous.get(f"/a/{asset_id}/web", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    pinned = anonymous.get(f"/a/{asset_id}/v/1/print")
    assert pinned.status_code == 200 and pinned.mimetype == "image/tiff"
    assert pinned.headers["Content-Disposition"].startswith("attachment;")
    assert anonymous.get(f"/a/{asset_id}/v/2/web").status_code in (401, 302, 404)

    draft = ingest(rt, ZOO / "good/flower.webp")
    assert anonymous.get(f"/a/{draft}/web").status_code in (302, 401)
    editor = login("editor")
    private = editor.get(f"/a/{draft}/web")
    assert private.status_code == 200 and private.headers["Cache-Control"].startswith("private")
    assert editor.get(f"/a/{draft}/nope").status_code == 404
