"""probe_file and read_embedded on the real format zoo (good and bad files) and on generated files."""

from __future__ import annotations

import csv
import io
import json
import shutil
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from models.enums import MediaKind
from portal.errors import RejectedFile, UnsupportedMediaType
from portal.media import MediaInfo, probe_file, read_embedded

ZOO = Path(__file__).resolve().parents[1] / "fixtures" / "format-zoo"
LIMIT = 200_000_000


def _manifest() -> list[dict[str, str]]:
    with (ZOO / "manifest.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


MANIFEST = _manifest()
GOOD = [row for row in MANIFEST if row["file"].startswith("good/")]
BAD = [row for row in MANIFEST if row["file"].startswith("bad/")]
# bad/ files that really decode completely within limits (APP14 "truncation" that libjpeg tolerates).
DECODES_FULLY = {"bad/truncated_app14.jpg"}


def _ids(rows: list[dict[str, str]]) -> list[str]:
    return [row["file"] for row in rows]


def _open(name: str) -> Image.Image:
    return Image.open(ZOO / name)


# --- good files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", GOOD, ids=_ids(GOOD))
def test_good_file_matches_manifest(row: dict[str, str]) -> None:
    info = probe_file(ZOO / row["file"], LIMIT)
    assert info.media_kind is MediaKind.IMAGE
    assert info.format == row["format"]
    assert info.color_mode == row["mode"]
    assert info.frames == int(row["frames"])
    if row["size_wh"]:
        assert [info.width, info.height] == json.loads(row["size_wh"])
    else:
        with _open(row["file"]) as im:
            im.load()
            assert (info.width, info.height) == im.size
    assert info.pages is None
    assert info.mime_type.startswith("image/") and info.extension
    assert info.orientation in ("landscape", "portrait", "square")
    json.dumps(info.embedded)
    json.dumps(info.private)


def test_every_good_file_is_in_the_manifest() -> None:
    listed = {row["file"] for row in GOOD}
    assert {f"good/{p.name}" for p in (ZOO / "good").iterdir()} <= listed


@pytest.mark.parametrize(
    ("name", "exif", "orientation", "size"),
    [
        ("hopper_orientation_2.jpg", 2, "square", (128, 128)),
        ("hopper_orientation_5.jpg", 5, "square", (128, 128)),
        ("hopper_orientation_7.jpg", 7, "square", (128, 128)),
        ("hopper_orientation_7.webp", 7, "square", (128, 128)),
        ("hopper_orientation_8.webp", 8, "square", (128, 128)),
        # AVIF irot/imir arrive as EXIF orientation 5: stored portrait, shown landscape.
        ("rot1mir0.avif", 5, "landscape", (427, 640)),
        ("iptc.jpg", 1, "landscape", (640, 480)),
        ("frame_size.mpo", 1, "portrait", (56, 70)),
    ],
)
def test_orientation(name: str, exif: int, orientation: str, size: tuple[int, int]) -> None:
    info = probe_file(ZOO / "good" / name, LIMIT)
    assert info.exif_orientation == exif
    assert info.orientation == orientation
    assert (info.width, info.height) == size


def test_orientation_6_swaps_width_and_height(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (300, 200), "blue").save(path, "JPEG", exif=exif)
    info = probe_file(path, LIMIT)
    assert (info.width, info.height) == (300, 200)  # as stored
    assert info.exif_orientation == 6
    assert info.orientation == "portrait"


@pytest.mark.parametrize(
    ("name", "mime", "extension"),
    [
        ("pug.heic", "image/heic", "heic"),
        ("frame_size.mpo", "image/jpeg", "jpg"),
        ("test-card-lossy-tiled.jp2", "image/jp2", "jp2"),
        ("five_channels.psd", "image/vnd.adobe.photoshop", "psd"),
        ("tiff_strip_cmyk_jpeg.tif", "image/tiff", "tif"),
        ("transparency.avif", "image/avif", "avif"),
        ("flower.webp", "image/webp", "webp"),
        ("hopper.bmp", "image/bmp", "bmp"),
        ("no_palette_after_rgb.gif", "image/gif", "gif"),
        ("hopper_mask.png", "image/png", "png"),
        ("hopper.jpg", "image/jpeg", "jpg"),
    ],
)
def test_mime_type_and_extension(name: str, mime: str, extension: str) -> None:
    info = probe_file(ZOO / "good" / name, LIMIT)
    assert (info.mime_type, info.extension) == (mime, extension)


@pytest.mark.parametrize(
    ("name", "dpi"),
    [
        ("exif-200dpcm.jpg", 508.0),  # 200 dots per cm in EXIF
        ("hopper.bmp", 96.0),  # 3780 px/m
        ("icc_profile_none.png", 72.0),  # 2835 px/m = 72.009 dpi
        ("xmp_test.jpg", 300.0),
        ("exif_gps.jpg", None),  # 0xFFFFFFFF: garbage, not a resolution
        ("transparency.avif", None),
    ],
)
def test_dpi(name: str, dpi: float | None) -> None:
    info = probe_file(ZOO / "good" / name, LIMIT)
    assert (info.dpi_x, info.dpi_y) == (dpi, dpi)


def test_jfif_dots_per_cm_are_converted(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buf, "JPEG", dpi=(72, 72))
    data = bytearray(buf.getvalue())
    assert data[6:11] == b"JFIF\x00"
    data[13] = 2  # units: dots per cm
    data[14:18] = struct.pack(">HH", 118, 118)
    path = tmp_path / "dpcm.jpg"
    path.write_bytes(bytes(data))
    info = probe_file(path, LIMIT)
    assert info.dpi_x == info.dpi_y == pytest.approx(299.72, abs=0.01)


@pytest.mark.parametrize(
    ("name", "bits", "alpha"),
    [
        ("tiff_tiled_planar_16bit_RGB.tiff", 16, False),
        ("imagedraw_rectangle_I.tiff", 16, False),
        ("cmx3g8_wv_1998.260_0745_mcidas.tiff", 16, False),
        ("hopper.jpg", 8, False),
        ("transparency.avif", 8, True),
        ("p_trns_single.png", 8, True),
        ("hopper_mask.png", 8, True),
        ("pal8rletrns.png", 8, False),
    ],
)
def test_bit_depth_and_alpha(name: str, bits: int, alpha: bool) -> None:
    info = probe_file(ZOO / "good" / name, LIMIT)
    assert info.bit_depth == bits
    assert info.has_alpha is alpha


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("rgb.jpg", "sRGB IEC61966-2.1"),
        ("xmp_test.jpg", "Adobe RGB (1998)"),
        ("pug.heic", "Display P3"),
        ("hopper.jpg", None),
    ],
)
def test_icc_profile(name: str, description: str | None) -> None:
    info = probe_file(ZOO / "good" / name, LIMIT)
    assert info.has_icc is (description is not None)
    assert info.icc_description == description


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    fake_png = tmp_path / "photo.png"
    shutil.copy(ZOO / "good" / "hopper.jpg", fake_png)
    assert probe_file(fake_png, LIMIT).format == "JPEG"
    text = tmp_path / "notes.jpg"
    text.write_text("just some text, not an image\n")
    with pytest.raises(UnsupportedMediaType, match="plain text"):
        probe_file(text, LIMIT)


def test_probe_is_thread_safe() -> None:
    paths = [ZOO / row["file"] for row in GOOD] * 3
    sequential = [probe_file(p, LIMIT) for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda p: probe_file(p, LIMIT), paths))
    assert parallel == sequential


# --- bad files and limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("row", BAD, ids=_ids(BAD))
def test_bad_file_is_rejected_or_fully_valid(row: dict[str, str]) -> None:
    path = ZOO / row["file"]
    if row["file"] in DECODES_FULLY:
        info = probe_file(path, LIMIT)
        assert info.format == row["format"] and info.color_mode == row["mode"]
        assert [info.width, info.height] == json.loads(row["size_wh"])
        return
    with pytest.raises(RejectedFile) as caught:
        probe_file(path, LIMIT)
    assert caught.value.message.strip()
    if row["kind"] == "bomb":
        assert "decompression bomb" in caught.value.message
    refused_type = row["kind"] in ("fuzz-crash", "unidentified") or row["format"] in ("TGA", "SGI", "FLI")
    # expected_to_read.jp2 has JPEG 2000 magic: a corrupt file of an accepted type, not an unsupported one.
    if refused_type and row["file"] != "bad/expected_to_read.jp2":
        assert isinstance(caught.value, UnsupportedMediaType)
        assert "accepted types are" in caught.value.message


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("truncated_jpeg.jpg", "truncated or corrupt JPEG"),
        ("truncated.heic", "truncated or corrupt HEIF"),
        ("corrupted.heic", "truncated or corrupt HEIF"),
        ("expected_to_read.jp2", "truncated or corrupt JPEG 2000"),
        ("cross_scan_line_truncated.tga", "TGA"),
        ("crash-5762152299364352.fli", "FLI"),
        ("test-ole-file.doc", "Microsoft Office"),
        ("decompression_bomb_extents.gif", "decompression bomb"),
    ],
)
def test_bad_file_messages(name: str, fragment: str) -> None:
    with pytest.raises(RejectedFile, match=fragment):
        probe_file(ZOO / "bad" / name, LIMIT)


@pytest.mark.parametrize("name", ["decompression_bomb.gif", "decompression_bomb_extents.gif"])
def test_bombs_are_rejected_even_with_a_generous_limit(name: str) -> None:
    with pytest.raises(RejectedFile, match="decompression bomb"):
        probe_file(ZOO / "bad" / name, 10**12)


def test_pixel_limit_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (100, 100), "green").save(path)
    assert probe_file(path, 10_000).width == 100
    with pytest.raises(
        RejectedFile, match="decompression bomb: 100\u00d7100 = 10000 pixels exceeds the limit of 9999"
    ):
        probe_file(path, 9_999)


def test_truncated_generated_jpeg_is_rejected(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buf, "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(RejectedFile, match="truncated or corrupt JPEG"):
        probe_file(path, LIMIT)


def test_every_frame_is_verified(tmp_path: Path) -> None:
    frames = [Image.effect_noise((120, 90), 40 + 20 * i).convert("P") for i in range(3)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    assert probe_file(path, LIMIT).frames == 3
    cut = tmp_path / "anim-cut.gif"
    cut.write_bytes(path.read_bytes()[:-2000])
    with pytest.raises(RejectedFile, match=r"GIF.*\(frame 3 of 3\)"):
        probe_file(cut, LIMIT)


def test_each_frame_counts_against_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "pages.tif"
    small, large = Image.new("L", (10, 10)), Image.new("L", (100, 100))
    small.save(path, save_all=True, append_images=[large])
    with pytest.raises(RejectedFile, match="decompression bomb: 100\u00d7100"):
        probe_file(path, 5_000)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty file"),
        (b"\x07\x13" + bytes(range(256)) * 8, "accepted types are"),
        (b"hello world\nthis is text\n", "plain text"),
        (b"PK\x03\x04" + b"\x00" * 100, "ZIP archive"),
    ],
    ids=["empty", "random", "text", "zip"],
)
def test_non_media_is_unsupported(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)
    with pytest.raises(UnsupportedMediaType, match=fragment):
        probe_file(path, LIMIT)


# --- PDF --------------------------------------------------------------------------------------------------


def test_generated_pdf_is_a_document(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    pages = [Image.new("RGB", (200, 100), "red"), Image.new("RGB", (100, 100), "blue")]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], title="Spec sheet", author="ACME")
    info = probe_file(path, LIMIT)
    assert isinstance(info, MediaInfo)
    assert info.media_kind is MediaKind.DOCUMENT
    assert (info.format, info.mime_type, info.extension) == ("PDF", "application/pdf", "pdf")
    assert info.pages == 2 and info.frames == 1
    assert (info.width, info.height) == (200, 100)  # points = pixels at 72 dpi
    assert info.orientation == "landscape"
    assert info.embedded["title"] == "Spec sheet"
    assert info.embedded["creator"] == "ACME"


def _encrypted_pdf() -> bytes:
    """A one-page PDF whose standard security handler does not accept the empty user password."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    file_id = b"<" + b"ab" * 16 + b">"
    trailer = b"<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [%s %s] >>" % (len(objs) + 1, file_id, file_id)
    out += b"trailer\n" + trailer + b"\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_encrypted_pdf_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    path.write_bytes(_encrypted_pdf())
    with pytest.raises(RejectedFile, match="encrypted PDF: a password is required"):
        probe_file(path, LIMIT)


def test_broken_pdf_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(RejectedFile, match="PDF"):
        probe_file(path, LIMIT)


# --- embedded metadata ------------------------------------------------------------------------------------


def test_iptc_jpeg_metadata() -> None:
    info = probe_file(ZOO / "good" / "iptc.jpg", LIMIT)
    assert info.embedded == {
        "city": "Budapest",
        "country": "Hungary",
        "keywords": ["HvK", "2006", "summer", "July", "holiday", "Hungary", "Budapest"],
        "camera_make": "Nokia",
        "camera_model": "N70-1",
        "captured_at": "2006-07-08T21:14:45",
    }
    assert info.private == {}


def test_heic_exif_xmp_and_iptc() -> None:
    info = probe_file(ZOO / "good" / "L_exif_xmp_iptc.heic", LIMIT)
    emb = info.embedded
    assert emb["keywords"] == ["HvK", "2006", "summer", "July", "holiday", "Hungary", "Budapest"]  # IPTC box
    assert (emb["city"], emb["country"]) == ("Budapest", "Hungary")
    assert (emb["camera_make"], emb["camera_model"]) == ("SONY", "ILCE-7SM3")  # EXIF
    assert emb["captured_at"] == "2018-10-27T13:27:23"  # XMP photoshop:DateCreated beats EXIF
    assert emb["lens"] == "EF-S18-55mm f/3.5-5.6 III"  # XMP aux:Lens beats EXIF LensModel
    assert emb["software"] == "Adobe Photoshop Lightroom Classic 7.4 (Macintosh)"
    assert info.private["camera_serial"] == "022070029137"


def test_xmp_jpeg_metadata() -> None:
    info = probe_file(ZOO / "good" / "xmp_test.jpg", LIMIT)
    assert info.embedded["captured_at"] == "2018-10-27T13:27:23"
    assert info.embedded["camera_model"] == "Canon EOS Rebel T6"
    assert info.embedded["lens"] == "EF-S18-55mm f/3.5-5.6 III"
    assert "gps" not in info.private


def test_exif_with_offset_time() -> None:
    info = probe_file(ZOO / "good" / "frame_size.mpo", LIMIT)
    assert info.embedded["captured_at"] == "2025-09-07T14:16:43-04:00"
    assert info.embedded["lens"].startswith("Apple iPhone 14 Pro Max")


def test_gps_is_private() -> None:
    info = probe_file(ZOO / "good" / "pug.heic", LIMIT)
    assert info.private["gps"] == {"lat": 44.8504778, "lon": 34.9766472, "alt": 29.14}
    assert "gps" not in json.dumps(info.embedded).lower()


def test_garbage_gps_block_is_flagged_not_trusted() -> None:
    # exif_gps.jpg carries a GPS IFD whose latitude is 0xFFFFFFFF and which has no longitude.
    info = probe_file(ZOO / "good" / "exif_gps.jpg", LIMIT)
    assert info.private == {"gps_unparsed": True}
    assert "gps" not in json.dumps(info.embedded).lower()
    assert info.embedded["camera_make"] == "Make"
    assert info.embedded["captured_at"] == "2099-09-29T10:10:10"


def _iim(datasets: list[tuple[int, int, bytes]]) -> bytes:
    return b"".join(b"\x1c" + bytes([r, d]) + struct.pack(">H", len(v)) + v for r, d, v in datasets)


def _app13(iim: bytes) -> bytes:
    """A Photoshop APP13 segment carrying one IPTC-IIM resource (0x0404)."""
    if len(iim) % 2:
        iim += b"\x00"
    payload = b"Photoshop 3.0\x00" + b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"
    payload += struct.pack(">I", len(iim)) + iim
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
  xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
  photoshop:Headline="  Spring launch  " photoshop:City="Zürich"
  photoshop:DateCreated="2021-03-04T05:06:07.89+01:00">
 <dc:title><rdf:Alt>
  <rdf:li xml:lang="de">Stuhl</rdf:li><rdf:li xml:lang="x-default">Chair</rdf:li>
 </rdf:Alt></dc:title>
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Oak chair, front</rdf:li></rdf:Alt></dc:description>
 <dc:subject><rdf:Bag><rdf:li>chair</rdf:li><rdf:li>Oak</rdf:li><rdf:li>oak</rdf:li></rdf:Bag></dc:subject>
 <dc:creator><rdf:Seq><rdf:li>Ann Example</rdf:li><rdf:li>Bo Sample</rdf:li></rdf:Seq></dc:creator>
 <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c) ACME</rdf:li></rdf:Alt></dc:rights>
 <photoshop:Credit>ACME Studio</photoshop:Credit>
 <Iptc4xmpExt:ProductInImage><rdf:Bag>
  <rdf:li rdf:parseType="Resource"><Iptc4xmpExt:ProductGTIN>4006381333931</Iptc4xmpExt:ProductGTIN></rdf:li>
  <rdf:li><rdf:Description Iptc4xmpExt:ProductId="404.038.96"/></rdf:li>
 </rdf:Bag></Iptc4xmpExt:ProductInImage>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def _jpeg_with_metadata(path: Path, *, xmp: str | None, iptc: list[tuple[int, int, bytes]] | None) -> None:
    exif = Image.Exif()
    exif[0x010E] = "EXIF description"
    exif[0x013B] = "J\u00f6rg Fotograf".encode()  # UTF-8 in an ASCII tag, as many tools write it
    exif[0x8298] = "EXIF rights"
    exif[0x9C9B] = "XP title".encode("utf-16-le") + b"\x00\x00"
    exif[0x9C9E] = "red;Blue;blue".encode("utf-16-le") + b"\x00\x00"
    exif[ExifTags.IFD.GPSInfo] = {
        1: "S",
        2: (33.0, 51.0, 54.0),
        3: "W",
        4: (151.0, 12.0, 36.0),
        5: b"\x01",
        6: 12.5,
    }
    exif.get_ifd(ExifTags.IFD.Exif)[0x9003] = "2020:01:02 03:04:05"
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buf, "JPEG", exif=exif, xmp=xmp.encode() if xmp else b"")
    data = buf.getvalue()
    path.write_bytes(data[:2] + (_app13(_iim(iptc)) if iptc else b"") + data[2:])


def test_precedence_xmp_over_iptc_over_exif(tmp_path: Path) -> None:
    path = tmp_path / "meta.jpg"
    iptc = [
        (1, 90, b"\x1b%G"),
        (2, 5, "IPTC Titel \u00e4".encode()),
        (2, 120, b"IPTC caption"),
        (2, 105, b"IPTC headline"),
        (2, 115, b"IPTC source"),
        (2, 101, b"Switzerland"),
    ]
    _jpeg_with_metadata(path, xmp=XMP, iptc=iptc)
    info = probe_file(path, LIMIT)
    assert info.embedded == {
        "title": "Chair",
        "description": "Oak chair, front",
        "keywords": ["chair", "Oak"],
        "creator": "Ann Example, Bo Sample",
        "copyright": "(c) ACME",
        "captured_at": "2021-03-04T05:06:07+01:00",
        "headline": "Spring launch",
        "city": "Z\u00fcrich",
        "country": "Switzerland",  # only in IPTC
        "credit": "ACME Studio",
        "source": "IPTC source",
        "article_numbers": ["4006381333931", "404.038.96"],
    }
    assert info.private["gps"] == {"lat": -33.865, "lon": -151.21, "alt": -12.5}


def test_iptc_over_exif_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "iptc.jpg"
    iptc = [
        (2, 5, "Caf\u00e9 Z\u00fcrich".encode("latin-1")),
        (2, 25, b"one"),
        (2, 25, b"two"),
        (2, 80, b"Ann"),
    ]
    _jpeg_with_metadata(path, xmp=None, iptc=iptc)
    emb = probe_file(path, LIMIT).embedded
    assert emb["title"] == "Caf\u00e9 Z\u00fcrich"
    assert emb["keywords"] == ["one", "two"]
    assert emb["creator"] == "Ann"
    assert emb["description"] == "EXIF description"


def test_exif_only(tmp_path: Path) -> None:
    path = tmp_path / "exif.jpg"
    _jpeg_with_metadata(path, xmp=None, iptc=None)
    emb = probe_file(path, LIMIT).embedded
    assert emb == {
        "title": "XP title",
        "description": "EXIF description",
        "creator": "J\u00f6rg Fotograf",
        "copyright": "EXIF rights",
        "keywords": ["red", "Blue"],
        "captured_at": "2020-01-02T03:04:05",
    }


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_metadata_never_rejects_a_good_image(tmp_path: Path) -> None:
    path = tmp_path / "broken-meta.jpg"
    buf = io.BytesIO()
    bomb_xmp = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    Image.new("RGB", (20, 20), "white").save(buf, "JPEG", exif=b"Exif\x00\x00MM\x00*garbage", xmp=bomb_xmp)
    data = buf.getvalue()
    # A good dataset, then one that claims 65535 bytes, then a bad record marker.
    iim = _iim([(2, 5, b"ok")]) + b"\x1c\x02\x78\xff\xffshort" + b"\x07\x00"
    path.write_bytes(data[:2] + _app13(iim) + data[2:])
    info = probe_file(path, LIMIT)
    assert info.width == 20
    assert info.embedded == {"title": "ok"}


def test_read_embedded_on_png_text() -> None:
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Title", "Logo")
    meta.add_itxt("Author", "D\u00e9sign\u00e9")
    buf = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(buf, "PNG", pnginfo=meta)
    with Image.open(buf) as im:
        im.load()
        embedded, private = read_embedded(im)
    assert embedded == {"title": "Logo", "creator": "D\u00e9sign\u00e9"}
    assert private == {}
