"""Identify, measure and fully verify an uploaded file (images and PDF), without a database or Flask.

``probe_file`` decides the type from the content, refuses decompression bombs before decoding a pixel, and
then decodes every frame (bounded) so that truncated or corrupt files are rejected at upload time rather
than failing later in a preview job. JPEGs are decoded with DCT scaling (1/8): libjpeg still reads the whole
entropy-coded stream, so truncation is detected, at a fraction of the cost. PNG chunks are CRC-checked.

Thread-safe: no Pillow global is changed per call; PDF access is serialised in ``portal.media.pdf``.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageCms, JpegImagePlugin

from models.enums import MediaKind
from portal.errors import RejectedFile, UnsupportedMediaType
from portal.media import kinds, sniff
from portal.media.documents import pdf_text
from portal.media.metadata import read_embedded
from portal.media.pdf import pdf_info
from portal.media.pngcheck import PNG_SIGNATURE, verify_png_chunks

log = logging.getLogger(__name__)

#: Multi-frame files with more frames than this are refused (each frame would have to be verified).
MAX_FRAMES: Final = 1000
#: Frames of one file may decode at most this many times ``max_pixels`` pixels in total.
FRAME_PIXEL_BUDGET: Final = 4
# Resolutions outside this range are placeholders or garbage (e.g. 0xFFFFFFFF), not stated resolutions.
_DPI_RANGE: Final = (10.0, 100_000.0)
_BITS_BY_MODE: Final[dict[str, int]] = {"1": 1, "I": 32, "F": 32}
_ALPHA_MODES: Final = {"RGBA", "LA", "PA", "RGBa", "La"}
_DNG_VERSION_TAG: Final = 50706


@dataclass(frozen=True)
class MediaInfo:
    """Everything the portal stores about a file's content (see the field comments for units)."""

    format: str  # Pillow format name ("JPEG", "PNG", "MPO", "HEIF", "JPEG2000", ...) or "PDF"
    mime_type: str
    media_kind: MediaKind
    extension: str  # canonical, without dot, from the detected type
    width: int | None  # as stored (before EXIF rotation); PDF: first page in points (= pixels at 72 dpi)
    height: int | None
    dpi_x: float | None
    dpi_y: float | None
    color_mode: str | None  # Pillow mode of the file ("RGB", "CMYK", "I;16", "P", ...)
    bit_depth: int | None  # bits per channel
    orientation: str | None  # "landscape" | "portrait" | "square", after EXIF orientation
    exif_orientation: int | None
    frames: int  # Pillow's n_frames (animation frames, MPO images, PSD layers, TIFF pages); PDF: 1
    pages: int | None  # PDF page count, else None
    has_alpha: bool
    has_icc: bool
    icc_description: str | None
    embedded: dict[str, Any]  # descriptive metadata (see portal.media.metadata)
    private: dict[str, Any]  # GPS and other personal data
    # Facts of other media kinds (duration, codecs, sample rate, raw sensor size, ...), JSON-ready.
    facts: dict[str, Any] = field(default_factory=dict)
    # Searchable text of documents (bounded), None for media without text.
    content: str | None = None


FirstFrameHook = Callable[[Image.Image], None]


def probe_file(
    path: Path,
    max_pixels: int,
    *,
    first_frame_edge: int | None = None,
    on_first_frame: FirstFrameHook | None = None,
) -> MediaInfo:
    """Identify ``path`` from its content, verify it decodes completely, and describe it.

    Raises UnsupportedMediaType for content that is not an accepted type, RejectedFile for decompression
    bombs (more than ``max_pixels`` pixels in the image or any frame), truncated or corrupt files, and
    encrypted or broken PDFs. Never returns for a file that does not fully decode.

    The verifying decode of a JPEG's first frame runs at 1/8 scale, or at the scale that still gives
    ``first_frame_edge`` pixels when asked; ``on_first_frame`` then sees the decoded frame before any other
    frame is read (previews reuse it instead of decoding the file a second time).
    """
    path = Path(path)  # tolerate str callers
    head = sniff.read_head(path)
    if not head:
        raise sniff.unsupported(head, path)
    if sniff.is_pdf(head):
        return _probe_pdf(path)
    if head.startswith(PNG_SIGNATURE):
        # Pillow does not check the CRC of image data: walk the chunks first (APNG frames included).
        verify_png_chunks(path)
    if sniff.sniff_accepted(head) in (None, "TIFF"):
        other = kinds.detect(head, path)
        if other is not None:
            from portal.media.kindprobe import probe_other

            return probe_other(path, head, other, max_pixels)
    with sniff.open_image(path, head) as im:
        return _probe_image(im, head, max_pixels, first_frame_edge, on_first_frame)


def _probe_pdf(path: Path) -> MediaInfo:
    info = pdf_info(path)
    width, height = round(info.width_pt), round(info.height_pt)
    return MediaInfo(
        format="PDF",
        mime_type="application/pdf",
        media_kind=MediaKind.DOCUMENT,
        extension="pdf",
        width=width,
        height=height,
        dpi_x=None,
        dpi_y=None,
        color_mode=None,
        bit_depth=None,
        orientation=orientation_of(width, height),
        exif_orientation=None,
        frames=1,
        pages=info.pages,
        has_alpha=False,
        has_icc=False,
        icc_description=None,
        embedded=info.embedded,
        private={},
        facts={"pages": info.pages},
        content=pdf_text(path) or None,
    )


def _probe_image(
    im: Image.Image,
    head: bytes,
    max_pixels: int,
    first_frame_edge: int | None = None,
    on_first_frame: FirstFrameHook | None = None,
) -> MediaInfo:
    fmt = im.format or "?"
    label = sniff.FORMAT_LABELS.get(fmt, fmt)
    width, height = im.size
    _check_frame(im, max_pixels)
    _refuse_raw(im, head)
    mode = im.mode
    try:
        # GIF counts its frames by walking every frame header, which a damaged file can break.
        n_frames = int(getattr(im, "n_frames", 1) or 1)
    except Exception as exc:  # same contract as decoding: any parser failure -> RejectedFile
        raise sniff.decode_error(exc, label) from exc
    if n_frames > MAX_FRAMES:
        raise RejectedFile(f"{label} has {n_frames} frames; at most {MAX_FRAMES} are accepted")
    # Trailing chunks (PNG text/eXIf after IDAT) are only read by load(), so frame 0 comes first.
    _decode_frame(im, label, 0, n_frames, first_frame_edge)
    if on_first_frame is not None:
        on_first_frame(im)
    icc = im.info.get("icc_profile") or None
    has_alpha = mode in _ALPHA_MODES or "transparency" in im.info
    exif_orientation = _exif_orientation(im)
    embedded, private = read_embedded(im)
    dpi = _dpi(im.info.get("dpi"))
    bit_depth = _bit_depth(im, head, mode)
    _verify_other_frames(im, label, n_frames, width * height, max_pixels)

    mime, extension = sniff.type_of(fmt, head, getattr(im, "codec", None))
    shown_w, shown_h = (height, width) if exif_orientation in (5, 6, 7, 8) else (width, height)
    return MediaInfo(
        format=fmt,
        mime_type=mime,
        media_kind=MediaKind.IMAGE,
        extension=extension,
        width=width,
        height=height,
        dpi_x=dpi[0] if dpi else None,
        dpi_y=dpi[1] if dpi else None,
        color_mode=mode,
        bit_depth=bit_depth,
        orientation=orientation_of(shown_w, shown_h),
        exif_orientation=exif_orientation,
        frames=n_frames,
        pages=None,
        has_alpha=has_alpha,
        has_icc=bool(icc),
        icc_description=icc_description(icc) if isinstance(icc, bytes) else None,
        embedded=embedded,
        private=private,
    )


def _refuse_raw(im: Image.Image, head: bytes) -> None:
    """Camera raw files are TIFF containers; Pillow would show only their embedded preview, so refuse them."""
    if im.format != "TIFF":
        return
    if head[8:11] == b"CR\x02" or _DNG_VERSION_TAG in getattr(im, "tag_v2", {}):
        raise UnsupportedMediaType(
            "unsupported file type: this looks like a camera raw file (CR2/DNG); accepted types are "
            f"{sniff.ACCEPTED_TYPES_TEXT}"
        )


def _decode_frame(im: Image.Image, label: str, index: int, n_frames: int, edge: int | None = None) -> None:
    """Decode the current frame completely; any decoder failure becomes RejectedFile.

    JPEG decodes with DCT scaling (1/8 unless ``edge`` asks for more): libjpeg still reads every
    entropy-coded byte, so truncation and corrupt data are found at a fraction of the cost.
    """
    try:
        if isinstance(im, JpegImagePlugin.JpegImageFile):
            # MPO frames re-read their header on seek, but a previous draft() configuration would stick.
            im.decoderconfig = ()
            w, h = im.size
            target = (max(1, w // 8), max(1, h // 8))
            if edge is not None and max(w, h) > edge:
                factor = edge / max(w, h)
                target = (max(1, math.ceil(w * factor)), max(1, math.ceil(h * factor)))
            if edge is None or max(w, h) > edge:
                im.draft(im.mode, target)
        im.load()
    except Exception as exc:  # decoders of hostile files raise anything: map it
        err = sniff.decode_error(exc, label)
        if n_frames > 1 and not err.message.startswith("decompression bomb"):
            err = RejectedFile(f"{err.message} (frame {index + 1} of {n_frames})")
        raise err from exc


def _verify_other_frames(im: Image.Image, label: str, n_frames: int, first: int, max_pixels: int) -> None:
    """Seek through frames 2..n, refusing oversized frames before decoding and bounding the total work."""
    budget = FRAME_PIXEL_BUDGET * max_pixels - first
    for index in range(1, n_frames):
        try:
            im.seek(index)
        except Exception as exc:  # frame headers of hostile files, same
            err = sniff.decode_error(exc, label)
            raise RejectedFile(f"{err.message} (frame {index + 1} of {n_frames})") from exc
        w, h = im.size
        _check_frame(im, max_pixels)
        budget -= w * h
        if budget < 0:
            raise RejectedFile(
                f"{label} animation is too large to verify: its frames exceed "
                f"{FRAME_PIXEL_BUDGET}\u00d7 the pixel limit of {max_pixels}"
            )
        _decode_frame(im, label, index, n_frames)


def _check_frame(im: Image.Image, max_pixels: int) -> None:
    """Refuse the current frame before decoding when it, or any of its tiles, exceeds the pixel limit."""
    sniff.check_pixels(im.width, im.height, max_pixels)
    for tile in getattr(im, "tile", None) or ():
        if tile[1]:  # a frame's tiles may reach beyond its canvas (GIF extents bombs)
            x0, y0, x1, y1 = tile[1]
            sniff.check_pixels(max(1, x1 - x0), max(1, y1 - y0), max_pixels)


def _exif_orientation(im: Image.Image) -> int | None:
    try:
        value = im.getexif().get(0x0112)
    except Exception as exc:  # noqa: BLE001  (a broken EXIF block must not reject a good image)
        log.debug("unreadable EXIF orientation: %r", exc)
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def orientation_of(width: int, height: int) -> str:
    """``square``, ``landscape`` or ``portrait``."""
    if width == height:
        return "square"
    return "landscape" if width > height else "portrait"


def _dpi(value: Any) -> tuple[float, float] | None:
    """Pillow's "dpi" (already converted from dots per cm/metre) if plausible, rounded sensibly."""
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        x, y = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        return None
    low, high = _DPI_RANGE
    if not (low <= x <= high and low <= y <= high):
        return None
    return _round_dpi(x), _round_dpi(y)


def _round_dpi(value: float) -> float:
    # Per-metre units store 72 dpi as 2835 px/m = 72.009 dpi: snap such values back to the intended integer.
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < 0.05 else round(value, 2)


def _bit_depth(im: Image.Image, head: bytes, mode: str) -> int | None:
    """Bits per channel as stored, which Pillow's mode can hide (16-bit RGB TIFF/PNG open as "RGB")."""
    try:
        if im.format == "PNG" and len(head) > 24:
            return int(head[24])  # IHDR bit depth
        if im.format == "TIFF":
            bits = im.tag_v2.get(258)  # type: ignore[attr-defined]  # BitsPerSample
            if isinstance(bits, tuple) and bits:
                return int(max(bits))
            if isinstance(bits, int):
                return bits
        if im.format == "HEIF" and isinstance(im.info.get("bit_depth"), int):
            return int(im.info["bit_depth"])
    except Exception as exc:  # noqa: BLE001  (odd tags: fall back to what the mode implies)
        log.debug("bit depth not readable: %r", exc)
    if mode.startswith("I;16"):
        return 16
    return _BITS_BY_MODE.get(mode, 8)


def icc_description(icc: bytes) -> str | None:
    """The profile's description tag (e.g. "sRGB IEC61966-2.1"), or None if the profile does not parse."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        text = profile.profile.profile_description
    except Exception as exc:  # noqa: BLE001  (a broken profile is not a broken image)
        log.debug("unreadable ICC profile: %r", exc)
        return None
    return (text.strip() or None) if isinstance(text, str) else None
