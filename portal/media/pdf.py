"""PDF access through pypdfium2, serialised by one process-wide lock.

PDFium is not thread-safe (not even across different documents), and probe/render run in several worker
threads, so every call into it holds ``_PDFIUM_LOCK``. The work done under it is small: open, count pages,
read one page size, or rasterise one page at preview size.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pypdfium2 as pdfium
from PIL import Image

from portal.errors import RejectedFile

log = logging.getLogger(__name__)

_PDFIUM_LOCK: Final = threading.Lock()
# PDFium's FPDF_ERR_PASSWORD: the document is encrypted with a user password.
_ERR_PASSWORD: Final = 4
# Info-dictionary keys -> embedded metadata keys.
_PDF_META: Final[dict[str, str]] = {
    "Title": "title",
    "Author": "creator",
    "Subject": "description",
    "Creator": "software",
}


@dataclass(frozen=True)
class PdfInfo:
    """What probing needs from a PDF: page count, first page size in points and its descriptive metadata."""

    pages: int
    width_pt: float
    height_pt: float
    embedded: dict[str, Any] = field(default_factory=dict)


def _load_error(exc: BaseException) -> RejectedFile:
    if getattr(exc, "err_code", None) == _ERR_PASSWORD:
        return RejectedFile("encrypted PDF: a password is required to open it")
    return RejectedFile(f"corrupt PDF: {str(exc).strip() or type(exc).__name__}")


def pdf_info(path: Path) -> PdfInfo:
    """Read page count, first-page size (points, after /Rotate) and Info metadata; RejectedFile on failure."""
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(path)
        except Exception as exc:  # PDFium reports every load failure as some exception
            raise _load_error(exc) from exc
        try:
            pages = len(doc)
            if pages < 1:
                raise RejectedFile("corrupt PDF: the document has no pages")
            width, height = doc.get_page_size(0)
            meta = _metadata(doc)
        except RejectedFile:
            raise
        except Exception as exc:  # any PDFium failure: corrupt
            raise RejectedFile(f"corrupt PDF: {exc}") from exc
        finally:
            doc.close()
    if not (width > 0 and height > 0):
        raise RejectedFile(f"corrupt PDF: first page has an invalid size {width}\u00d7{height} pt")
    return PdfInfo(pages=pages, width_pt=float(width), height_pt=float(height), embedded=meta)


def _metadata(doc: pdfium.PdfDocument) -> dict[str, Any]:
    """Title/author/subject/keywords/creator from the Info dictionary; garbage is skipped, never raised."""
    out: dict[str, Any] = {}
    try:
        raw = doc.get_metadata_dict(skip_empty=True)
    except Exception as exc:  # noqa: BLE001  (metadata is optional)
        log.debug("PDF metadata unreadable: %r", exc)
        return out
    for key, name in _PDF_META.items():
        value = str(raw.get(key, "")).replace("\x00", "").strip()
        if value:
            out[name] = value
    keywords = [k.strip() for k in str(raw.get("Keywords", "")).replace(";", ",").split(",")]
    unique = list(dict.fromkeys(k for k in keywords if k))
    if unique:
        out["keywords"] = unique
    return out


def render_first_page(path: Path, max_edge: int) -> Image.Image:
    """Rasterise page 1 (white background) so that its longest edge is about ``max_edge`` pixels."""
    if max_edge < 1:
        raise ValueError("max_edge must be positive")
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(path)
        except Exception as exc:  # any load failure: no preview
            err = _load_error(exc)
            raise RejectedFile(f"no preview: {err.message}") from exc
        try:
            page = doc[0]
            width, height = page.get_size()
            longest = max(width, height)
            if not longest > 0:
                raise RejectedFile("no preview: the first PDF page has no size")
            bitmap = page.render(scale=max_edge / longest)
            # to_pil() may share the bitmap's buffer; copy before PDFium frees it.
            image = bitmap.to_pil().convert("RGB")
            bitmap.close()
            page.close()
        except RejectedFile:
            raise
        except Exception as exc:  # any rendering failure: no preview
            raise RejectedFile(f"no preview: PDF page could not be rendered: {exc}") from exc
        finally:
            doc.close()
    return image
