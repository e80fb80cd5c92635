"""Content-based type detection and safe opening of image files.

Everything here decides from the bytes, never from the file name. The accepted formats are a deliberate
allow-list: Pillow can open many more (TGA, SGI, FLI, ICO, EPS, ...), but those are fuzzing targets with
little value in a DAM, so they are refused before any of their decoders run.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import Final

import pillow_heif
from PIL import Image, UnidentifiedImageError

from portal.errors import RejectedFile, UnsupportedMediaType

log = logging.getLogger(__name__)

# Registered once at import: Pillow's plugin registry is global and mutating it per call would race.
pillow_heif.register_heif_opener()
# Import every Pillow plugin now, so that no worker thread triggers the lazy (global, unlocked) init later.
Image.init()

#: Pillow plugin ids tried by ``Image.open``; "JPEG" also yields MPO files.
ACCEPTED_PILLOW_FORMATS: Final[tuple[str, ...]] = (
    "JPEG",
    "PNG",
    "GIF",
    "WEBP",
    "TIFF",
    "BMP",
    "PSD",
    "AVIF",
    "HEIF",
    "JPEG2000",
)
ACCEPTED_TYPES_TEXT: Final = "JPEG, PNG, GIF, WebP, TIFF, BMP, PSD, AVIF, HEIC/HEIF, JPEG 2000, MPO and PDF"

#: Human names of the detected types, for messages.
FORMAT_LABELS: Final[dict[str, str]] = {
    "JPEG": "JPEG",
    "MPO": "MPO",
    "PNG": "PNG",
    "GIF": "GIF",
    "WEBP": "WebP",
    "TIFF": "TIFF",
    "BMP": "BMP",
    "PSD": "PSD",
    "AVIF": "AVIF",
    "HEIF": "HEIF",
    "JPEG2000": "JPEG 2000",
    "PDF": "PDF",
}

# (mime type, canonical extension) per detected format. MPO is what Pillow calls any JPEG carrying an MPF
# segment (most phone cameras write one for depth maps); it is served as the JPEG it also is.
_TYPES: Final[dict[str, tuple[str, str]]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
    "TIFF": ("image/tiff", "tif"),
    "BMP": ("image/bmp", "bmp"),
    "PSD": ("image/vnd.adobe.photoshop", "psd"),
    "AVIF": ("image/avif", "avif"),
    "HEIF": ("image/heif", "heif"),
    "JPEG2000": ("image/jp2", "jp2"),
    "PDF": ("application/pdf", "pdf"),
}
_HEIC_BRANDS: Final = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS: Final = _HEIC_BRANDS | {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS: Final = {b"avif", b"avis"}

#: How many leading bytes the sniffers look at (PDF allows junk before its header within the first 1 KiB).
HEAD_BYTES: Final = 4096


def read_head(path: Path) -> bytes:
    """Return the first bytes of ``path`` used for sniffing."""
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def is_pdf(head: bytes) -> bool:
    """True when the bytes carry a PDF header (readers accept it anywhere in the first 1024 bytes)."""
    return b"%PDF-" in head[:1024]


def isobmff_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box (HEIF, AVIF, MP4, ...), else empty."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    size = struct.unpack(">I", head[:4])[0]
    end = min(max(size, 16), len(head))
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def sniff_accepted(head: bytes) -> str | None:
    """The accepted format (Pillow name or "PDF") the magic bytes announce, else None.

    Used to word errors: a file that *claims* to be a PNG but does not open is corrupt, not unsupported.
    """
    brands = isobmff_brands(head)
    checks: tuple[tuple[bool, str], ...] = (
        (head.startswith(b"\xff\xd8\xff"), "JPEG"),
        (head.startswith(b"\x89PNG\r\n\x1a\n"), "PNG"),
        (head[:6] in (b"GIF87a", b"GIF89a"), "GIF"),
        (head[:4] == b"RIFF" and head[8:12] == b"WEBP", "WEBP"),
        (head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"), "TIFF"),
        (head.startswith(b"BM") and len(head) >= 26, "BMP"),
        (head.startswith(b"8BPS"), "PSD"),
        (bool(brands & _AVIF_BRANDS), "AVIF"),
        (bool(brands & _HEIF_BRANDS), "HEIF"),
        (head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xffO\xffQ"), "JPEG2000"),
        (is_pdf(head), "PDF"),
    )
    return next((name for matched, name in checks if matched), None)


_OTHER_MAGIC: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "a Microsoft Office (OLE2) document such as .doc/.xls/.ppt"),
    (b"PK\x03\x04", 0, "a ZIP archive (or an Office Open XML / OpenDocument file)"),
    (b"GIMP Gradient", 0, "a GIMP gradient file"),
    (b"%!PS", 0, "a PostScript/EPS file"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"Rar!", 0, "a RAR archive"),
    (b"7z\xbc\xaf", 0, "a 7-Zip archive"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"OggS", 0, "an Ogg media file"),
    (b"\x1aE\xdf\xa3", 0, "a Matroska/WebM video"),
    (b"WAVE", 8, "a WAV audio file"),
    (b"AVI ", 8, "an AVI video"),
    (b"CR\x02\x00", 8, "a Canon CR2 camera raw file"),
)
_VIDEO_BRANDS: Final = {b"isom", b"iso2", b"mp41", b"mp42", b"qt  ", b"M4V ", b"3gp4", b"3gp5", b"avc1"}


def describe_unaccepted(head: bytes, path: Path) -> str | None:
    """A short description of what a refused file looks like, for the error message; None if unknown."""
    for magic, offset, text in _OTHER_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return text
    if isobmff_brands(head) & _VIDEO_BRANDS:
        return "an MP4/QuickTime video"
    stripped = head.lstrip()
    if stripped[:5].lower() == b"<?xml" or stripped[:4].lower() == b"<svg":
        return "an SVG/XML document" if b"<svg" in head.lower() else "an XML document"
    named = _pillow_identify(path)
    if named:
        return named
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "a plain text file"
    return None


def _pillow_identify(path: Path) -> str | None:
    """Ask Pillow, with all its plugins, what the file is: only to name a refused format in the message.

    Only header parsing runs here (no pixels are decoded), and anything it raises just means "unknown".
    """
    try:
        with Image.open(path) as im:
            return f"a {im.format} image ({im.format_description}), which is not accepted"
    except Exception as exc:  # noqa: BLE001  (naming a refused file: any failure means unknown)
        log.debug("unrestricted identification of %s failed: %r", path, exc)
        return None


def type_of(fmt: str, head: bytes, codec: str | None = None) -> tuple[str, str]:
    """(mime type, canonical extension) for a detected format; HEIF and JPEG 2000 depend on the container."""
    if fmt == "HEIF" and (isobmff_brands(head) & _HEIC_BRANDS):
        return "image/heic", "heic"
    if fmt == "JPEG2000" and codec == "j2k":
        return "image/j2c", "j2k"
    return _TYPES[fmt]


def unsupported(head: bytes, path: Path) -> UnsupportedMediaType:
    """The error for content that is not an accepted type, naming what it looks like when known."""
    if not head:
        return UnsupportedMediaType(f"empty file; accepted types are {ACCEPTED_TYPES_TEXT}")
    what = describe_unaccepted(head, path)
    lead = f"unsupported file type: this looks like {what}" if what else "unsupported or unknown file type"
    return UnsupportedMediaType(f"{lead}; accepted types are {ACCEPTED_TYPES_TEXT}")


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse an image (or frame) whose pixel count exceeds ``max_pixels``, before anything is decoded."""
    if width <= 0 or height <= 0:
        raise RejectedFile(f"corrupt image: invalid dimensions {width}\u00d7{height}")
    pixels = width * height
    if pixels > max_pixels:
        raise RejectedFile(
            f"decompression bomb: {width}\u00d7{height} = {pixels} pixels exceeds the limit of {max_pixels}"
        )


def decode_error(exc: BaseException, label: str) -> RejectedFile:
    """Turn whatever a decoder raised into a RejectedFile with a readable message."""
    if isinstance(exc, RejectedFile):
        return exc
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return RejectedFile(f"decompression bomb: {exc}")
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, ValueError) and "Decompressed data too large" in text:
        # PngImagePlugin guards its zlib text/ICC chunks with a size cap: this is a zip bomb in a chunk.
        return RejectedFile(f"decompression bomb: a compressed {label} chunk inflates beyond the size limit")
    if isinstance(exc, MemoryError):
        return RejectedFile(f"{label} file needs too much memory to decode")
    return RejectedFile(f"truncated or corrupt {label}: {text}")


def open_image(path: Path, head: bytes) -> Image.Image:
    """Open ``path`` with the accepted Pillow plugins only (header parsing, no pixels decoded).

    Raises UnsupportedMediaType for anything that is not an accepted image type, RejectedFile when the file
    claims an accepted type but cannot even be identified, or when Pillow's own bomb guard trips.
    """
    claimed = sniff_accepted(head)
    label = FORMAT_LABELS.get(claimed or "", "image")
    try:
        return Image.open(path, formats=ACCEPTED_PILLOW_FORMATS)
    except UnidentifiedImageError as exc:
        if claimed is None or claimed == "PDF":
            raise unsupported(head, path) from exc
        raise RejectedFile(f"truncated or corrupt {label}: {_identify_reason(claimed, path)}") from exc
    except Exception as exc:  # header parsers of hostile files raise anything: map it
        raise decode_error(exc, label) from exc


def _identify_reason(claimed: str, path: Path) -> str:
    """Why a file with accepted magic was not identified; only HEIF's library can tell us more."""
    if claimed == "HEIF":
        try:
            pillow_heif.open_heif(path)
        except Exception as exc:  # noqa: BLE001  (diagnostics only)
            return str(exc).strip() or type(exc).__name__
    return "the header could not be parsed"
