"""Flask-free media handling: content-based type detection, verification, metadata and previews.

Pure functions without a database; safe to call from several worker threads at once.
"""

from __future__ import annotations

from portal.media.metadata import read_embedded
from portal.media.probe import MediaInfo, probe_file
from portal.media.render import (
    DEFAULT_PREVIEWS,
    PreviewSpec,
    RenderedImage,
    render_pdf_first_page,
    render_previews,
)

__all__ = [
    "DEFAULT_PREVIEWS",
    "MediaInfo",
    "PreviewSpec",
    "RenderedImage",
    "probe_file",
    "read_embedded",
    "render_pdf_first_page",
    "render_previews",
]
