"""Meaning search: what text of a document the text model embeds, attaching those embeddings to documents
(batched, in the index sync), and fusing the meaning hits with the word hits.

The fusion is reciprocal rank (RRF) over the word list and one list per vector source (the text model's
text vectors; CLIP's text-to-image scores when CLIP is the vision model). Vector hits below their floor
never take part (the engine drops them). Word hits that are strong (every word matched and a score at least
``STRONG_SHARE`` of the best one) rank above anything found by meaning alone; everything else interleaves
by fused score, so a query no word matches is answered by meaning, and a query words answer well is not
flooded with near misses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from indexer.fusion import RRF_K, rrf_scores
from indexer.query import PortalQuery, SearchHit, SearchResult
from indexer.schema import ATTR_PREFIX, TEXT_VECTOR_FIELD, VECTOR_FIELD, keyword_values

# (texts) -> one unit vector per text, or None when the model is unavailable (documents go in without).
TextEncoder = Callable[[Sequence[str]], Sequence[Sequence[float]] | None]
Search = Callable[[PortalQuery], SearchResult]
# Hits of each list taking part in the fusion at least (more when the page reaches further), and at most.
MIN_WINDOW = 50
MAX_WINDOW = 1000
# Cosine a text-vector hit needs at least (calibrated on the demo catalogue with the packaged MiniLM).
DEFAULT_FLOOR = 0.35
# A meaning hit must also be within this much of the best meaning hit's cosine: a query that matches
# something very well does not drag in everything merely related.
RELATIVE_MARGIN = 0.2
# Cosine a CLIP text-to-image hit needs at least (CLIP's scale is much flatter than MiniLM's).
CLIP_FLOOR = 0.25
# A word hit scoring at least this share of the best word hit is "strong": no meaning-only hit passes it.
STRONG_SHARE = 0.5
# Characters of description and document text that go into the embedded text.
MAX_DESCRIPTION = 400
MAX_TEXT = 1000
MATCHED_BY_WORDS = "words"
MATCHED_BY_MEANING = "meaning"
MATCHED_BY_BOTH = "words+meaning"


def document_text(doc: Mapping[str, Any]) -> str:
    """The text of a document the text model embeds: title, product names, category and type, brand,
    accepted auto tags (what the picture shows), product attribute values, then the start of the
    description. Manual tags stay out: they are mostly workflow and campaign labels ("summer-2026") that
    bulk edits change often and that describe nothing; words still match them (BM25, typos, synonyms), and
    a bulk tag edit leaves the embedded text, and so its cached vector, as it was."""
    parts: list[str] = []

    def add(values: Iterable[str]) -> None:
        for value in values:
            value = " ".join(str(value).split())
            if value and value not in parts:
                parts.append(value)

    for name in ("title", "product_names", "category", "product_type", "brand", "auto_tags"):
        add(keyword_values(doc.get(name)))
    add(v for key in sorted(doc) if key.startswith(ATTR_PREFIX) for v in keyword_values(doc[key]))
    description = " ".join(str(doc.get("description") or "").split())[:MAX_DESCRIPTION]
    add([description] if description else [])
    return ". ".join(parts)[:MAX_TEXT]


def attach_text_vectors(docs: Sequence[dict[str, Any]], encoder: TextEncoder) -> int:
    """Add each document's ``text_vector`` (one encoder call for the distinct texts of the batch); returns
    how many documents got one (documents without text get none)."""
    texts = {id(doc): document_text(doc) for doc in docs}
    distinct = list(dict.fromkeys(t for t in texts.values() if t))
    if not distinct:
        return 0
    encoded = encoder(distinct)
    if encoded is None:
        return 0
    vectors = dict(zip(distinct, encoded, strict=True))
    done = 0
    for doc in docs:
        vector = vectors.get(texts[id(doc)])
        if vector is not None:
            doc[TEXT_VECTOR_FIELD] = [float(v) for v in vector]
            done += 1
    return done


@dataclass(frozen=True)
class Fused:
    """One fused hit: the hit (score = fused RRF score), how it was found, and its best cosine."""

    hit: SearchHit
    matched_by: str
    similarity: float | None


def _strong(words: Sequence[SearchHit], all_words: bool) -> set[int]:
    if not all_words or not words:
        return set()
    scores = [h.score for h in words if h.score is not None]
    if not scores:
        return {h.id for h in words}
    top = max(scores)
    return {h.id for h in words if h.score is not None and h.score >= STRONG_SHARE * top}


def fuse_meaning(
    words: Sequence[SearchHit],
    vector_lists: Sequence[Sequence[SearchHit]],
    *,
    all_words: bool = True,
    k: int = RRF_K,
) -> list[Fused]:
    """Fuse the word hits with vector hit lists (already above their floors) by RRF; strong word hits
    first (see the module docstring). Ties by id. ``all_words``: the word hits matched every query word
    (not the most-words fallback)."""
    scores, docs = rrf_scores([words, *vector_lists], k)
    similarity: dict[int, float] = {}
    for hit in (h for hits in vector_lists for h in hits if h.score is not None):
        similarity[hit.id] = max(similarity.get(hit.id, -1.0), float(hit.score or 0.0))
    word_ids = {h.id for h in words}
    strong = _strong(words, all_words)
    order = sorted(scores, key=lambda i: (i not in strong, -scores[i], i))
    out = []
    for i in order:
        by = MATCHED_BY_BOTH if i in word_ids and i in similarity else MATCHED_BY_WORDS
        if i not in word_ids:
            by = MATCHED_BY_MEANING
        out.append(Fused(SearchHit(i, scores[i], docs[i].doc), by, similarity.get(i)))
    return out


def _near_best(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """The hits within ``RELATIVE_MARGIN`` of the best one's score."""
    if not hits:
        return []
    top = max(h.score or 0.0 for h in hits)
    return [h for h in hits if (h.score or 0.0) >= top - RELATIVE_MARGIN]


def _collect(search: Search, q: PortalQuery, window: int) -> SearchResult:
    """The first ``window`` hits of ``q`` (pages of at most 200), facets from the first page."""
    first = search(dataclasses.replace(q, page=1, size=min(window, 200)))
    hits = list(first.hits)
    page = 2
    while len(hits) < min(window, first.total) and len(hits) == (page - 1) * 200:
        more = search(dataclasses.replace(q, page=page, size=200, facets=()))
        if not more.hits:
            break
        hits.extend(more.hits)
        page += 1
    return SearchResult(first.total, hits[:window], first.facets)


def exact_code(text: str, words: Sequence[SearchHit]) -> bool:
    """True when the query is exactly (separators and case aside) an article number or model code of the
    best word hit: that hit is the answer, and meaning hits for a code would only add noise."""
    from indexer.analysis import article_fragment, normalize_article

    if not words or article_fragment(text) is None:
        return False
    wanted = normalize_article(text)
    doc = words[0].doc
    codes = [*keyword_values(doc.get("article_numbers")), *keyword_values(doc.get("model_codes"))]
    return any(normalize_article(code) == wanted for code in codes)


def _words_page(query: PortalQuery, words: SearchResult) -> SearchResult:
    return SearchResult(words.total, list(words.hits[query.offset : query.offset + query.size]), words.facets)


def _meaning_lists(
    search: Search,
    query: PortalQuery,
    text_vector: Sequence[float] | Callable[[], Sequence[float] | None],
    floor: float,
    clip_vector: Sequence[float] | None,
    window: int,
    facets: tuple[str, ...],
) -> tuple[list[Sequence[SearchHit]], SearchResult, PortalQuery] | None:
    """The vector hit lists of ``query`` (text vectors near the best above ``floor``, then CLIP's above
    ``CLIP_FLOOR``), the text-vector search's result (its facets: ``facets``) and its query; None when
    the text model is unavailable."""
    vector = text_vector() if callable(text_vector) else text_vector
    if vector is None:
        return None
    meaning_q = dataclasses.replace(
        query,
        text="",
        vector=tuple(vector),
        vector_field=TEXT_VECTOR_FIELD,
        min_score=floor,
        facets=facets,
    )
    meaning = _collect(search, meaning_q, window)
    lists: list[Sequence[SearchHit]] = [_near_best(meaning.hits)]
    if clip_vector is not None:
        clip_q = dataclasses.replace(
            meaning_q, vector=tuple(clip_vector), vector_field=VECTOR_FIELD, facets=(), min_score=0.0
        )
        lists.append([h for h in _collect(search, clip_q, window).hits if (h.score or 0.0) >= CLIP_FLOOR])
    return lists, meaning, meaning_q


def hybrid_meaning_search(
    search: Search,
    query: PortalQuery,
    text_vector: Sequence[float] | Callable[[], Sequence[float] | None],
    floor: float = DEFAULT_FLOOR,
    clip_vector: Sequence[float] | None = None,
    *,
    executor: Executor | None = None,
) -> SearchResult:
    """``query``'s word hits fused with its meaning hits: the same query (permission, filters) with the
    text replaced by ``text_vector`` over the text vectors, hits below ``floor`` left out; ``clip_vector``
    (CLIP's text embedding) adds text-to-image hits above ``CLIP_FLOOR``. The total counts the word hits
    and the meaning-only hits; facets are the word search's, or the meaning search's when no word matched.

    ``text_vector`` may be a callable (None: the model is unavailable, words only). Without ``executor``
    it is asked only after the word hits are in (the caller computes the embedding meanwhile); with one,
    the meaning searches (embedding included) run on it beside the word search. A query that is exactly
    the article number or model code of the best word hit is answered by words alone (``exact_code``)
    without waiting for the embedding or the meaning hits.
    """
    window = min(MAX_WINDOW, max(MIN_WINDOW, query.offset + query.size))
    beside: Future[Any] | None = None
    if executor is not None:
        # No facets: they come from the word search, unless no word matches (asked for then, below).
        beside = executor.submit(_meaning_lists, search, query, text_vector, floor, clip_vector, window, ())
    words = _collect(search, query, window)
    if exact_code(query.text, words.hits):
        if beside is not None:
            beside.cancel()  # not waited for: the word hit is the answer (a running search is discarded)
        return _words_page(query, words)
    if beside is not None:
        found = beside.result()
    else:
        found = _meaning_lists(
            search, query, text_vector, floor, clip_vector, window, query.facets if not words.total else ()
        )
    if found is None:
        return _words_page(query, words)
    lists, meaning, meaning_q = found
    facets = words.facets
    if not words.total:
        facets = meaning.facets
        if beside is not None and query.facets:  # the meaning search ran without them
            facets = search(dataclasses.replace(meaning_q, page=1, size=1, facets=query.facets)).facets
    fused = fuse_meaning(words.hits, lists)
    word_ids = {h.id for h in words.hits}
    extra = sum(1 for f in fused if f.hit.id not in word_ids)
    hits = [
        SearchHit(f.hit.id, f.hit.score, f.hit.doc, f.matched_by)
        for f in fused[query.offset : query.offset + query.size]
    ]
    return SearchResult(words.total + extra, hits, facets)
