"""The one download path of the brand hub and share links: which bytes a preset of an asset is.

It hands over to the distribution service (``portal.services.distribution.renditions.deliver``), which checks
``policy.require_download`` for the viewer it is given, picks the released version and builds a missing
rendition. Here only the hub's rule is added: thumbnails and previews may show inline (safe raster types
only); every other preset always leaves as a download, so SVG, HTML or PDF never render in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from models import Asset, AssetVersion, BrandSettings
from portal.media.presets import applies_to
from portal.runtime import Runtime
from portal.services.brand import hub as brand
from portal.services.distribution import renditions
from portal.services.distribution.renditions import INLINE_SAFE, Delivery
from portal.services.governance.policy import ANONYMOUS, Viewer, require_view, served_version_id

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


def offered_presets(public_presets: Sequence[str], media_kind: str) -> list[str]:
    """The downloads the hub offers for an asset: the admins' public presets (the inline view sizes are
    not downloads), and for documents (guidelines) their original file too."""
    offered = [p for p in public_presets if p not in VIEW_PRESETS]
    if media_kind == "document" and "original" not in offered:
        offered.append("original")
    return offered


@dataclass(frozen=True)
class PublicAsset:
    """One asset as the hub shows it: the released version and the downloads offered for it."""

    asset: Asset
    version: AssetVersion | None
    settings: BrandSettings
    presets: list[str]


def public_asset(session: Session, asset_id: int) -> PublicAsset:
    """A public asset with what the hub offers for it; NotFound for hidden and missing ids alike."""
    item = require_view(ANONYMOUS, session.get(Asset, asset_id))
    version_id = served_version_id(ANONYMOUS, item)
    version = session.get(AssetVersion, version_id) if version_id else None
    settings = brand.get_settings(session)
    specs = renditions.preset_specs(session)
    offered = [
        name
        for name in offered_presets(settings.public_presets, item.media_kind)
        # only the channels that fit the kind: no print TIFF of a jingle, no 720p video of a photo
        if name == renditions.ORIGINAL or (name in specs and applies_to(specs[name], item.media_kind))
    ]
    return PublicAsset(item, version, settings, offered)
