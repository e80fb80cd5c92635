"""Similarity searches: "find similar" (kNN from an asset), search by an uploaded image, and semantic text
search fused with keyword search, all with the viewer's permissions and active filters compiled into the
query, plus a minimum similarity the user can move.
"""

from __future__ import annotations

import dataclasses
import io
import secrets
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from indexer.query import FacetValue, PortalQuery, SearchHit, SearchResult
from models import Asset
from portal.errors import RejectedFile, ValidationError
from portal.runtime import Runtime
from portal.services.governance.policy import Viewer, require_view
from portal.services.search.queries import SearchParams
from portal.services.vision.model import VisionUnavailable, embedder

# Hits fetched per engine call while collecting those above a minimum score, and the most kept.
THRESHOLD_PAGE = 200
MAX_THRESHOLD_HITS = 2000
MAX_IMAGE_BYTES = 32 * 1024 * 1024
# How long the vector of a search by image stays usable for facet clicks and paging (the image itself is
# never kept).
IMAGE_QUERY_TTL = 30 * 60


@dataclasses.dataclass(frozen=True)
class ImageQuery:
    """The vector of an uploaded query image, the model that made it, and the file's name for the page."""

    model_id: str
    vector: tuple[float, ...]
    name: str


def vision_search(rt: Runtime, viewer: Viewer, params: SearchParams, query: PortalQuery) -> SearchResult:
    """Run a search that involves vectors: ``similar_to`` (the viewer must be allowed to see the reference
    asset, else NotFound), ``semantic`` text (fused with the keyword search by RRF when the model embeds
    text; plain keyword search otherwise) and ``min_score``."""
    if params.similar_to is not None:
        require_reference(rt, viewer, params.similar_to)
        query = dataclasses.replace(query, similar_to=params.similar_to)
    elif params.image:
        query = dataclasses.replace(query, vector=query_image(rt, params.image).vector)
    elif params.semantic and query.text:
        model = embedder(rt.settings)
        if model.supports_text:
            vector = model.embed_texts([query.text])[0]
            query = dataclasses.replace(query, vector=tuple(float(v) for v in vector))
    return run_vector_query(rt, query, params.min_score)


def require_reference(rt: Runtime, viewer: Viewer, asset_id: int) -> str:
    """The title of the asset similar ones are looked for; NotFound unless the viewer may see it (hidden
    ids stay hidden)."""
    with rt.db.session() as session:
        return require_view(viewer, session.get(Asset, asset_id)).title


def run_vector_query(rt: Runtime, query: PortalQuery, min_score: float = 0.0) -> SearchResult:
    """Ask the engine; a pure vector query with ``min_score`` keeps only hits at least that similar (the
    total counts those). Fused text + vector scores are ranks, not similarities, so no cut applies there."""
    engine = rt.search()
    try:
        if min_score <= 0 or query.text or not query.has_vector:
            return engine.search(query)
        return _thresholded(engine.search, query, min_score)
    except ValueError as exc:
        # A query vector of another dimension than the index: the index is mid model switch.
        raise VisionUnavailable(f"the search index is being rebuilt for a new vision model: {exc}") from exc


def _thresholded(
    run: Callable[[PortalQuery], SearchResult], query: PortalQuery, min_score: float
) -> SearchResult:
    kept: list[SearchHit] = []
    facets: dict[str, list[FacetValue]] | None = None
    page = 1
    while len(kept) < MAX_THRESHOLD_HITS:
        result = run(
            dataclasses.replace(
                query, page=page, size=THRESHOLD_PAGE, facets=query.facets if page == 1 else ()
            )
        )
        if facets is None:
            facets = result.facets
        above = [h for h in result.hits if h.score is not None and h.score >= min_score]
        kept.extend(above)
        if len(above) < len(result.hits) or len(result.hits) < THRESHOLD_PAGE:
            break
        page += 1
    kept = kept[:MAX_THRESHOLD_HITS]
    return SearchResult(len(kept), kept[query.offset : query.offset + query.size], facets or {})


def decode_query_image(data: bytes, max_pixels: int) -> Image.Image:
    """An uploaded query image as RGB (EXIF orientation applied); unreadable, empty or huge ones are a 4xx."""
    if not data:
        raise ValidationError("send an image file")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > max_pixels:
                raise RejectedFile("the image has too many pixels")
            img.draft("RGB", (1024, 1024))  # JPEG: decode at a reduced size, the model needs little
            img.load()
            return ImageOps.exif_transpose(img).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise RejectedFile(f"not an image that can be read: {exc}") from exc


def search_by_image(
    rt: Runtime, viewer: Viewer, data: bytes, params: SearchParams, name: str = "image"
) -> tuple[SearchParams, SearchResult]:
    """Search with the vector of an uploaded image, the viewer's permissions and filters. Returns the
    params carrying the image token (for links to facets and further pages) and the result."""
    from portal.services.search.queries import run_search

    params = dataclasses.replace(params, image=remember_query_image(rt, data, name), similar_to=None)
    return params, run_search(rt, viewer, params)


def remember_query_image(rt: Runtime, data: bytes, name: str) -> str:
    """Embed an uploaded image and keep only its vector, for ``IMAGE_QUERY_TTL`` seconds in the runtime
    cache, under a new random token (the ``image`` search parameter); the bytes are dropped here."""
    image = decode_query_image(data, rt.settings.max_image_pixels)
    model = embedder(rt.settings)
    vector = np.asarray(model.embed_images([image])[0], dtype=np.float32)
    token = secrets.token_urlsafe(18)
    entry = ImageQuery(model.model_id, tuple(vector.tolist()), name[:200])
    rt.cache.put(("vision.image_query", token), entry, ttl=IMAGE_QUERY_TTL)
    return token


def query_image(rt: Runtime, token: str) -> ImageQuery:
    """The remembered query image of a token; a clear 4xx when it has expired or the model changed."""
    entry = rt.cache.get(("vision.image_query", token))
    if not isinstance(entry, ImageQuery) or entry.model_id != embedder(rt.settings).model_id:
        raise ValidationError("this search by image has expired; please choose the image again")
    return entry


def similar_to_asset(
    rt: Runtime, viewer: Viewer, asset_id: int, *, size: int = 24, min_score: float = 0.0
) -> SearchResult:
    """The assets most like this one that the viewer may see (NotFound when it may not see this one)."""
    from portal.services.search.queries import run_search

    if not 1 <= size <= 200:
        raise ValidationError("size must be between 1 and 200")
    return run_search(rt, viewer, SearchParams(similar_to=asset_id, size=size, min_score=min_score))
