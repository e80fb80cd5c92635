"""The one download path of the brand hub and share links: which bytes a preset of an asset is.

It hands over to the distribution service (``portal.services.renditions.deliver``), which checks
``policy.require_download`` for the viewer it is given, picks the released version and builds a missing
rendition. Here only the hub's rule is added: thumbnails and previews may show inline (safe raster types
only); every other preset always leaves as a download, so SVG, HTML or PDF never render in the browser.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from portal.runtime import Runtime
from portal.services import renditions
from portal.services.policy import Viewer
from portal.services.renditions import INLINE_SAFE, Delivery

VIEW_PRESETS = ("thumb", "preview")
# Types a browser would execute or render as a document (scripts inside SVG, HTML, XML stylesheets).
# Whatever the disposition, they leave as opaque bytes, so no browser, plugin or sniffer runs them.
ACTIVE_TYPES = frozenset(
    {
        "image/svg+xml",
        "text/html",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
    }
)
# File responses are never pages: no scripts, no plugins, no framing, even if a browser tried.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"


def deliver(session: Session, rt: Runtime, viewer: Viewer, asset_id: int, preset: str) -> Delivery:
    """The file of ``preset`` for ``asset_id`` as ``viewer`` may get it (NotFound otherwise)."""
    got = renditions.deliver(session, rt, viewer, asset_id, preset)
    inline = preset in VIEW_PRESETS and got.mime_type in INLINE_SAFE
    return replace(got, inline=inline)


def safe_mimetype(mime_type: str) -> str:
    """The Content-Type to send for a stored type: active types become ``application/octet-stream``."""
    base = (mime_type or "").split(";", 1)[0].strip().lower()
    return "application/octet-stream" if base in ACTIVE_TYPES or not base else mime_type
