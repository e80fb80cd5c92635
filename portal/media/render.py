"""Thumbnails and previews: decode once, small, correct colours, several outputs.

Pipeline for images: open (accepted types only) -> refuse bombs -> decode the first frame at the smallest
size that still serves the largest spec (JPEG DCT scaling) -> normalise the mode (16-bit scaled by its real
maximum, palettes/transparency to RGBA) -> shrink to the largest spec -> convert to sRGB with the embedded
ICC profile -> apply the EXIF orientation -> for each spec, largest first, shrink from the previous result
and encode. Colour conversion and rotation run on the already reduced image, which keeps a 12 MP JPEG well
inside the time budget. Outputs carry no EXIF, GPS or ICC data (untagged means sRGB to every browser).

Thread-safe: ICC transforms are built under a lock and cached with LittleCMS' 1-pixel cache disabled
(``NOCACHE``), which is what makes one transform safe to apply from several threads at once.
"""

from __future__ import annotations

import io
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import simplejpeg
from PIL import Image, ImageCms, JpegImagePlugin

from portal.errors import RejectedFile
from portal.media import sniff
from portal.media.kindrender import other_base
from portal.media.pdf import render_first_page
from portal.media.probe import MediaInfo, icc_description, probe_file

log = logging.getLogger(__name__)

_MIME: Final[dict[str, str]] = {"WEBP": "image/webp", "JPEG": "image/jpeg", "PNG": "image/png"}
_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_CMS_LOCK: Final = threading.Lock()
_TRANSFORMS: dict[tuple[bytes, str, str], ImageCms.ImageCmsTransform] = {}
_MAX_TRANSFORMS: Final = 16
_CMS_FLAGS: Final = ImageCms.Flags.NOCACHE | ImageCms.Flags.BLACKPOINTCOMPENSATION


@dataclass(frozen=True)
class PreviewSpec:
    """One derived image: name, output format, longest edge (never upscaled), quality, alpha handling."""

    name: str  # "thumb" | "preview"
    format: str  # "WEBP" | "JPEG" | "PNG"
    max_edge: int
    quality: int = 82
    keep_alpha: bool = True  # False (and always for JPEG): composite on ``background``
    background: tuple[int, int, int] = (255, 255, 255)


DEFAULT_PREVIEWS: tuple[PreviewSpec, ...] = (
    PreviewSpec("thumb", "WEBP", 320, 80),
    PreviewSpec("preview", "JPEG", 1280, 85, keep_alpha=False),
)


@dataclass(frozen=True)
class RenderedImage:
    """An encoded preview, ready to store."""

    name: str
    data: bytes
    mime_type: str
    width: int
    height: int


def render_previews(
    path: Path, specs: Sequence[PreviewSpec] = DEFAULT_PREVIEWS, max_pixels: int = 200_000_000
) -> list[RenderedImage]:
    """Render every spec for the image or PDF at ``path``, in the order given.

    The source is decoded once; each output is shrunk from the next larger one. Raises
    UnsupportedMediaType / RejectedFile like ``probe_file`` (bombs, corrupt data), and
    RejectedFile("no preview: ...") when a PDF page cannot be rendered.
    """
    if not specs:
        return []
    for spec in specs:
        if spec.format not in _MIME or spec.max_edge < 1 or not 1 <= spec.quality <= 100:
            raise ValueError(f"invalid preview spec: {spec!r}")
    largest = max(spec.max_edge for spec in specs)
    path = Path(path)  # tolerate str callers
    head = sniff.read_head(path)
    if not head:
        raise sniff.unsupported(head, path)
    if sniff.is_pdf(head):
        base = render_pdf_first_page(path, largest)
    else:
        base = other_base(path, head, largest, max_pixels) or _decode(path, head, largest, max_pixels)
    return render_from_base(base, specs)


def render_from_base(
    base: Image.Image, specs: Sequence[PreviewSpec] = DEFAULT_PREVIEWS
) -> list[RenderedImage]:
    """Encode every spec from an already prepared base image (see ``base_image``), in the order given."""
    rendered: dict[int, RenderedImage] = {}
    current = base
    for index in sorted(range(len(specs)), key=lambda i: -specs[i].max_edge):
        current = _fit(current, specs[index].max_edge)
        rendered[index] = _encode(current, specs[index])
    return [rendered[i] for i in range(len(specs))]


def probe_with_base(
    path: Path, max_pixels: int, specs: Sequence[PreviewSpec] = DEFAULT_PREVIEWS
) -> tuple[MediaInfo, Image.Image | None]:
    """Probe a file and keep its first frame as a preview base, from the one verifying decode.

    The verifying decode then runs at the scale the largest preview needs rather than 1/8, which costs
    less than decoding the file again when the previews are built. PDFs give no base (None).
    """
    largest = max(spec.max_edge for spec in specs)
    bases: list[Image.Image] = []

    def keep(im: Image.Image) -> None:
        label = sniff.FORMAT_LABELS.get(im.format or "", im.format or "image")
        bases.append(base_image(im, largest, label))

    info = probe_file(path, max_pixels, first_frame_edge=largest, on_first_frame=keep)
    return info, (bases[0] if bases else None)


def render_pdf_first_page(path: Path, max_edge: int) -> Image.Image:
    """Page 1 of a PDF as an RGB image, longest edge about ``max_edge`` px; RejectedFile on failure."""
    return render_first_page(path, max_edge)


def _decode(path: Path, head: bytes, largest: int, max_pixels: int) -> Image.Image:
    """The first frame as sRGB RGB/RGBA, upright, with its longest edge at most about ``largest``."""
    with sniff.open_image(path, head) as im:
        label = sniff.FORMAT_LABELS.get(im.format or "", im.format or "image")
        sniff.check_pixels(im.width, im.height, max_pixels)
        orientation = _orientation(im)
        icc = im.info.get("icc_profile")
        try:
            if isinstance(im, JpegImagePlugin.JpegImageFile):
                _draft(im, largest)
            im.load()
        except Exception as exc:  # decoders of hostile files raise anything: map it to RejectedFile
            raise sniff.decode_error(exc, label) from exc
        return base_image(im, largest, label, orientation, icc)


def base_image(
    im: Image.Image,
    largest: int,
    label: str,
    orientation: int | None = None,
    icc: object = None,
) -> Image.Image:
    """A decoded frame as the common base of all previews: 8-bit, at most ``largest`` px, sRGB, upright.

    Always a new image, detached from ``im`` (whose file may close). Orientation and profile are read
    from ``im`` unless given (they must be read before decoding for some formats).
    """
    if orientation is None:
        orientation = _orientation(im)
    if icc is None:
        icc = im.info.get("icc_profile")
    try:
        work = _fit(_normalise_mode(im), largest)
    except Exception as exc:  # exotic modes Pillow cannot convert
        raise RejectedFile(f"no preview: cannot convert {label} mode {im.mode}: {exc}") from exc
    if work is im:
        work = im.copy()  # nothing was converted or resized: detach from the file before it closes
    work = _to_srgb(work, icc if isinstance(icc, bytes) else None)
    if orientation in _TRANSPOSE:
        work = work.transpose(_TRANSPOSE[orientation])
    work.info = {}
    return work


def _draft(im: JpegImagePlugin.JpegImageFile, largest: int) -> None:
    """Let libjpeg scale by 1/2, 1/4 or 1/8 while keeping the longest edge >= ``largest``."""
    w, h = im.size
    factor = largest / max(w, h)
    if factor < 1:
        # Same mode (CMYK stays CMYK for its ICC profile): only the DCT scale changes.
        im.draft(im.mode, (max(1, math.ceil(w * factor)), max(1, math.ceil(h * factor))))


def _orientation(im: Image.Image) -> int | None:
    try:
        value = im.getexif().get(0x0112)
    except Exception as exc:  # noqa: BLE001  (a broken EXIF block only costs the rotation)
        log.debug("unreadable EXIF orientation: %r", exc)
        return None
    return value if isinstance(value, int) else None


def _normalise_mode(im: Image.Image) -> Image.Image:
    """The image in RGB, RGBA, L or CMYK (CMYK kept for the ICC transform); ``im`` itself when already so."""
    mode = im.mode
    transparent = "transparency" in im.info
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _scale_to_8bit(im)
    if mode == "P":
        palette_alpha = im.palette is not None and im.palette.mode == "RGBA"
        return im.convert("RGBA" if transparent or palette_alpha else "RGB")
    if mode in ("PA", "LA", "La", "RGBa") or (mode in ("L", "RGB") and transparent):
        return im.convert("RGBA")
    if mode in ("RGB", "RGBA", "L", "CMYK"):
        return im
    if mode == "1":
        return im.convert("L")
    return im.convert("RGB")


def _scale_to_8bit(im: Image.Image) -> Image.Image:
    """16/32-bit grey to 8-bit by the image's real range (12-bit data in a 16-bit file is not left dark)."""
    src = im if im.mode in ("I", "F") else im.convert("I")
    extrema = src.getextrema()
    low = min(float(extrema[0]), 0.0)  # type: ignore[arg-type]  # single band: (min, max) numbers
    high = float(extrema[1])  # type: ignore[arg-type]
    if high <= low:
        return Image.new("L", im.size, 0)
    scale = 255.0 / (high - low)
    return src.point(lambda v: (v - low) * scale).convert("L")


def _fit(im: Image.Image, max_edge: int) -> Image.Image:
    """Shrink so that the longest edge is ``max_edge`` (never enlarges)."""
    w, h = im.size
    if max(w, h) <= max_edge:
        return im
    factor = max_edge / max(w, h)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    # Area averaging (BOX, weighted at fractional edges) is what a downscale to a preview needs: no
    # aliasing, every source pixel counted once. It costs about 40 % of bicubic here, and the resize is
    # the largest single cost of a 12 MP preview after the JPEG decode (libvips shrinks the same way).
    # ``reducing_gap=1`` takes whole multiples with ``reduce()`` first (plain block means, the same
    # averages BOX takes), then BOX covers the rest: the 1280 -> 320 thumbnail of a 4:3 photo is one
    # reduce(4), 3.2 -> 1.4 CPU ms. Shrinks by less than 2x (the 12 MP base) are unchanged.
    return im.resize(size, Image.Resampling.BOX, reducing_gap=1.0)


def to_srgb(im: Image.Image) -> Image.Image:
    """``im`` (any mode, e.g. a CMYK JPEG) as sRGB RGB/RGBA pixels, through its embedded ICC profile when it
    has one (untagged CMYK: a plain conversion); for stored files browsers must show right (the logo)."""
    return _to_srgb(_normalise_mode(im), im.info.get("icc_profile"))


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to sRGB RGB/RGBA, through the embedded profile when it is not sRGB already."""
    target = "RGBA" if im.mode == "RGBA" else "RGB"
    if icc and not (icc_description(icc) or "").startswith("sRGB"):
        try:
            transform = _transform(icc, im.mode, target)
            if im.mode == target:  # ``im`` is this render's private copy: transform it in place
                ImageCms.applyTransform(im, transform, inPlace=True)
                return im
            return ImageCms.applyTransform(im, transform) or im
        except Exception as exc:  # noqa: BLE001  (a profile that does not fit the data)
            log.debug("ICC conversion failed, falling back to a plain conversion: %r", exc)
    return im if im.mode == target else im.convert(target)


def _transform(icc: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    """Cached ICC -> sRGB transform, built under a lock (LittleCMS profile reads are not thread-safe)."""
    cache_key = (icc, in_mode, out_mode)
    with _CMS_LOCK:
        transform = _TRANSFORMS.get(cache_key)
        if transform is None:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            transform = ImageCms.buildTransform(
                source, _SRGB, in_mode, out_mode, ImageCms.Intent.PERCEPTUAL, flags=_CMS_FLAGS
            )
            if len(_TRANSFORMS) >= _MAX_TRANSFORMS:
                _TRANSFORMS.pop(next(iter(_TRANSFORMS)))
            _TRANSFORMS[cache_key] = transform
        return transform


def encode_jpeg(im: Image.Image, quality: int) -> bytes:
    """An RGB image as a baseline JPEG (4:2:0, like Pillow's default), encoded by libjpeg-turbo through
    ``simplejpeg``, which lets go of the GIL while it works. Pillow's JPEG encoder holds the GIL for the
    whole encode (its decoder does not): the 1280-px preview of every upload, 5-6 CPU ms, then stopped
    every other thread of an ingest (the next uploads' Python work, the jobs) from running beside it,
    and two encodes on two threads took as long as both on one."""
    return bytes(
        simplejpeg.encode_jpeg(np.asarray(im), quality=quality, colorspace="RGB", colorsubsampling="420")
    )


def _encode(im: Image.Image, spec: PreviewSpec) -> RenderedImage:
    """Encode one spec: alpha kept for WebP/PNG when asked and present, otherwise composited."""
    out = im
    if out.mode == "RGBA":
        alpha = out.getchannel("A")
        if alpha.getextrema()[0] == 255:
            out = out.convert("RGB")  # fully opaque: drop the useless channel
        elif spec.format == "JPEG" or not spec.keep_alpha:
            flat = Image.new("RGB", out.size, spec.background)
            flat.paste(out, mask=alpha)
            out = flat
    elif out.mode != "RGB":
        out = out.convert("RGB")
    if spec.format == "JPEG":
        return RenderedImage(spec.name, encode_jpeg(out, spec.quality), _MIME["JPEG"], out.width, out.height)
    buf = io.BytesIO()
    if spec.format == "WEBP":
        # method 1 is ~2.5x faster than the default 4 for thumbnails ~10 % larger (a few hundred bytes).
        out.save(buf, "WEBP", quality=spec.quality, method=1)
    else:
        out.save(buf, "PNG", compress_level=6)
    return RenderedImage(spec.name, buf.getvalue(), _MIME[spec.format], out.width, out.height)
