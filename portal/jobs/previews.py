"""Thumbnail and preview job for one asset version."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AssetVersion, PreviewState, Rendition
from portal.errors import RejectedFile
from portal.jobs.registry import task
from portal.media.avmedia import filmstrip
from portal.media.kindrender import detect_other, office_pdf
from portal.media.kinds import VIDEO_OR_AUDIO
from portal.media.pdf import pdf_info
from portal.media.render import (
    DEFAULT_PREVIEWS,
    PreviewSpec,
    RenderedImage,
    render_from_base,
    render_previews,
)
from portal.media.sniff import read_head
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.search import sync as search_sync
from portal.services.vision.model import vision_enabled
from portal.services.vision.pipeline import SOURCE_PRESET
from portal.storage.blobstore import StoredBlob

log = logging.getLogger(__name__)
PREVIEW_NAMES = tuple(spec.name for spec in DEFAULT_PREVIEWS)
FILMSTRIP_SPEC = PreviewSpec("filmstrip", "WEBP", 4000, 75)


@task("previews.build")
def build_previews(rt: Runtime, version_id: int, force: bool = False) -> None:
    """Render the thumb and preview of a version; a missing version or finished previews are a no-op."""
    with rt.db.session() as session:
        version = session.get(AssetVersion, version_id)
        if version is None:
            return
        have = set(session.scalars(select(Rendition.preset).where(Rendition.version_id == version_id)).all())
        if not force and version.preview_state == PreviewState.READY and have >= set(PREVIEW_NAMES):
            return
        sha = version.sha256
    seed = rt.preview_seeds.take(sha)
    pages: int | None = None
    try:
        if seed is not None:
            rendered = render_from_base(seed, DEFAULT_PREVIEWS)
        else:
            rendered, pages = _render_file(rt, rt.blobs.path_for(sha))
    except RejectedFile as exc:
        _set_state(rt, version_id, PreviewState.NONE, exc.message)
        return
    rendered.extend(_filmstrip(rt, sha))
    stored = [(r, rt.blobs.put_bytes(r.data)) for r in rendered]
    _hand_frame(rt, seed, stored)  # before the commit: an eager vision job runs right after it
    with rt.db.transaction() as session:
        version = session.get(AssetVersion, version_id)
        if version is None:
            return
        existing = {
            r.preset: r
            for r in session.scalars(select(Rendition).where(Rendition.version_id == version_id)).all()
        }
        for image, blob in stored:
            row = existing.get(image.name) or Rendition(version_id=version_id, preset=image.name)
            row.sha256 = blob.sha256
            row.mime_type = image.mime_type
            row.width = image.width
            row.height = image.height
            row.size_bytes = blob.size
            session.add(row)
        version.preview_state = PreviewState.READY
        version.preview_error = None
        if pages is not None:  # an Office file's page count, known once LibreOffice has laid it out
            version.pages = pages
            version.facts = {**(version.facts or {}), "pages": pages}
            search_sync.assets_changed(session, [version.asset_id])
        _queue_embedding(rt, session, version_id)


def _render_file(rt: Runtime, path: Path) -> tuple[list[RenderedImage], int | None]:
    """Previews of a stored file; Office files go through a PDF (LibreOffice), whose page count comes back."""
    with tempfile.TemporaryDirectory(prefix="office-", dir=rt.blobs.tmp_dir) as tmp:
        pdf = Path(tmp) / "converted.pdf"
        if office_pdf(path, pdf):
            pages = pdf_info(pdf).pages
            return render_previews(pdf, DEFAULT_PREVIEWS, rt.settings.max_image_pixels), pages
    return render_previews(path, DEFAULT_PREVIEWS, rt.settings.max_image_pixels), None


def _filmstrip(rt: Runtime, sha: str) -> list[RenderedImage]:
    """A video's filmstrip (key frames side by side) for the asset page; nothing for other files."""
    path = rt.blobs.path_for(sha)
    detected = detect_other(path, read_head(path))
    if detected is None or detected[0] != VIDEO_OR_AUDIO:
        return []
    try:
        strip = filmstrip(path, rt.settings.max_image_pixels)
    except RejectedFile as exc:  # a sound, or undecodable frames: the page simply has no strip
        log.debug("no filmstrip for %s: %s", sha, exc.message)
        return []
    return render_from_base(strip, (FILMSTRIP_SPEC,))


def _hand_frame(
    rt: Runtime, seed: Image.Image | None, stored: list[tuple[RenderedImage, StoredBlob]]
) -> None:
    """With vision on, keep the decoded frame the preview JPEG was encoded from for the vision job (same
    process), so it need not decode the preview again. Only an opaque RGB frame at the preview's exact size
    qualifies: the model then sees the pixels the JPEG holds, less the encoding loss."""
    if seed is None or seed.mode != "RGB" or not vision_enabled(rt.settings):
        return
    for image, blob in stored:
        if image.name == SOURCE_PRESET and (image.width, image.height) == seed.size:
            rt.vision_frames.put(blob.sha256, seed)


def _queue_embedding(rt: Runtime, session: Session, version_id: int) -> None:
    """With vision on, the new preview is what the model looks at: embed and tag it after commit."""
    if vision_enabled(rt.settings):
        outbox.record(session, "vision.embed", version_ids=[version_id])


def _set_state(rt: Runtime, version_id: int, state: PreviewState, error: str | None) -> None:
    with rt.db.transaction() as session:
        version = session.get(AssetVersion, version_id)
        if version is not None:
            version.preview_state = state
            version.preview_error = error
