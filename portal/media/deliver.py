"""Channel renditions: one source file -> one delivered file in a preset's format, size, colour and metadata.

Decoding reuses the preview pipeline's pieces (``portal.media.render``): JPEG DCT scaling when the target
is small, 16-bit data scaled by its real range, palettes/transparency to RGBA, area-averaging shrink,
EXIF orientation applied. What differs is the colour handling and the metadata:

- ``srgb``: converted to sRGB through the embedded profile (web channels);
- ``keep``: the source profile is kept and embedded (untagged sources get sRGB embedded), CMYK stays CMYK
  where the format allows it (print);
- ``cmyk``: converted to the configured CMYK output profile, which is embedded.

The output never carries the source's EXIF block (so never its GPS position); creator and copyright are
written fresh into EXIF and XMP when the preset asks for metadata.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final
from xml.sax.saxutils import escape

from PIL import Image, ImageCms, JpegImagePlugin, PngImagePlugin

from portal.errors import RejectedFile
from portal.media import avtranscode, kindrender, kinds, raw, render, sniff
from portal.media.presets import AV_FORMATS, PresetSpec

log = logging.getLogger(__name__)

_SRGB_BYTES: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
PDF_FULL_EDGE: Final = 3508  # A4 at 300 dpi: the "full size" of a PDF page
OTHER_FULL_EDGE: Final = 4096  # "full size" of a vector graphic, poster frame or office page
_EXIF_ARTIST: Final = 0x013B
_EXIF_COPYRIGHT: Final = 0x8298
_XMP_TAG: Final = 700
_CMYK_FORMATS: Final = ("JPEG", "TIFF")


@dataclass(frozen=True)
class Credits:
    """What the metadata policy writes into a delivered file."""

    creator: str | None = None
    copyright: str | None = None


@dataclass(frozen=True)
class RenditionResult:
    """What was written: size in pixels and whether an ICC profile is embedded."""

    width: int
    height: int
    mode: str
    has_icc: bool


def render_preset(
    path: Path,
    spec: PresetSpec,
    out: BinaryIO,
    *,
    credits: Credits = Credits(),
    cmyk_profile: Path | None = None,
    max_pixels: int = 200_000_000,
    progress: Callable[[float], None] | None = None,
) -> RenditionResult:
    """Render the image or PDF at ``path`` for ``spec`` and write the encoded file to ``out``.

    Raises RejectedFile / UnsupportedMediaType for files that cannot be decoded (like ingest does).
    """
    head = sniff.read_head(path)
    if not head:
        raise sniff.unsupported(head, path)
    if spec.format in AV_FORMATS:
        return _render_av(path, spec, out, max_pixels, progress)
    other = kindrender.detect_other(path, head)
    icc: bytes | None = None
    if other is not None and other[0] == kinds.RAW and spec.format == "TIFF" and spec.colour != "srgb":
        width, height = raw.write_print_tiff(path, out, spec.dpi, _SRGB_BYTES, spec.max_edge, max_pixels)
        return RenditionResult(width, height, "RGB;16", True)
    if sniff.is_pdf(head):
        work: Image.Image = render.render_pdf_first_page(path, spec.max_edge or PDF_FULL_EDGE)
    elif other is not None:
        edge = spec.max_edge or OTHER_FULL_EDGE
        work = kindrender.other_base(path, head, edge, max_pixels, full=True) or Image.new("RGB", (1, 1))
        if spec.max_edge:
            work = render._fit(work, spec.max_edge)
    else:
        work, icc = _decode(path, head, spec.max_edge, max_pixels)
    work, out_icc = _colour(work, icc, spec, cmyk_profile)
    work = _alpha(work, spec)
    _encode(work, spec, out_icc, credits, out)
    return RenditionResult(work.width, work.height, work.mode, out_icc is not None)


def _render_av(
    path: Path,
    spec: PresetSpec,
    out: BinaryIO,
    max_pixels: int,
    progress: Callable[[float], None] | None = None,
) -> RenditionResult:
    """Transcode audio/video into the preset's MP4 (H.264/AAC) or M4A (AAC) at ``out`` (a named file)."""
    name = getattr(out, "name", None)
    if not isinstance(name, str):
        raise ValueError("audio/video renditions are written to a named file")
    done = avtranscode.transcode(
        path,
        Path(name),
        max_height=spec.max_edge,
        video=spec.format == "MP4",
        max_pixels=max_pixels,
        progress=progress,
    )
    out.seek(0, 2)  # the encoder wrote through its own handle: leave ours at the end
    return RenditionResult(done.width, done.height, "video" if done.width else "audio", False)


def _decode(
    path: Path, head: bytes, max_edge: int | None, max_pixels: int
) -> tuple[Image.Image, bytes | None]:
    """First frame, upright, normalised to RGB/RGBA/L/CMYK, shrunk to ``max_edge``; plus its ICC profile."""
    with sniff.open_image(path, head) as im:
        label = sniff.FORMAT_LABELS.get(im.format or "", im.format or "image")
        sniff.check_pixels(im.width, im.height, max_pixels)
        orientation = render._orientation(im)
        icc = im.info.get("icc_profile")
        try:
            if max_edge and isinstance(im, JpegImagePlugin.JpegImageFile):
                render._draft(im, max_edge)
            im.load()
            work = render._normalise_mode(im)
            if max_edge:
                work = render._fit(work, max_edge)
            if work is im:
                work = im.copy()  # detach from the file before it closes
        except RejectedFile:
            raise
        except Exception as exc:  # decoders of hostile files raise anything: map it to RejectedFile
            raise sniff.decode_error(exc, label) from exc
    if orientation in render._TRANSPOSE:
        work = work.transpose(render._TRANSPOSE[orientation])
    work.info = {}
    return work, icc if isinstance(icc, bytes) and icc else None


def _colour(
    im: Image.Image, icc: bytes | None, spec: PresetSpec, cmyk_profile: Path | None
) -> tuple[Image.Image, bytes | None]:
    """Apply the preset's colour handling; returns the image and the profile to embed (None: untagged)."""
    colour = spec.colour
    if colour == "cmyk" and (cmyk_profile is None or spec.format not in _CMYK_FORMATS):
        colour = "keep"  # nothing to convert to, or a format without CMYK: the print behaviour
    if colour == "srgb":
        return render._to_srgb(im, icc), None
    if colour == "cmyk":
        assert cmyk_profile is not None
        rgb = _flatten(render._to_srgb(im, icc), spec) if im.mode != "CMYK" or icc else im
        return _to_cmyk(rgb, cmyk_profile)
    # keep: the source's pixels and profile, where the output format can carry them
    if im.mode == "CMYK" and spec.format in _CMYK_FORMATS and icc:
        return im, icc
    if im.mode in ("RGB", "RGBA") and icc and not _is_cmyk_profile(icc):
        return im, icc
    return render._to_srgb(im, icc), _SRGB_BYTES


def _is_cmyk_profile(icc: bytes) -> bool:
    # The colour space signature sits at bytes 16..20 of every ICC header.
    return icc[16:20] == b"CMYK"


def _to_cmyk(im: Image.Image, profile_path: Path) -> tuple[Image.Image, bytes]:
    """sRGB (or untagged CMYK) -> the configured CMYK profile, with that profile to embed."""
    data = profile_path.read_bytes()
    if im.mode == "CMYK":
        return im, data
    target = ImageCms.ImageCmsProfile(io.BytesIO(data))
    source = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    converted = ImageCms.profileToProfile(
        rgb, source, target, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="CMYK"
    )
    if converted is None:  # only None for in-place conversions, which this is not
        raise RejectedFile("CMYK conversion failed")
    return converted, data


def _flatten(im: Image.Image, spec: PresetSpec) -> Image.Image:
    """Composite RGBA on the preset's background."""
    if im.mode != "RGBA":
        return im
    flat = Image.new("RGB", im.size, spec.background_rgb)
    flat.paste(im, mask=im.getchannel("A"))
    return flat


def _alpha(im: Image.Image, spec: PresetSpec) -> Image.Image:
    """Keep alpha only where the preset and format allow it and it is not fully opaque."""
    if im.mode == "RGBA":
        if im.getchannel("A").getextrema()[0] == 255:
            return im.convert("RGB")
        if spec.format == "JPEG" or not spec.keep_alpha:
            return _flatten(im, spec)
        return im
    if im.mode in ("RGB", "CMYK") or (im.mode == "L" and spec.format != "WEBP"):
        return im
    return im.convert("RGB")


def _exif(credits: Credits, spec: PresetSpec) -> Image.Exif:
    """A fresh EXIF block: creator and copyright only (no GPS, no camera serials, no orientation)."""
    exif = Image.Exif()
    if spec.write_metadata:
        if credits.creator:
            exif[_EXIF_ARTIST] = credits.creator
        if credits.copyright:
            exif[_EXIF_COPYRIGHT] = credits.copyright
    return exif


def xmp_packet(credits: Credits) -> bytes:
    """A minimal XMP packet with dc:creator and dc:rights."""
    parts = []
    if credits.creator:
        parts.append(
            f"<dc:creator><rdf:Seq><rdf:li>{escape(credits.creator)}</rdf:li></rdf:Seq></dc:creator>"
        )
    if credits.copyright:
        parts.append(
            '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(credits.copyright)}</rdf:li></rdf:Alt></dc:rights>"
        )
    body = "".join(parts)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">{body}'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _encode(im: Image.Image, spec: PresetSpec, icc: bytes | None, credits: Credits, out: BinaryIO) -> None:
    """Encode with the format's options, profile, dpi and the metadata policy."""
    params: dict[str, Any] = {}
    if icc:
        params["icc_profile"] = icc
    if spec.dpi:
        params["dpi"] = (spec.dpi, spec.dpi)
    exif = _exif(credits, spec)
    has_credits = spec.write_metadata and bool(credits.creator or credits.copyright)
    if len(exif):
        params["exif"] = exif.tobytes()
    xmp = xmp_packet(credits) if has_credits else None
    if spec.format == "JPEG":
        params.update(quality=spec.quality)
        if xmp:
            params["xmp"] = xmp
    elif spec.format == "WEBP":
        # method 1: about 2.5x faster than the default for a few per cent more bytes.
        params.update(quality=spec.quality, method=1)
        if xmp:
            params["xmp"] = xmp
    elif spec.format == "PNG":
        params["compress_level"] = 6
        if xmp:
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode())
            params["pnginfo"] = info
    else:
        # TIFF keeps Artist/Copyright in its own IFD (Pillow's ``exif=`` does not reach it).
        params.pop("exif", None)
        tags: dict[int, Any] = dict(exif.items())
        if xmp:
            tags[_XMP_TAG] = xmp
        params.update(compression="tiff_lzw", tiffinfo=tags)
    im.save(out, spec.format, **params)
