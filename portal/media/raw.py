"""Camera RAW through rawpy (LibRaw): facts, the embedded preview for thumbnails, a full demosaic for
channel renditions (8-bit for the web, 16-bit kept for the print TIFF).

Sizes claimed by the header are checked against the pixel limit and against the file's size before
LibRaw unpacks anything: a RAW that claims far more pixels than its bytes could hold is refused.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np
from PIL import Image

from portal.errors import RejectedFile
from portal.media import sniff

log = logging.getLogger(__name__)

#: A real RAW stores at least this many bytes per 16 pixels (lossless compression reaches ~ 1 byte / pixel).
MIN_BYTES_PER_16_PIXELS: Final = 1
_MAKE, _MODEL, _DATETIME = 271, 272, 306
MIME: Final[dict[str, tuple[str, str]]] = {
    "DNG": ("image/x-adobe-dng", "dng"),
    "CR2": ("image/x-canon-cr2", "cr2"),
    "CR3": ("image/x-canon-cr3", "cr3"),
    "NEF": ("image/x-nikon-nef", "nef"),
    "ARW": ("image/x-sony-arw", "arw"),
    "ORF": ("image/x-olympus-orf", "orf"),
    "RAF": ("image/x-fuji-raf", "raf"),
    "RW2": ("image/x-panasonic-rw2", "rw2"),
    "PEF": ("image/x-pentax-pef", "pef"),
    "RAW": ("image/x-raw", "raw"),
}


@dataclass(frozen=True)
class RawInfo:
    """Developed size, sensor size and camera facts."""

    width: int
    height: int
    facts: dict[str, Any]
    embedded: dict[str, Any]


def _imread(path: Path) -> Any:
    import rawpy  # local: LibRaw is only loaded for RAW files

    try:
        return rawpy.imread(str(path))
    except Exception as exc:  # LibRaw raises its own error types for every failure
        raise RejectedFile(f"truncated or corrupt camera RAW: {type(exc).__name__}: {exc}"[:300]) from exc


def _check_sizes(raw: Any, path: Path, max_pixels: int) -> tuple[int, int]:
    sizes = raw.sizes
    width, height = int(sizes.width), int(sizes.height)
    sensor = int(sizes.raw_width) * int(sizes.raw_height)
    sniff.check_pixels(max(width, 1) if sensor else 0, max(height, 1), max_pixels)
    sniff.check_pixels(int(sizes.raw_width) or 1, int(sizes.raw_height) or 1, max_pixels)
    if sensor > path.stat().st_size * 16 // MIN_BYTES_PER_16_PIXELS:
        raise RejectedFile(
            f"corrupt camera RAW: the header claims {sensor} sensor pixels but the file has only "
            f"{path.stat().st_size} bytes"
        )
    return width, height


def probe_raw(path: Path, fmt: str, max_pixels: int) -> RawInfo:
    """Check the claimed sizes, unpack the sensor data once (verifies it decodes) and read camera facts."""
    embedded: dict[str, Any] = {}
    with _imread(path) as raw:
        width, height = _check_sizes(raw, path, max_pixels)
        try:
            raw.raw_image_visible  # noqa: B018  (unpacks: truncated data fails here)
        except Exception as exc:  # LibRaw errors
            raise RejectedFile(f"truncated or corrupt camera RAW: {exc}"[:300]) from exc
        flip = int(raw.sizes.flip)
        facts: dict[str, Any] = {
            "raw_format": fmt,
            "sensor_width": int(raw.sizes.raw_width),
            "sensor_height": int(raw.sizes.raw_height),
            "colors": int(raw.num_colors),
            "white_level": int(raw.white_level),
        }
    if flip in (5, 6):  # LibRaw's flip: 5 = 90 ccw, 6 = 90 cw
        width, height = height, width
    tags = _tiff_tags(path)
    for tag, key in ((_MAKE, "camera_make"), (_MODEL, "camera_model")):
        if tags.get(tag):
            embedded[key] = str(tags[tag]).strip("\x00 ")[:100]
    return RawInfo(width, height, facts, embedded)


def _tiff_tags(path: Path) -> dict[int, Any]:
    from portal.media.kinds import _tiff_ifd0  # header parsing shared with detection

    return _tiff_ifd0(path) if sniff.read_head(path)[:2] in (b"II", b"MM") else {}


def thumbnail(path: Path, max_edge: int, max_pixels: int) -> Image.Image:
    """The embedded camera preview when there is one (fast), else a half-size demosaic, as RGB."""
    import rawpy

    with _imread(path) as raw:
        _check_sizes(raw, path, max_pixels)
        try:
            thumb = raw.extract_thumb()
        except Exception as exc:  # noqa: BLE001  (no or broken embedded preview: develop instead)
            log.debug("no embedded preview in %s: %r", path, exc)
            thumb = None
        if thumb is not None and thumb.format == rawpy.ThumbFormat.JPEG:
            try:
                embedded = Image.open(io.BytesIO(thumb.data), formats=("JPEG",))
                sniff.check_pixels(embedded.width, embedded.height, max_pixels)
                embedded.draft("RGB", (max_edge, max_edge))
                image = embedded.convert("RGB")
                if max(image.size) >= min(max_edge, max(raw.sizes.width, raw.sizes.height)) // 2:
                    return image
            except RejectedFile:
                raise
            except Exception as exc:  # noqa: BLE001  (an unreadable preview: develop instead)
                log.debug("embedded preview unreadable: %r", exc)
        return Image.fromarray(_develop(raw, half=True, bits=8))


def _develop(raw: Any, *, half: bool, bits: int) -> np.ndarray:
    try:
        return raw.postprocess(use_camera_wb=True, half_size=half, output_bps=bits, no_auto_bright=False)
    except Exception as exc:  # LibRaw errors
        raise RejectedFile(f"no preview: the camera RAW could not be developed: {exc}"[:300]) from exc


def develop(path: Path, max_pixels: int, max_edge: int | None = None) -> Image.Image:
    """An 8-bit RGB demosaic (web and other channel presets): full resolution, or LibRaw's half-size
    development (each 2x2 sensor block one pixel, no interpolation) when ``max_edge`` needs no more."""
    with _imread(path) as raw:
        width, height = _check_sizes(raw, path, max_pixels)
        half = bool(max_edge) and max_edge is not None and max_edge * 2 <= max(width, height)
        return Image.fromarray(_develop(raw, half=half, bits=8))


def write_print_tiff(path: Path, out: BinaryIO, dpi: int | None, icc: bytes, max_edge: int | None,
                     max_pixels: int) -> tuple[int, int]:  # fmt: skip
    """A 16-bit RGB TIFF of the full demosaic (sRGB, profile embedded), for print; returns its size."""
    import tifffile  # local: only the RAW print path needs it

    with _imread(path) as raw:
        _check_sizes(raw, path, max_pixels)
        data = _develop(raw, half=False, bits=16)
    if max_edge and max(data.shape[:2]) > max_edge:
        step = int(np.ceil(max(data.shape[:2]) / max_edge))
        data = np.ascontiguousarray(data[::step, ::step])
    resolution = (float(dpi), float(dpi)) if dpi else None
    tifffile.imwrite(
        out,
        data,
        photometric="rgb",
        resolution=resolution,
        resolutionunit="INCH" if dpi else None,
        compression=None,  # zlib costs twice the demosaic on 16-bit data; packages deflate it anyway
        extratags=[(34675, "B", len(icc), icc, True)],
    )
    return int(data.shape[1]), int(data.shape[0])
