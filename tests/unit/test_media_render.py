"""render_previews / render_pdf_first_page on the real format zoo and on generated files."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageOps, ImageStat

from portal.errors import RejectedFile, UnsupportedMediaType
from portal.media import DEFAULT_PREVIEWS, PreviewSpec, RenderedImage, render_pdf_first_page, render_previews

ZOO = Path(__file__).resolve().parents[1] / "fixtures" / "format-zoo"
with (ZOO / "manifest.csv").open(newline="") as _fh:
    MANIFEST = list(csv.DictReader(_fh))
GOOD = [row["file"] for row in MANIFEST if row["file"].startswith("good/")]
# Rendering reads only the first frame, so files whose later frames are broken (a GIF whose 2nd frame is a
# bomb, a HEIF whose 2nd image is cut off) still render; probe_file, which checks every frame, refuses them.
FIRST_FRAME_FINE = {"bad/truncated_app14.jpg", "bad/decompression_bomb_extents.gif", "bad/truncated.heic"}
BAD_REJECTED = [
    r["file"] for r in MANIFEST if r["file"].startswith("bad/") and r["file"] not in FIRST_FRAME_FINE
]
FORMATS = {"WEBP": "image/webp", "JPEG": "image/jpeg", "PNG": "image/png"}


def _decode(rendered: RenderedImage) -> Image.Image:
    im = Image.open(io.BytesIO(rendered.data))
    im.load()
    return im


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute per-channel difference of two RGB images (b is resized to a's size)."""
    a, b = a.convert("RGB"), b.convert("RGB")
    if a.size != b.size:
        b = b.resize(a.size, Image.Resampling.BICUBIC)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def _band_extrema(band: Image.Image) -> tuple[float, float]:
    """(min, max) of a single-band image, typed."""
    low, high = band.getextrema()
    assert isinstance(low, int | float) and isinstance(high, int | float)
    return low, high


def _upright(name: str) -> Image.Image:
    with Image.open(ZOO / "good" / name) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


@pytest.mark.parametrize("name", GOOD)
def test_default_previews_for_every_good_file(name: str) -> None:
    out = render_previews(ZOO / name)
    assert [r.name for r in out] == ["thumb", "preview"]
    with Image.open(ZOO / name) as src:
        src_edge = max(src.size)
    for rendered, spec in zip(out, DEFAULT_PREVIEWS, strict=True):
        assert rendered.mime_type == FORMATS[spec.format]
        im = _decode(rendered)
        assert im.format == spec.format
        assert im.size == (rendered.width, rendered.height)
        assert max(im.size) <= spec.max_edge
        assert max(im.size) == min(spec.max_edge, src_edge)  # shrunk to fit, never enlarged
        assert im.mode in ("RGB", "RGBA")
        assert "exif" not in im.info and "icc_profile" not in im.info
    assert _decode(out[1]).mode == "RGB"


@pytest.mark.parametrize("name", ["hopper_mask.png", "transparency.avif", "p_trns_single.png"])
def test_transparency_is_kept_in_webp_and_flattened_in_jpeg(name: str) -> None:
    thumb, preview = (_decode(r) for r in render_previews(ZOO / "good" / name))
    assert thumb.mode == "RGBA"
    low, _high = _band_extrema(thumb.getchannel("A"))
    assert low < 255
    assert preview.mode == "RGB"


def test_alpha_composited_on_the_spec_background() -> None:
    specs = (
        PreviewSpec("png", "PNG", 64),
        PreviewSpec("flat", "PNG", 64, keep_alpha=False, background=(0, 0, 0)),
        PreviewSpec("jpeg", "JPEG", 64, quality=95, background=(255, 0, 0)),
    )
    png, flat, jpeg = (_decode(r) for r in render_previews(ZOO / "good" / "transparency.avif", specs))
    assert png.mode == "RGBA" and flat.mode == "RGB" and jpeg.mode == "RGB"
    alpha = png.getchannel("A")
    # A transparent pixel away from opaque ones (JPEG chroma subsampling bleeds colour across edges).
    clear = next(
        (x, y)
        for y in range(4, 60)
        for x in range(4, 60)
        if alpha.crop((x - 4, y - 4, x + 5, y + 5)).getextrema()[1] == 0
    )
    assert flat.getpixel(clear) == (0, 0, 0)
    red = jpeg.getpixel(clear)
    assert isinstance(red, tuple) and red[0] > 230 and red[1] < 30 and red[2] < 30


@pytest.mark.parametrize(
    "name", ["hopper_orientation_5.jpg", "hopper_orientation_7.jpg", "hopper_orientation_7.webp",
             "hopper_orientation_8.webp", "hopper_orientation_2.jpg", "rot1mir0.avif"]
)  # fmt: skip
def test_exif_orientation_is_applied(name: str) -> None:
    preview = _decode(render_previews(ZOO / "good" / name)[1])
    upright = _upright(name)
    assert preview.size == upright.size
    assert _mean_diff(preview, upright) < 6
    with Image.open(ZOO / "good" / name) as raw:
        assert _mean_diff(preview, raw.convert("RGB")) > 3 * _mean_diff(preview, upright) + 5


def test_orientation_6_makes_a_landscape_file_portrait(tmp_path: Path) -> None:
    path = tmp_path / "rot.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    source = Image.linear_gradient("L").resize((600, 300)).convert("RGB")
    source.save(path, "JPEG", exif=exif, quality=95)
    thumb, preview = (_decode(r) for r in render_previews(path))
    assert preview.size == (300, 600) and thumb.size == (160, 320)
    assert _mean_diff(preview, source.transpose(Image.Transpose.ROTATE_270)) < 3


@pytest.mark.parametrize(
    "name", ["pil_sample_cmyk.jpg", "tiff_strip_cmyk_jpeg.tif", "tiff_tiled_cmyk_jpeg.tif"]
)
def test_cmyk_is_converted_like_pillow_does(name: str) -> None:
    preview = _decode(render_previews(ZOO / "good" / name, (PreviewSpec("p", "PNG", 1280),))[0])
    with Image.open(ZOO / "good" / name) as src:
        expected = src.convert("RGB")
    assert _mean_diff(preview, expected) < 3
    assert _mean_diff(preview, ImageChops.invert(expected)) > 60  # not inverted


def test_cmyk_jpeg_and_its_rgb_twin_look_alike() -> None:
    cmyk = _decode(render_previews(ZOO / "good" / "pil_sample_cmyk.jpg")[1])
    rgb = _decode(render_previews(ZOO / "good" / "pil_sample_rgb.jpg")[1])
    assert _mean_diff(cmyk, rgb) < 25


@pytest.mark.parametrize("name", ["xmp_test.jpg", "pug.heic", "frame_size.mpo"])
def test_embedded_profile_is_converted_to_srgb(name: str) -> None:
    preview = _decode(render_previews(ZOO / "good" / name)[1])
    with Image.open(ZOO / "good" / name) as src:
        src.load()
        profile = ImageCms.ImageCmsProfile(io.BytesIO(src.info["icc_profile"]))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        reference = ImageCms.profileToProfile(src.convert("RGB"), profile, srgb)
        assert isinstance(reference, Image.Image)
        untouched = src.convert("RGB")
    expected = ImageOps.exif_transpose(reference)
    assert _mean_diff(preview, expected) < 4
    assert _mean_diff(preview, expected) < _mean_diff(preview, ImageOps.exif_transpose(untouched))


@pytest.mark.parametrize(
    "name",
    ["cmx3g8_wv_1998.260_0745_mcidas.tiff", "imagedraw_polygon_width_I.tiff", "imagedraw_rectangle_I.tiff"],
)
def test_16_bit_grey_is_scaled_not_clipped(name: str) -> None:
    preview = _decode(render_previews(ZOO / "good" / name)[1]).convert("L")
    low, high = _band_extrema(preview)
    assert high - low > 100
    assert ImageStat.Stat(preview).stddev[0] > 10


def test_12_bit_data_in_16_bit_file_uses_the_full_range(tmp_path: Path) -> None:
    path = tmp_path / "twelve.png"
    Image.linear_gradient("L").convert("I").point(lambda v: v * 16).convert("I;16").save(path)  # 0..4080
    preview = _decode(render_previews(path, (PreviewSpec("p", "PNG", 256),))[0]).convert("L")
    assert preview.getextrema() == (0, 255)


def test_animation_uses_the_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (50, 40), color) for color in ("red", "blue", "green")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    preview = _decode(render_previews(path)[1])
    r, g, b = ImageStat.Stat(preview).mean
    assert r > 200 and g < 40 and b < 40


def test_large_jpeg_is_drafted_and_sized(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    source = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    source.save(path, "JPEG", quality=90)
    thumb, preview = render_previews(path)
    assert (preview.width, preview.height) == (1280, 960)
    assert (thumb.width, thumb.height) == (320, 240)
    assert _mean_diff(_decode(preview), source) < 3


def test_specs_keep_their_order_and_never_upscale() -> None:
    specs = (
        PreviewSpec("small", "JPEG", 32),
        PreviewSpec("huge", "PNG", 5000),
        PreviewSpec("mid", "WEBP", 100),
    )
    out = render_previews(ZOO / "good" / "hopper.jpg", specs)
    assert [(r.name, r.mime_type, r.width) for r in out] == [
        ("small", "image/jpeg", 32),
        ("huge", "image/png", 128),
        ("mid", "image/webp", 100),
    ]


def test_metadata_is_stripped() -> None:
    for name in ("pug.heic", "exif_gps.jpg", "xmp_test.jpg"):
        for rendered in render_previews(ZOO / "good" / name):
            im = _decode(rendered)
            assert not im.getexif()
            assert not {"exif", "xmp", "icc_profile"} & set(im.info)
            assert b"Exif" not in rendered.data[:4096]


def test_invalid_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid preview spec"):
        render_previews(ZOO / "good" / "hopper.jpg", (PreviewSpec("x", "GIF", 10),))


# --- PDF ----------------------------------------------------------------------------------------------------


def test_pdf_first_page_is_rendered(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    pages = [Image.new("RGB", (200, 100), (200, 20, 20)), Image.new("RGB", (100, 100), "blue")]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    thumb, preview = render_previews(path)
    assert (preview.width, preview.height) == (1280, 640)
    assert (thumb.width, thumb.height) == (320, 160)
    r, g, b = ImageStat.Stat(_decode(preview)).mean
    assert r > 170 and g < 50 and b < 50
    page = render_pdf_first_page(path, 400)
    assert page.size == (400, 200) and page.mode == "RGB"


def test_broken_pdf_has_no_preview(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00nonsense" * 40)
    with pytest.raises(RejectedFile, match="no preview"):
        render_previews(path)
    with pytest.raises(RejectedFile, match="no preview"):
        render_pdf_first_page(path, 100)


# --- refusals and concurrency -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BAD_REJECTED)
def test_bad_files_are_refused(name: str) -> None:
    with pytest.raises(RejectedFile) as caught:
        render_previews(ZOO / name)
    assert caught.value.message.strip()


@pytest.mark.parametrize("name", sorted(FIRST_FRAME_FINE))
def test_bad_files_with_a_good_first_frame_render(name: str) -> None:
    thumb, preview = render_previews(ZOO / name)
    with Image.open(ZOO / name) as first:
        assert _decode(preview).size == first.size
    assert thumb.mime_type == "image/webp"


def test_pixel_limit_applies_to_rendering(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (300, 200)).save(path)
    with pytest.raises(RejectedFile, match="decompression bomb"):
        render_previews(path, max_pixels=59_999)
    assert render_previews(path, max_pixels=60_000)


def test_text_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "readme.png"
    path.write_text("not an image")
    with pytest.raises(UnsupportedMediaType):
        render_previews(path)


def test_rendering_is_thread_safe() -> None:
    names = [
        "xmp_test.jpg",
        "pug.heic",
        "frame_size.mpo",
        "pil_sample_cmyk.jpg",
        "transparency.avif",
        "cmx3g8_wv_1998.260_0745_mcidas.tiff",
        "hopper_orientation_5.jpg",
        "flower.webp",
    ] * 3
    paths = [ZOO / "good" / n for n in names]
    sequential = [render_previews(p) for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(render_previews, paths))
    assert parallel == sequential


def test_preview_jpeg_encoder_matches_pillows_settings() -> None:
    """The GIL-free preview encoder writes what Pillow would at the same quality: baseline 4:2:0 with the
    same quantisation tables, nearly the same pixels."""
    from PIL import JpegImagePlugin

    from portal.media.render import encode_jpeg

    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    ours = Image.open(io.BytesIO(encode_jpeg(image, 85)))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    pillow = Image.open(buf)
    assert ours.format == "JPEG" and ours.size == (640, 480) and ours.mode == "RGB"
    assert JpegImagePlugin.get_sampling(ours) == JpegImagePlugin.get_sampling(pillow) == 2  # 4:2:0
    assert ours.quantization == pillow.quantization
    assert not ours.info.get("progressive")
    diff = ImageChops.difference(ours.convert("RGB"), pillow.convert("RGB"))
    assert max(ImageStat.Stat(diff).mean) < 1.0
