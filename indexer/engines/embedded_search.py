"""Query evaluation of the embedded engine over its columnar parts (numpy; tantivy only ranks by relevance).

The index is a large immutable "base" part plus a small "tail" of recent changes; each part is evaluated on
its own (row masks, facet counts, the best rows of the page window) and the results are merged. The
semantics are those of ``indexer.query`` and the OpenSearch compiler: permission, words and query filters
narrow the base set; facet filters apply to hits and to every *other* facet's counts; sorts end in the id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from indexer.analysis import RELAX_BELOW
from indexer.engines.embedded_columns import BoolArray, Columns, IntArray, LazyDoc
from indexer.engines.embedded_match import Expanded
from indexer.engines.embedded_meaning import restrict, scores_of
from indexer.engines.embedded_vectors import best_positions, exact_similarities
from indexer.query import (
    FacetValue,
    Permission,
    PortalQuery,
    SearchHit,
    SearchResult,
    effective_sort,
    split_filters,
)
from indexer.schema import TEXT_VECTOR_FIELD

FloatArray = npt.NDArray[np.float64]
# Gathering the wanted rows copies them before the product: measured at 100k rows (512-d and 1280-d), the
# gather costs as much as a full matrix-vector product once about a tenth of the rows are wanted.
FULL_PRODUCT_SHARE = 0.1


class Ranker(Protocol):
    """Relevance ranking of the accepted text matches (``TextIndex.ranked``)."""

    def ranked(
        self,
        text: Expanded,
        accept: Callable[[IntArray], BoolArray],
        want: int,
        matched: int,
        text_count: int,
        matched_ids: Callable[[], IntArray],
        filters: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[int, float]]:
        """The best (id, score) pairs, score descending then id ascending (``filters``: keyword values every
        accepted document has, a hint that narrows what the ranker looks at)."""
        ...


@dataclass
class Part:
    """One part of the index and which of its rows are live (not replaced by the tail, not deleted)."""

    cols: Columns
    alive: BoolArray


@dataclass
class _Outcome:
    part: Part
    hits: BoolArray
    text_count: int
    counts: dict[str, Any]  # facet -> counts by code of this part's vocabulary
    rows: IntArray  # the best rows of the page window, in order (field sorts and vectors)
    scores: FloatArray | None  # their similarities (vector queries)


def permission_mask(cols: Columns, rule: Permission, now: float) -> BoolArray:
    """Rows the viewer may see."""
    mask = np.ones(cols.n, dtype=bool)
    for name, allowed in (("public_status", rule.statuses), ("visibility", rule.visibilities)):
        if allowed is not None:
            column = cols.keywords.get(name)
            mask &= column.mask(allowed, cols.n) if column is not None else False
    if rule.hide_expired:
        mask &= cols.expire > now
    return mask


def pushed_filters(q: PortalQuery) -> dict[str, tuple[str, ...]]:
    """Keyword values every hit of ``q`` has: its filters and the permission's statuses and visibilities."""
    out = dict(q.filters)
    rule = q.permission
    for name, allowed in (("public_status", rule.statuses), ("visibility", rule.visibilities)):
        if allowed is not None:
            mine = set(allowed)
            # Both must hold: keep the values in both (a filter on the same field narrows the permission).
            out[name] = tuple(v for v in out[name] if v in mine) if name in out else tuple(allowed)
    return out


def _filter_mask(cols: Columns, name: str, values: Sequence[str]) -> BoolArray:
    column = cols.keywords.get(name)
    if column is None:
        return np.zeros(cols.n, dtype=bool)
    return column.mask(values, cols.n)


def _top_rows(
    idx: IntArray, key1: npt.NDArray[Any], key2: npt.NDArray[Any], k: int, skip: int = 0
) -> IntArray:
    """Rows ``skip`` to ``k`` of ``idx`` in (key1, key2) order (keys are aligned with ``idx``)."""
    if k <= skip or len(idx) <= skip:
        return np.zeros(0, dtype=np.int64)
    if len(idx) > k:
        # Everything at or below the k-th key; ties at the boundary are all kept and settled by key2.
        kth = np.partition(key1, k - 1)[k - 1]
        keep = key1 <= kth
        idx, key1, key2 = idx[keep], key1[keep], key2[keep]
    if skip:
        # A deep page: drop the rows strictly below the skip-th key without sorting them.
        low = np.partition(key1, skip)[skip]
        below = int(np.count_nonzero(key1 < low))
        keep = key1 >= low
        idx, key1, key2 = idx[keep], key1[keep], key2[keep]
        skip, k = skip - below, k - below
    order = np.lexsort((key2, key1))[skip:k]
    return idx[order]


def _similarities(
    cols: Columns, rows: IntArray, vector: npt.NDArray[np.float32], wanted: int
) -> tuple[IntArray, FloatArray]:
    """Indexes into ``rows`` that can be among the ``wanted`` best, with their exact cosines: every row
    without compact vectors, else the candidates of the compact scan re-ranked in full precision."""
    if not len(rows) or cols.vectors is None:
        return np.arange(len(rows)), np.zeros(len(rows), dtype=np.float64)
    positions = cols.vec_pos[rows]
    if cols.compact is not None:
        return best_positions(cols.compact, cols.vectors, positions, vector, wanted, FULL_PRODUCT_SHARE)
    return np.arange(len(rows)), exact_similarities(cols.vectors, positions, vector, FULL_PRODUCT_SHARE)


def _evaluate(
    part: Part,
    q: PortalQuery,
    sort: str,
    words: Expanded | None,
    vector: npt.NDArray[np.float32] | None,
    k: int,
    skip: int,
) -> _Outcome:
    cols = part.cols
    base = part.alive & permission_mask(cols, q.permission, q.moment())
    text_count = 0
    if words is not None:
        matched = words.mask(cols.words, cols.n) & part.alive
        text_count = int(matched.sum())
        base &= matched
    meaning = vector is not None and q.vector_field == TEXT_VECTOR_FIELD
    if vector is not None and not meaning:
        base &= cols.vec_pos >= 0
        if q.similar_to is not None:
            base &= cols.ids != q.similar_to
    query_filters, facet_filters = split_filters(q)
    for name, values in query_filters.items():
        base &= _filter_mask(cols, name, values)
    if meaning:  # the rows above the floor, after every permission and query filter
        assert vector is not None
        base, meaning_rows, meaning_sims = restrict(cols.meaning, base, vector, k, q.min_score)
    post = {name: _filter_mask(cols, name, values) for name, values in facet_filters.items()}
    hits = base.copy()
    for mask in post.values():
        hits &= mask
    idx = np.flatnonzero(hits)
    counts: dict[str, Any] = {}
    for name in q.facets:
        column = cols.keywords.get(name)
        if column is None:
            continue
        if name not in post:  # every facet filter applies: the hits themselves
            counts[name] = column.counts(hits, idx)
            continue
        scope = base.copy()
        for other, mask in post.items():
            if other != name:
                scope &= mask
        counts[name] = column.counts(scope, np.flatnonzero(scope))
    rows_out, top_scores = np.zeros(0, dtype=np.int64), None
    ids = cols.ids[idx]
    if sort == "relevance" and vector is not None:
        chosen, sims = (
            (np.arange(len(idx)), scores_of(meaning_rows, meaning_sims, idx))
            if meaning
            else _similarities(cols, idx, vector, k)
        )
        best = _top_rows(np.arange(len(chosen)), -sims, ids[chosen], k, skip)
        rows_out, top_scores = idx[chosen][best], sims[best]
    elif sort == "newest":
        rows_out = _top_rows(idx, -cols.created[idx], -ids, k, skip)
    elif sort == "oldest":
        rows_out = _top_rows(idx, cols.created[idx], ids, k, skip)
    elif sort == "name":
        rows_out = _top_rows(idx, cols.name_rank[idx], ids, k, skip)
    return _Outcome(part, hits, text_count, counts, rows_out, top_scores)


def _merge_key(cols: Columns, row: int, score: float | None, sort: str) -> tuple[Any, ...]:
    asset_id = int(cols.ids[row])
    if sort == "relevance":
        assert score is not None
        return (-score, asset_id)
    if sort == "newest":
        return (-int(cols.created[row]), -asset_id)
    if sort == "oldest":
        return (int(cols.created[row]), asset_id)
    return (cols.names()[row], asset_id)


def _top_facets(counts: Sequence[tuple[Columns, Any]], name: str, size: int) -> list[FacetValue]:
    """Top ``size`` values by count (desc) then value (asc), summed over the parts."""
    if not counts:
        return []
    main_cols, main = max(counts, key=lambda item: len(item[1]))
    main = np.array(main, dtype=np.int64)
    main_column = main_cols.keywords[name]
    extra: dict[str, int] = {}
    for cols, part_counts in counts:
        if cols is main_cols:
            continue
        column = cols.keywords[name]
        for code in np.flatnonzero(part_counts).tolist():
            value = column.vocab[code]
            found = main_column.code(value)
            if found is None:
                extra[value] = extra.get(value, 0) + int(part_counts[code])
            else:
                main[found] += int(part_counts[code])
    merged = [(main_column.vocab[c], int(main[c])) for c in _top_codes(main, size)] + list(extra.items())
    merged.sort(key=lambda item: (-item[1], item[0]))
    return [FacetValue(value, count) for value, count in merged[:size] if count > 0]


def _top_codes(counts: IntArray, size: int) -> list[int]:
    # Codes follow the sorted vocabulary, so among equal counts the lower code is the smaller value.
    nonzero = np.flatnonzero(counts)
    if len(nonzero) <= size:
        codes = nonzero
    else:
        # Partition only the values some row has: a large vocabulary (article numbers) is mostly zeros.
        present = counts[nonzero]
        kth = np.partition(present, len(present) - size)[len(present) - size]
        above = nonzero[present > kth]
        tied = nonzero[present == kth][: size - len(above)]
        codes = np.concatenate([above, tied])
    order = np.lexsort((codes, -counts[codes]))
    return [int(c) for c in codes[order]]


def _ranked_by_text(
    outcomes: list[_Outcome], q: PortalQuery, words: Expanded, ranker: Ranker, total: int, window: int
) -> list[tuple[Columns, int, float | None]]:
    def accept(ids: IntArray) -> BoolArray:
        """Which of these ids are hits (live, visible, matching every filter) in some part."""
        ok = np.zeros(len(ids), dtype=bool)
        for outcome in outcomes:
            rows, found = outcome.part.cols.rows_of(ids)
            ok |= found & outcome.hits[rows]
        return ok

    def matched_ids() -> IntArray:
        """Every hit's id."""
        return np.concatenate([o.part.cols.ids[o.hits] for o in outcomes]).astype(np.int64)

    text_count = sum(o.text_count for o in outcomes)
    best = ranker.ranked(words, accept, window, total, text_count, matched_ids, filters=pushed_filters(q))
    if not best:
        return []
    # Each hit's part and row, looked up for all hits at once per part (the first part holding it wins).
    ids = np.fromiter((asset_id for asset_id, _ in best), dtype=np.int64, count=len(best))
    where: list[tuple[Columns, int] | None] = [None] * len(best)
    for outcome in outcomes:
        rows, found = outcome.part.cols.rows_of(ids)
        ok = found.copy()
        ok[found] = outcome.hits[rows[found]]
        for i in np.flatnonzero(ok).tolist():
            if where[i] is None:
                where[i] = (outcome.part.cols, int(rows[i]))
    return [(*place, score) for place, (_, score) in zip(where, best, strict=True) if place is not None]


def evaluate(
    parts: Sequence[Part],
    q: PortalQuery,
    words: Expanded | None,
    vector: npt.NDArray[np.float32] | None,
    ranker: Ranker | None,
) -> SearchResult:
    """Run ``q`` over the parts: total, the requested page and the facets (``words``: the query's words).

    All words must match; when that leaves fewer than ``RELAX_BELOW`` hits the viewer may see, most words do.
    """
    sort = effective_sort(q)
    window = q.offset + q.size
    live = [part for part in parts if part.cols.n]
    # One part can return just the page; several return whole windows to be merged.
    skip = q.offset if len(live) == 1 else 0
    if words is not None and q.relaxed and words.relaxable:
        words = words.relaxed()
    outcomes = [_evaluate(part, q, sort, words, vector, window, skip) for part in live]
    total = sum(int(o.hits.sum()) for o in outcomes)
    if words is not None and total < RELAX_BELOW and words.relaxable:
        words = words.relaxed()
        outcomes = [_evaluate(part, q, sort, words, vector, window, skip) for part in live]
        total = sum(int(o.hits.sum()) for o in outcomes)
    chosen: list[tuple[Columns, int, float | None]]
    if sort == "relevance" and vector is None:
        chosen = (
            _ranked_by_text(outcomes, q, words, ranker, total, window)
            if ranker is not None and words is not None
            else []
        )
        skip = 0
    else:
        chosen = []
        for outcome in outcomes:
            scores = outcome.scores.tolist() if outcome.scores is not None else [None] * len(outcome.rows)
            chosen.extend(
                (outcome.part.cols, row, score)
                for row, score in zip(outcome.rows.tolist(), scores, strict=True)
            )
        if len(outcomes) > 1:  # each part's window is in order; merge them (keys only for the few candidates)
            chosen.sort(key=lambda item: _merge_key(item[0], item[1], item[2], sort))
        chosen = chosen[:window]
    page = chosen[q.offset - skip : window - skip]
    hits = [SearchHit(int(cols.ids[row]), score, LazyDoc(cols.docs, row)) for cols, row, score in page]
    facets = {
        name: _top_facets(
            [(o.part.cols, o.counts[name]) for o in outcomes if name in o.counts], name, q.facet_size
        )
        for name in q.facets
    }
    return SearchResult(total, hits, facets)
