"""The tantivy half of the embedded engine: BM25 ranking over the text fields, nothing else.

Matching, filters, facets and field sorts run over the numpy columns (``embedded_columns``, whose word
postings come from this same analyser); tantivy ranks the matches by relevance, so its schema holds the id
and the words only. Text is split exactly like the OpenSearch analyser (runs of letters/digits, lower case,
ASCII folding), and a query requires every word in at least one field (``cross_fields``, operator ``and``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tantivy

from indexer.analysis import (
    ARTICLE_PREFIX_BOOST,
    COORD_BOOST,
    EXACT_WEIGHT,
    FUZZY_WEIGHT,
    PREFIX_WEIGHT,
    STEM_PREFIX,
    STEM_WEIGHT,
    Analysis,
    current,
)
from indexer.engines.embedded_analysis import TOKENIZER, Analyzers, DocFields, doc_fields, stem_field
from indexer.engines.embedded_match import EXACT, FUZZY, PREFIX, STEM, Expanded
from indexer.schema import EXACT_ARTICLE_BOOST, TEXT_FIELDS

EXACT_FIELD = "article_keys"
# Every keyword value of a document as one raw term ``<field>\x1f<value>``: the filters (and the permission's
# status and visibility) are pushed into tantivy's ranking query as a zero-score conjunction, so tantivy
# ranks mostly documents the numpy masks accept instead of wading through every text match. The numpy
# masks stay the judge: the pushed filter only ever admits a superset of the accepted documents.
FILTER_FIELD = "filter_keys"
FILTER_SEP = "\x1f"
# Off: rank as before the pushed filters (``bench.search`` measures both paths in the same run).
PUSH_FILTERS = True
# Filters are pushed only when the page would otherwise fetch more text matches than this: below it,
# fetching is cheaper than tantivy's work on the filter terms.
PUSH_ABOVE = 1024
WRITER_HEAP = 128_000_000
# When the filters leave few documents (SMALL_SET) of many text matches, so that a page would need more than
# BIG_FETCH text hits pulled into Python, tantivy scores exactly those documents (an id term set: each id
# costs a term lookup, hence the small limit) instead.
SMALL_SET = 512
BIG_FETCH = 16_384
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
_KIND_WEIGHT = {EXACT: EXACT_WEIGHT, STEM: STEM_WEIGHT, PREFIX: PREFIX_WEIGHT, FUZZY: FUZZY_WEIGHT}


def build_schema(analysis: Analysis | None = None) -> tantivy.Schema:
    """id (for deletes and hit ids) + per searched field its exact words and its stems per language + the
    normalised article numbers and model codes."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", indexed=True, fast=True)
    for name, _ in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="freq")
        for lang in (analysis or current()).languages:
            builder.add_text_field(
                stem_field(name, lang), tokenizer_name=f"{TOKENIZER}_{lang}", index_option="freq"
            )
    builder.add_text_field(EXACT_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(FILTER_FIELD, tokenizer_name="raw", index_option="basic")
    return builder.build()


def filter_term(name: str, value: str) -> str:
    """The raw term of one keyword value in ``FILTER_FIELD``."""
    return f"{name}{FILTER_SEP}{value}"


class TextIndex:
    """A tantivy index of the searchable words of each document, keyed by asset id."""

    def __init__(self, path: Path, create: bool = False, analysis: Analysis | None = None) -> None:
        self.path = path
        self.analyzers = Analyzers(analysis)
        if create:
            path.mkdir(parents=True, exist_ok=True)
            # Sorted by id: within a segment, equal scores then come back in id order (see ``ranked``).
            self.index = tantivy.Index(
                build_schema(self.analyzers.analysis),
                path=str(path),
                reuse=False,
                sort_by_field="id",
                sort_order=tantivy.Order.Asc,
            )
        else:
            self.index = tantivy.Index.open(str(path))
        self.index.register_tokenizer(TOKENIZER, self.analyzers.exact)
        for lang, stems in self.analyzers.stems.items():
            self.index.register_tokenizer(f"{TOKENIZER}_{lang}", stems)
        self.schema = self.index.schema
        # An index built with other languages (or by an older version) keeps answering: fields it lacks are
        # not asked; a reindex brings them in.
        self._fields: set[str] = set()
        for name, _ in TEXT_FIELDS:
            for field in (name, *(stem_field(name, lang) for lang in self.analyzers.stems)):
                try:
                    tantivy.Query.term_query(self.schema, field, "probe")
                except ValueError:
                    continue
                self._fields.add(field)
        for field in (EXACT_FIELD, FILTER_FIELD):
            try:
                tantivy.Query.term_query(self.schema, field, "probe")
            except ValueError:
                continue
            self._fields.add(field)
        self._searcher: Any = None

    def words(self, text: str) -> list[str]:
        """The distinct words of a text, as indexed."""
        return self.analyzers.words(text)

    def document(self, doc: Mapping[str, Any], fields: DocFields | None = None) -> tantivy.Document:
        """The tantivy document of a search document (``fields``: its ``doc_fields``, when known)."""
        fields = fields or doc_fields(doc)
        out = tantivy.Document()
        out.add_integer("id", int(doc["id"]))
        known = self._fields
        suffixes = [stem_field("", lang) for lang in self.analyzers.stems]
        for name, values in fields.texts.items():
            if not values:
                continue
            for field in (name, *(name + suffix for suffix in suffixes)):
                if field in known:
                    for value in values:
                        out.add_text(field, value)
        if EXACT_FIELD in known:
            for key in fields.articles:
                out.add_text(EXACT_FIELD, key)
        if FILTER_FIELD in known:
            for name, values in fields.keywords.items():
                for value in values:
                    out.add_text(FILTER_FIELD, filter_term(name, value))
        return out

    def filter_query(self, filters: Mapping[str, Sequence[str]]) -> tantivy.Query | None:
        """A zero-score query admitting the documents that have one of the values of every filter (None:
        nothing to push, or an index built before ``FILTER_FIELD``)."""
        if not filters or FILTER_FIELD not in self._fields:
            return None
        q = tantivy.Query
        musts = []
        for name, values in sorted(filters.items()):
            # Term queries (postings with skip lists) intersect faster than a term set query.
            terms = [q.term_query(self.schema, FILTER_FIELD, filter_term(name, v)) for v in values]
            musts.append((tantivy.Occur.Must, q.boolean_query([(tantivy.Occur.Should, t) for t in terms])))
        return q.const_score_query(q.boolean_query(musts), 0.0)

    def writer(self) -> TextWriter:
        """A writer; tantivy itself allows one per index at a time."""
        return TextWriter(self.index.writer(heap_size=WRITER_HEAP, num_threads=1), self)

    def reload(self) -> None:
        """See the last commit."""
        self.index.reload()
        self._searcher = self.index.searcher()

    def _term_queries(self, term: str, kind: str) -> list[tuple[Any, tantivy.Query]]:
        q = tantivy.Query
        out = []
        for name, boost in TEXT_FIELDS:
            if kind == STEM:
                lang, stem = term[len(STEM_PREFIX) :].split(":", 1)
                field, value = stem_field(name, lang), stem
            else:
                field, value = name, term
            if field in self._fields:
                weight = boost * _KIND_WEIGHT[kind]
                out.append(
                    (tantivy.Occur.Should, q.boost_query(q.term_query(self.schema, field, value), weight))
                )
        return out

    def query(self, expanded: Expanded) -> tantivy.Query | None:
        """Tantivy's ranking query of an expansion: per word its terms in every field, weighted by field and
        by kind (exact > stem > prefix > typo); all words or most of them; article keys as constant boosts.
        """
        q = tantivy.Query
        clauses = []
        for terms in expanded.terms:
            shoulds = [c for term, kind in terms for c in self._term_queries(term, kind)]
            clauses.append(q.boolean_query(shoulds) if shoulds else q.empty_query())
        parts: list[tuple[Any, tantivy.Query]] = []
        if clauses and expanded.min_match >= len(clauses):
            parts.append((tantivy.Occur.Should, q.boolean_query([(tantivy.Occur.Must, c) for c in clauses])))
        elif clauses:
            coord = [
                (
                    tantivy.Occur.Should,
                    q.boolean_query(
                        [
                            (tantivy.Occur.Should, q.const_score_query(c, COORD_BOOST)),
                            (tantivy.Occur.Should, c),
                        ]
                    ),
                )
                for c in clauses
            ]
            parts.append((tantivy.Occur.Should, q.boolean_query(coord, expanded.min_match)))
        if expanded.article_prefix and EXACT_FIELD in self._fields:
            keys = q.term_set_query(self.schema, EXACT_FIELD, expanded.article_prefix)
            parts.append((tantivy.Occur.Should, q.const_score_query(keys, ARTICLE_PREFIX_BOOST)))
        if expanded.article_exact and EXACT_FIELD in self._fields:
            exact = q.term_query(self.schema, EXACT_FIELD, expanded.article_exact)
            parts.append((tantivy.Occur.Should, q.const_score_query(exact, EXACT_ARTICLE_BOOST)))
        if not parts:
            return None
        return q.boolean_query(parts)

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
        """The ``want`` best (id, score) pairs among the ``matched`` documents ``accept`` lets through, by
        score descending then id ascending (``matched_ids`` lists them; ``text_count``: all text matches;
        ``filters``: keyword values every accepted document has, pushed into tantivy's query when it can).

        The filters live in numpy, so tantivy is asked for its best text matches in growing batches until the
        page is settled: exact once the last score fetched is below the page's last score. When scores tie
        across that boundary, the tied documents with the smallest ids are found by scoring the remaining
        accepted ids in ascending chunks. When the accepted documents are a sliver of the text matches,
        tantivy scores just those instead of wading through the rest.
        """
        query = self.query(text)
        if query is None or want <= 0 or matched <= 0:
            return []
        searcher = self._current()
        total = int(searcher.num_docs)
        want = min(want, matched)
        # Expected fetch to collect a page of accepted documents when they are spread evenly.
        limit = int(want * max(1.0, text_count / matched) * 1.25) + 64
        pushed = self.filter_query(filters or {}) if PUSH_FILTERS and limit > PUSH_ABOVE else None
        if pushed is not None:
            # Scores are the text score plus exactly 0.0; nearly every match is now accepted.
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, pushed)])
            limit = int(want * 1.25) + 64
        if matched <= SMALL_SET and limit > BIG_FETCH:
            return self._score_ids(searcher, query, matched_ids())[:want]
        while True:
            limit = min(limit, total)
            scores, ids = self._top(searcher, query, limit)
            ok = accept(ids) if len(ids) else np.zeros(0, dtype=bool)
            found = sorted(zip((-scores[ok]).tolist(), ids[ok].tolist(), strict=True))
            if len(ids) < limit or limit >= total or len(found) >= matched:
                return [(int(i), -s) for s, i in found[:want]]
            if len(found) >= want:
                boundary = -found[want - 1][0]
                # Settled when nothing unseen can tie or beat the page, or when there is one segment: tantivy
                # returns equal scores in document order, which the index sort makes id order, so the tied
                # documents fetched are the ones with the smallest ids.
                if scores[-1] < boundary or searcher.num_segments == 1:
                    return [(int(i), -s) for s, i in found[:want]]
                return self._break_ties(searcher, query, found, boundary, want, ids, matched_ids())
            limit *= 4

    def _current(self) -> Any:
        if self._searcher is None:
            self.reload()
        return self._searcher

    @staticmethod
    def _top(searcher: Any, query: tantivy.Query, limit: int) -> tuple[FloatArray, IntArray]:
        hits = searcher.search(query, limit=max(limit, 1), count=False).hits
        scores = np.fromiter((h[0] for h in hits), dtype=np.float64, count=len(hits))
        ids = np.asarray(searcher.fast_field_values("id", [h[1] for h in hits]), dtype=np.int64)
        return scores, ids

    def _score_ids(self, searcher: Any, query: tantivy.Query, ids: IntArray) -> list[tuple[int, float]]:
        """Scores of these documents (those matching the words), best first, ties by id."""
        if not len(ids):
            return []
        # Score 0 for the id filter, so the sum is the text score itself (bit for bit).
        only = tantivy.Query.const_score_query(
            tantivy.Query.term_set_query(self.schema, "id", ids.tolist()), 0.0
        )
        both = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])
        scores, found = self._top(searcher, both, len(ids))
        return [(int(i), -s) for s, i in sorted(zip((-scores).tolist(), found.tolist(), strict=True))]

    def _break_ties(
        self,
        searcher: Any,
        query: tantivy.Query,
        found: list[tuple[float, int]],
        boundary: float,
        want: int,
        fetched: IntArray,
        accepted: IntArray,
    ) -> list[tuple[int, float]]:
        """Settle a page whose last score ties with documents not fetched yet: the smallest ids win.

        Unfetched accepted documents score at most the boundary, so the tied ones are found by scoring them
        in ascending id ranges (a cheap fast-field range on the id), widening the range each round.
        """
        above = [(int(i), -s) for s, i in found if -s > boundary]
        needed = want - len(above)
        tied = sorted(int(i) for s, i in found if -s == boundary)
        rest = np.sort(accepted[~np.isin(accepted, fetched)])
        start, step = 0, max(64, 4 * needed)
        while start < len(rest):
            chunk = rest[start : start + step]
            if len(tied) >= needed and tied[needed - 1] < chunk[0]:
                break  # every smaller id is known already
            low, high = int(chunk[0]), int(chunk[-1])
            span = tantivy.Query.range_query(self.schema, "id", tantivy.FieldType.Integer, low, high)
            both = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, query),
                    (tantivy.Occur.Must, tantivy.Query.const_score_query(span, 0.0)),
                ]
            )
            scores, ids = self._top(searcher, both, min(high - low + 1, int(searcher.num_docs)))
            hit = (scores == boundary) & np.isin(ids, chunk)
            tied = sorted([*tied, *(int(i) for i in ids[hit])])
            start += step
            step *= 2
        return above + [(i, boundary) for i in tied[:needed]]

    def num_docs(self) -> int:
        """Documents in the last reloaded commit."""
        return int(self._current().num_docs)


class TextWriter:
    """Adds, replaces and deletes documents; ``commit`` makes the changes durable."""

    def __init__(self, writer: Any, owner: TextIndex) -> None:
        self._writer = writer
        self._owner = owner

    def put(self, doc: Mapping[str, Any], fields: DocFields | None = None) -> None:
        """Add or replace the document with this id (a delete and an add in the same commit)."""
        self._writer.delete_documents_by_term("id", int(doc["id"]))
        self._writer.add_document(self._owner.document(doc, fields))

    def add(self, doc: Mapping[str, Any], fields: DocFields | None = None) -> None:
        """Add a document known to be new (a fresh index)."""
        self._writer.add_document(self._owner.document(doc, fields))

    def delete(self, asset_id: int) -> None:
        """Delete the document with this id, if any."""
        self._writer.delete_documents_by_term("id", int(asset_id))

    def commit(self) -> None:
        """Make the changes durable and let merges finish (the writer is done afterwards)."""
        self._writer.commit()
        self._writer.wait_merging_threads()

    def rollback(self) -> None:
        """Drop uncommitted changes and release the writer."""
        try:
            self._writer.rollback()
        finally:
            self._writer = None
