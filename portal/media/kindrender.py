"""Preview bases of the media kinds beyond still images and PDF: a video's poster frame, an audio file's
waveform, an Office document's first page (through LibreOffice), an SVG or EPS rasterised, a camera RAW's
embedded preview or its demosaic. Each is an RGB/RGBA Pillow image that the image pipeline then encodes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image

from portal.errors import RejectedFile
from portal.media import avmedia, documents, kinds, raw, sniff, vector
from portal.media.pdf import render_first_page

#: The waveform drawn for audio previews (thumbs are shrunk from it).
WAVE_SIZE = (1280, 400)


def detect_other(path: Path, head: bytes) -> tuple[str, str] | None:
    """(kind, format) when ``path`` is one of the other media kinds, else None (an image or PDF)."""
    if not head or sniff.is_pdf(head) or sniff.sniff_accepted(head) not in (None, "TIFF"):
        return None
    return kinds.detect(head, path)


def other_base(
    path: Path, head: bytes, largest: int, max_pixels: int, *, full: bool = False
) -> Image.Image | None:
    """The preview base for another media kind, longest edge about ``largest``; None for images and PDF.

    ``full`` asks a RAW file for its full demosaic rather than its embedded preview (channel renditions).
    RejectedFile("no preview: ...") when the file cannot be shown.
    """
    detected = detect_other(path, head)
    if detected is None:
        return None
    kind, fmt = detected
    if kind == kinds.VIDEO_OR_AUDIO:
        try:
            return avmedia.poster_frame(path, largest, max_pixels)
        except RejectedFile as exc:
            if "has no video" not in exc.message:
                raise
        return avmedia.waveform(path, WAVE_SIZE)
    if kind == kinds.SVG:
        return vector.render_svg(path, largest)
    if kind == kinds.EPS:
        return vector.render_eps(path, largest, head)
    if kind == kinds.RAW:
        return raw.develop(path, max_pixels, largest) if full else raw.thumbnail(path, largest, max_pixels)
    if kind == kinds.OFFICE:
        documents.check_zip(path).close()
        with tempfile.TemporaryDirectory(prefix="office-") as tmp:
            pdf = Path(tmp) / "converted.pdf"
            documents.convert_to_pdf(path, fmt, pdf)
            return render_first_page(pdf, largest)
    return None  # pragma: no cover  (every kind detect returns is handled above)


def office_pdf(path: Path, out: Path) -> bool:
    """Convert an Office file to PDF at ``out``; False when ``path`` is not an Office file."""
    head = sniff.read_head(path)
    detected = detect_other(path, head)
    if detected is None or detected[0] != kinds.OFFICE:
        return False
    documents.check_zip(path).close()
    documents.convert_to_pdf(path, detected[1], out)
    return True
