"""Which kind of non-image media a file is, decided from its bytes (never from its name).

``detect`` recognises audio/video containers, SVG, PostScript/EPS (and PostScript-based AI), Office Open
XML and OpenDocument files, and camera RAW formats. Still images and PDF are recognised by
``portal.media.sniff``; this module only answers for what that one does not accept.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Final

from portal.media.sniff import isobmff_brands

VIDEO_OR_AUDIO: Final = "av"
SVG: Final = "svg"
EPS: Final = "eps"
OFFICE: Final = "office"
RAW: Final = "raw"

# ISO-BMFF brands of images (HEIF/AVIF, handled by Pillow) and of Canon CR3 raw files.
_IMAGE_BRANDS: Final = {
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}
_CR3_BRAND: Final = b"crx "
_QT_ATOMS: Final = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_RAW_MAGIC: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"CR\x02\x00", 8, "CR2"),
    (b"IIRO", 0, "ORF"),
    (b"IIRS", 0, "ORF"),
    (b"MMOR", 0, "ORF"),
    (b"IIU\x00", 0, "RW2"),
    (b"FUJIFILMCCD-RAW", 0, "RAF"),
)
#: TIFF ``Make`` values of cameras whose raw files are TIFF containers without a magic of their own.
_RAW_MAKES: Final = ("NIKON", "SONY", "PENTAX", "CANON", "OLYMPUS", "PANASONIC", "LEICA", "HASSELBLAD")
_DNG_VERSION_TAG: Final = 50706
_MAKE_TAG: Final = 271
_OOXML: Final[dict[str, str]] = {"word/": "DOCX", "ppt/": "PPTX", "xl/": "XLSX"}
_ODF: Final[dict[str, str]] = {
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.oasis.opendocument.presentation": "ODP",
}


def is_av(head: bytes) -> bool:
    """True when the bytes start like an audio or video container that FFmpeg reads."""
    brands = isobmff_brands(head)
    if brands:
        return not (brands & _IMAGE_BRANDS) and _CR3_BRAND not in brands
    checks = (
        head[:4] == b"\x1aE\xdf\xa3",  # Matroska / WebM
        head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"WAVE"),
        head[:3] == b"ID3",
        head[:4] in (b"fLaC", b"OggS"),
        head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"),
        len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and head[1] not in (0xD8, 0xFF),
        len(head) >= 8 and head[4:8] in _QT_ATOMS,
    )
    return any(checks)


def is_svg(head: bytes) -> bool:
    """True for an SVG document (XML whose root, within the first bytes, is ``<svg``)."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if not (text.startswith(b"<?xml") or text.startswith(b"<svg") or text.startswith(b"<!doctype svg")):
        return text.startswith(b"<!--") and b"<svg" in text
    return b"<svg" in text


def is_eps(head: bytes) -> bool:
    """True for PostScript/EPS (also DOS-binary EPS and PostScript-based Illustrator files)."""
    return head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6")


def raw_format(head: bytes, path: Path) -> str | None:
    """The camera RAW format ("DNG", "CR2", "NEF", ...) of a file, else None."""
    for magic, offset, name in _RAW_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return name
    if _CR3_BRAND in isobmff_brands(head):
        return "CR3"
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    tags = _tiff_ifd0(path)
    if _DNG_VERSION_TAG in tags:
        return "DNG"
    make = str(tags.get(_MAKE_TAG, "")).strip().upper()
    if make.startswith(_RAW_MAKES) and _has_raw_strips(path):
        return {"NIKON": "NEF", "SONY": "ARW", "PENTAX": "PEF"}.get(make.split()[0], "RAW")
    return None


def _tiff_ifd0(path: Path) -> dict[int, object]:
    """Tags of the first TIFF directory: ids, with the value of ASCII tags (bounded header parsing only)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(1 << 20)
        order = "<" if data[:2] == b"II" else ">"
        offset = struct.unpack(order + "I", data[4:8])[0]
        count = struct.unpack(order + "H", data[offset : offset + 2])[0]
        tags: dict[int, object] = {}
        for i in range(min(count, 1000)):
            entry = data[offset + 2 + 12 * i : offset + 14 + 12 * i]
            tag, kind, n = struct.unpack(order + "HHI", entry[:8])
            value: object = None
            if kind == 2:  # ASCII
                start = struct.unpack(order + "I", entry[8:12])[0] if n > 4 else offset + 10 + 12 * i
                value = data[start : start + min(n, 200)].split(b"\0", 1)[0].decode("latin-1")
            tags[tag] = value
        return tags
    except (struct.error, IndexError, ValueError):
        return {}


def _has_raw_strips(path: Path) -> bool:
    """A camera-made TIFF is RAW only when LibRaw recognises it (a camera JPEG->TIFF export is not)."""
    import rawpy  # local: LibRaw is only loaded for files that look like camera TIFFs

    try:
        with rawpy.imread(str(path)) as raw:
            return bool(raw.sizes.raw_width)
    except Exception:  # noqa: BLE001  (LibRaw refuses it: an ordinary TIFF)
        return False


def office_format(path: Path, head: bytes) -> str | None:
    """ "DOCX", "PPTX", "XLSX", "ODT", "ODS" or "ODP" for a ZIP-based office file, else None.

    Reads only the ZIP's central directory and, for OpenDocument, the tiny ``mimetype`` entry.
    """
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "mimetype" in names:
                info = zf.getinfo("mimetype")
                if info.file_size <= 200:
                    found = _ODF.get(zf.read("mimetype").decode("ascii", "replace").strip())
                    if found:
                        return found
            if "[Content_Types].xml" in names:
                for prefix, name in _OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return name
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def detect(head: bytes, path: Path) -> tuple[str, str] | None:
    """(kind, format) for non-image media: kind is one of the constants above; None when not recognised."""
    raw = raw_format(head, path)
    if raw:
        return RAW, raw
    if is_eps(head):
        return EPS, "AI" if b"%%Creator: Adobe Illustrator" in head else "EPS"
    if is_svg(head):
        return SVG, "SVG"
    office = office_format(path, head)
    if office:
        return OFFICE, office
    if is_av(head):
        return VIDEO_OR_AUDIO, ""
    return None
