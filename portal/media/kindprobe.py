"""Probing of the media kinds beyond still images and PDF: audio, video, Office documents, SVG, EPS/AI and
camera RAW. Each returns the same ``MediaInfo`` as an image, with its kind's facts in ``facts`` and the
searchable text of documents in ``content``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.enums import MediaKind
from portal.errors import RejectedFile
from portal.media import avmedia, documents, kinds, raw, vector
from portal.media.probe import MediaInfo, orientation_of


def _info(
    fmt: str,
    mime: str,
    kind: MediaKind,
    ext: str,
    width: int | None,
    height: int | None,
    *,
    facts: dict[str, Any],
    embedded: dict[str, Any] | None = None,
    pages: int | None = None,
    content: str | None = None,
    has_alpha: bool = False,
) -> MediaInfo:
    orientation = orientation_of(width, height) if width and height else None
    return MediaInfo(
        format=fmt,
        mime_type=mime,
        media_kind=kind,
        extension=ext,
        width=width,
        height=height,
        dpi_x=None,
        dpi_y=None,
        color_mode="RGB" if kind in (MediaKind.VIDEO, MediaKind.IMAGE) else None,
        bit_depth=None,
        orientation=orientation,
        exif_orientation=None,
        frames=1,
        pages=pages,
        has_alpha=has_alpha,
        has_icc=False,
        icc_description=None,
        embedded=embedded or {},
        private={},
        facts={k: v for k, v in facts.items() if v is not None},
        content=content or None,
    )


def probe_other(path: Path, head: bytes, detected: tuple[str, str], max_pixels: int) -> MediaInfo:
    """Describe and verify a non-image file that ``kinds.detect`` recognised."""
    kind, fmt = detected
    if kind == kinds.VIDEO_OR_AUDIO:
        return _probe_av(path, max_pixels)
    if kind == kinds.OFFICE:
        text, slides = documents.office_text(path, fmt)
        mime, ext = documents.MIME[fmt]
        facts = {"pages": slides, "words": len(text.split())}
        return _info(fmt, mime, MediaKind.DOCUMENT, ext, None, None, facts=facts, pages=slides, content=text)
    if kind == kinds.SVG:
        _, svg = vector.check_svg(path)
        embedded = {"title": svg.title} if svg.title else {}
        return _info("SVG", "image/svg+xml", MediaKind.VECTOR, "svg", svg.width, svg.height,
                     facts={"vector": "svg"}, embedded=embedded, has_alpha=True)  # fmt: skip
    if kind == kinds.EPS:
        eps = vector.eps_info(head)
        if not head.startswith(b"\xc5\xd0\xd3\xc6") and b"%%EOF" not in path.read_bytes()[-4096:]:
            raise RejectedFile("truncated PostScript file: it has no %%EOF trailer")
        mime = "application/postscript"
        ext = "ai" if fmt == "AI" else "eps"
        return _info(fmt, mime, MediaKind.VECTOR, ext, eps.width, eps.height, facts={"vector": fmt.lower()})
    if kind == kinds.RAW:
        info = raw.probe_raw(path, fmt, max_pixels)
        mime, ext = raw.MIME.get(fmt, raw.MIME["RAW"])
        return _info(fmt, mime, MediaKind.IMAGE, ext, info.width, info.height, facts=info.facts,
                     embedded=info.embedded)  # fmt: skip
    raise RejectedFile(f"unsupported file type {fmt or kind}")  # pragma: no cover  (detect's kinds)


def _probe_av(path: Path, max_pixels: int) -> MediaInfo:
    found = avmedia.probe_av(path, max_pixels)
    embedded: dict[str, Any] = {}
    tags = found.tags
    if tags.get("title"):
        embedded["title"] = tags["title"]
    if tags.get("artist"):
        embedded["creator"] = tags["artist"]
    if tags.get("copyright"):
        embedded["copyright"] = tags["copyright"]
    if tags.get("album"):
        embedded["album"] = tags["album"]
    kind = MediaKind.VIDEO if found.is_video else MediaKind.AUDIO
    return _info(found.format, found.mime_type, kind, found.extension, found.width, found.height,
                 facts=found.facts, embedded=embedded)  # fmt: skip
