"""Text + vector fusion by reciprocal rank (RRF): each list contributes 1 / (k + rank) per hit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from indexer.query import FacetValue, PortalQuery, SearchHit, SearchResult

RRF_K = 60
# How many hits of each list take part in the fusion at least (more when the requested page reaches further).
MIN_WINDOW = 100


def rrf_scores(
    lists: Sequence[Sequence[SearchHit]], k: int = RRF_K
) -> tuple[dict[int, float], dict[int, SearchHit]]:
    """Each hit's RRF score over ranked ``lists`` (a hit counts once per list, at its best rank) and the
    hit as the first list it appears in has it."""
    if k < 1:
        raise ValueError("k must be at least 1")
    scores: dict[int, float] = {}
    docs: dict[int, SearchHit] = {}
    for hits in lists:
        seen: set[int] = set()
        for rank, hit in enumerate(hits, start=1):
            if hit.id in seen:
                continue
            seen.add(hit.id)
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (k + rank)
            docs.setdefault(hit.id, hit)
    return scores, docs


def fuse_rrf(
    text_hits: Sequence[SearchHit], vector_hits: Sequence[SearchHit], k: int = RRF_K
) -> list[SearchHit]:
    """Fuse two ranked lists: score = sum of 1 / (k + rank) (rank from 1) over the lists a hit is in.

    Ties are broken by id (ascending), so the order is deterministic. A hit keeps the document of the first
    list it appears in. Duplicates within one list count once, at their best rank.
    """
    scores, docs = rrf_scores([text_hits, vector_hits], k)
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return [SearchHit(i, scores[i], docs[i].doc) for i in order]


def hybrid_search(
    search: Callable[[PortalQuery], SearchResult], q: PortalQuery, k: int = RRF_K
) -> SearchResult:
    """Run ``q``'s text and its vector as two searches and fuse them; facets come from the text search.

    Each list is taken to a window of ``max(MIN_WINDOW, page * size)`` hits; the total is the number of
    distinct fused hits, so pages over it are consistent.
    """
    window = max(MIN_WINDOW, q.page * q.size)
    text_q = dataclasses.replace(q, vector=None, similar_to=None, sort="relevance")
    vector_q = dataclasses.replace(q, text="", sort="relevance", facets=())
    text_hits, facets = _collect(search, text_q, window, with_facets=True)
    vector_hits, _ = _collect(search, vector_q, window, with_facets=False)
    fused = fuse_rrf(text_hits, vector_hits, k)
    return SearchResult(len(fused), fused[q.offset : q.offset + q.size], facets)


def _collect(
    search: Callable[[PortalQuery], SearchResult], q: PortalQuery, window: int, with_facets: bool
) -> tuple[list[SearchHit], dict[str, list[FacetValue]]]:
    # Fetched in pages of the largest allowed size; only the first page computes facets.
    size = 200
    hits: list[SearchHit] = []
    facets: dict[str, list[FacetValue]] = {}
    page = 1
    while len(hits) < window:
        facet_names = q.facets if (with_facets and page == 1) else ()
        result = search(dataclasses.replace(q, page=page, size=size, facets=facet_names))
        if page == 1:
            facets = result.facets
        hits.extend(result.hits)
        if len(result.hits) < size or len(hits) >= result.total:
            break
        page += 1
    return hits[:window], facets
