"""The public brand hub: its settings (admins), its sections (managers) and what the public sees.

Everything shown to the public goes through the anonymous viewer: the search engine filters on it inside
the query, and every id it returns is checked once more against the database (``still_visible``), so an
asset that was unapproved, made internal or whose rights expired disappears at once, even before the
index has caught up.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.query import SearchResult
from models import Asset, AssetVersion, BrandSection, BrandSettings, Collection, Role
from models.brand import DEFAULT_PUBLIC_PRESETS
from portal.errors import Conflict, NotFound, ValidationError
from portal.media.render import to_srgb
from portal.runtime import Runtime
from portal.services.brand.collections import readable, visible_item_ids
from portal.services.governance.policy import (
    ANONYMOUS,
    Viewer,
    require_role,
    served_version_id,
    visible_assets,
)
from portal.services.search.queries import SearchParams, parse_params, run_search

SETTINGS_ID = 1
KNOWN_PRESETS = ("thumb", "preview", "web", "print", "original", "video-720", "video-1080", "audio-web")
SECTION_KINDS = ("collection", "saved_search")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_LOGO_BYTES = 2 * 1024 * 1024
SECTION_TILES = 12


@dataclass(frozen=True)
class Tile:
    """One asset as the hub shows it."""

    id: int
    title: str
    media_kind: str
    file_type: str


@dataclass(frozen=True)
class SectionView:
    """A section with its first tiles and the number of public assets in it."""

    section: BrandSection
    tiles: list[Tile]
    total: int


def get_settings(session: Session) -> BrandSettings:
    """The hub's settings; defaults (not stored) until an admin saves them."""
    row = session.get(BrandSettings, SETTINGS_ID)
    if row is not None:
        return row
    return BrandSettings(
        id=SETTINGS_ID,
        name="Our brand",
        colour="#1f4e79",
        intro="",
        terms="",
        terms_version=1,
        public_presets=list(DEFAULT_PUBLIC_PRESETS),
    )


def _stored_settings(session: Session) -> BrandSettings:
    row = session.get(BrandSettings, SETTINGS_ID)
    if row is None:
        row = get_settings(session)
        session.add(row)
    return row


def update_settings(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    colour: str,
    intro: str,
    terms: str,
    public_presets: list[str],
) -> BrandSettings:
    """Save the hub's look and rules (admins only); changed terms must be accepted again."""
    require_role(viewer, Role.ADMIN)
    clean_name = " ".join((name or "").split())[:200]
    if not clean_name:
        raise ValidationError("give the brand a name")
    if not COLOUR.match(colour or ""):
        raise ValidationError("the colour must look like #1f4e79")
    unknown = [p for p in public_presets if p not in KNOWN_PRESETS]
    if unknown:
        raise ValidationError(f"unknown presets: {', '.join(unknown)}")
    row = _stored_settings(session)
    if (terms or "").strip() != (row.terms or "").strip():
        row.terms_version = (row.terms_version or 0) + 1
    row.name, row.colour, row.intro = clean_name, colour.lower(), intro or ""
    row.terms = (terms or "").strip()
    row.public_presets = list(dict.fromkeys(public_presets))
    session.flush()
    return row


def set_logo(session: Session, rt: Runtime, viewer: Viewer, data: bytes) -> BrandSettings:
    """Store a PNG, JPEG or WebP logo (admins only); other types are refused, SVG included."""
    require_role(viewer, Role.ADMIN)
    if not data or len(data) > MAX_LOGO_BYTES:
        raise ValidationError("the logo must be an image of at most 2 MiB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            image.verify()
        # verify() reads the structure only: a truncated JPEG passes it and then shows half a logo on
        # the public hub. Decoding the pixels (at most 2 MiB of input) refuses it as ingest does.
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if kind == "JPEG" and image.mode == "CMYK":
                data = _srgb_jpeg(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(f"the logo is not a readable image: {exc}") from None
    if kind not in LOGO_TYPES:
        raise ValidationError("the logo must be a PNG, JPEG or WebP image")
    blob = rt.blobs.put_bytes(data)
    row = _stored_settings(session)
    row.logo_sha256, row.logo_mime = blob.sha256, LOGO_TYPES[kind]
    session.flush()
    return row


def _srgb_jpeg(image: Image.Image) -> bytes:
    """A CMYK JPEG (print artwork) as an sRGB JPEG: browsers show CMYK JPEGs with wrong or inverted colours.
    Converted through its embedded profile; stored untagged, which every browser reads as sRGB."""
    out = io.BytesIO()
    to_srgb(image).convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue()


def still_visible(session: Session, viewer: Viewer, ids: list[int]) -> set[int]:
    """The ids among ``ids`` that the viewer may see right now, by the database (the source of truth)."""
    if not ids:
        return set()
    rows = session.scalars(select(Asset.id).where(Asset.id.in_(ids), visible_assets(viewer)))
    return set(rows)


def tiles_for(session: Session, viewer: Viewer, ids: list[int]) -> list[Tile]:
    """Tiles for these ids in this order, leaving out any the viewer may not see now."""
    if not ids:
        return []
    rows = session.scalars(select(Asset).where(Asset.id.in_(ids), visible_assets(viewer))).all()
    by_id = {a.id: a for a in rows}
    formats = _formats(session, viewer, rows)
    return [Tile(i, by_id[i].title, by_id[i].media_kind, formats.get(i, "")) for i in ids if i in by_id]


def _formats(session: Session, viewer: Viewer, assets: Sequence[Asset]) -> dict[int, str]:
    version_ids = {served_version_id(viewer, a): a.id for a in assets}
    wanted = [v for v in version_ids if v]
    if not wanted:
        return {}
    rows = session.execute(select(AssetVersion.id, AssetVersion.format).where(AssetVersion.id.in_(wanted)))
    return {version_ids[vid]: fmt for vid, fmt in rows}


def hub_search(
    rt: Runtime, session: Session, params: SearchParams, viewer: Viewer = ANONYMOUS
) -> tuple[list[Tile], SearchResult]:
    """Search as the public: the engine's hits re-checked against the database, and the raw result."""
    result = run_search(rt, viewer, params)
    return tiles_for(session, viewer, [hit.id for hit in result.hits]), result


def section_params(query: str, size: int = SECTION_TILES) -> SearchParams:
    """The search parameters a saved-search section stores (validated like the search page's URL)."""
    args = parse_qs(query or "", keep_blank_values=False)
    args.pop("page", None)
    args["size"] = [str(size)]
    return parse_params(args)


def list_sections(session: Session) -> list[BrandSection]:
    """The hub's sections in their order."""
    return list(session.scalars(select(BrandSection).order_by(BrandSection.position, BrandSection.id)))


def get_section(session: Session, slug: str) -> BrandSection:
    """One section by slug (NotFound when there is none)."""
    section = session.scalars(select(BrandSection).where(BrandSection.slug == slug)).first()
    if section is None:
        raise NotFound("section not found")
    return section


def section_view(
    rt: Runtime, session: Session, section: BrandSection, size: int = SECTION_TILES
) -> SectionView:
    """A section's public assets: its collection's visible items, or its saved search as the public."""
    if section.kind == "collection" and section.collection_id is not None:
        ids = visible_item_ids(session, section.collection_id, ANONYMOUS)
        return SectionView(section, tiles_for(session, ANONYMOUS, ids[:size]), len(ids))
    params = section_params(section.query, size)
    tiles, result = hub_search(rt, session, params)
    return SectionView(section, tiles, result.total)


def create_section(
    session: Session,
    viewer: Viewer,
    *,
    title: str,
    kind: str,
    collection_id: int | None = None,
    query: str = "",
    description: str = "",
) -> BrandSection:
    """Add a section at the end of the home page (managers)."""
    require_role(viewer, Role.MANAGER)
    clean = " ".join((title or "").split())[:200]
    if not clean:
        raise ValidationError("give the section a title")
    if kind not in SECTION_KINDS:
        raise ValidationError(f"a section is one of: {', '.join(SECTION_KINDS)}")
    if kind == "collection":
        # Only a collection the manager reaches (own, or shared with them) may go on the hub.
        if collection_id is None or not session.scalar(
            select(Collection.id).where(Collection.id == collection_id, readable(viewer))
        ):
            raise ValidationError("choose an existing collection")
        query = ""
    else:
        collection_id = None
        section_params(query)  # validates the query string
    slug = _slug(clean)
    if session.scalar(select(BrandSection.id).where(BrandSection.slug == slug)):
        raise Conflict(f"there is already a section called {clean!r}")
    position = (session.scalar(select(func.max(BrandSection.position))) or 0) + 1
    section = BrandSection(
        title=clean,
        slug=slug,
        kind=kind,
        collection_id=collection_id,
        query=query,
        description=description,
        position=position,
    )
    session.add(section)
    session.flush()
    return section


def delete_section(session: Session, viewer: Viewer, section_id: int) -> None:
    """Remove a section from the home page (its collection stays)."""
    require_role(viewer, Role.MANAGER)
    section = session.get(BrandSection, section_id)
    if section is None:
        raise NotFound("section not found")
    session.delete(section)


def move_section(session: Session, viewer: Viewer, section_id: int, step: int) -> None:
    """Move a section one place up (-1) or down (+1)."""
    require_role(viewer, Role.MANAGER)
    sections = list_sections(session)
    index = next((i for i, s in enumerate(sections) if s.id == section_id), None)
    if index is None:
        raise NotFound("section not found")
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(sections):
        sections[index], sections[other] = sections[other], sections[index]
    for position, section in enumerate(sections, start=1):
        section.position = position


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100]
    return slug or "section"
