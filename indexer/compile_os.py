"""Pure compilation of a ``PortalQuery`` to an OpenSearch request body, and the index mapping.

Nothing here talks to a cluster, so the generated DSL is unit-tested directly. Semantics (shared with the
embedded engine through ``indexer.query``):

- text: see ``indexer.compile_text`` (exact words over stems over prefixes over typos, synonyms, all words or
  most of them, article-number fragments with the exact number first);
- filters and the viewer's permission in filter context (no effect on scores);
- disjunctive facets: filters on requested facets go to ``post_filter``; each facet's terms aggregation is
  wrapped in a ``filter`` of every *other* facet filter, so a facet's own selection never shrinks its counts;
- sorting always ends in a unique tie-break on ``id``; kNN is exact cosine over the filtered set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from indexer.analysis import Analysis, current
from indexer.compile_synonyms import SynonymGraph
from indexer.compile_text import TEXT_SUBFIELD, analysis_settings, text_mapping, text_query
from indexer.query import PortalQuery, effective_sort, split_filters
from indexer.schema import (
    ATTR_TEXT_FIELD,
    CUSTOM_TEXT_FIELD,
    KEYWORD_FIELDS,
    NAME_SORT_FIELD,
    SEARCH_ONLY_FIELDS,
    TEXT_VECTOR_FIELD,
    VECTOR_FIELD,
)

# OpenSearch refuses from + size beyond this without search_after (index.max_result_window).
MAX_RESULT_WINDOW = 10_000
SORT_CLAUSES: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
    "newest": [{"created_at": {"order": "desc"}}, {"id": {"order": "desc"}}],
    "oldest": [{"created_at": {"order": "asc"}}, {"id": {"order": "asc"}}],
    "name": [{NAME_SORT_FIELD: {"order": "asc"}}, {"id": {"order": "asc"}}],
}


def permission_filters(q: PortalQuery) -> list[dict[str, Any]]:
    """Filter clauses that hide what the viewer may not see ([] for staff, who see everything)."""
    rule = q.permission
    clauses: list[dict[str, Any]] = []
    if rule.statuses is not None:
        clauses.append({"terms": {"public_status": list(rule.statuses)}})
    if rule.visibilities is not None:
        clauses.append({"terms": {"visibility": list(rule.visibilities)}})
    if rule.hide_expired:
        clauses.append(
            {
                "bool": {
                    "should": [
                        {"bool": {"must_not": [{"exists": {"field": "rights_expire_at"}}]}},
                        {"range": {"rights_expire_at": {"gt": q.moment()}}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    return clauses


def terms_filter(field: str, values: Sequence[str]) -> dict[str, Any]:
    """A filter matching documents with any of ``values`` in ``field``."""
    return {"terms": {field: list(values)}}


def _bool_filter(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    if not clauses:
        return {"match_all": {}}
    return {"bool": {"filter": clauses}}


def _main_query(
    q: PortalQuery,
    vector: Sequence[float] | None,
    analysis: Analysis | None = None,
    graph: SynonymGraph | None = None,
) -> dict[str, Any]:
    query_filters, _ = split_filters(q)
    filters = permission_filters(q) + [terms_filter(k, v) for k, v in query_filters.items()]
    clause: dict[str, Any] = {"filter": filters}
    if q.text:
        words = text_query(q.text, q.synonyms, q.relaxed, analysis or current(), graph)
        clause["must"] = [words if words is not None else {"match_none": {}}]
    if q.similar_to is not None:
        clause["must_not"] = [{"term": {"id": q.similar_to}}]
    if vector is not None:
        filters.append({"exists": {"field": q.vector_field}})
    query: dict[str, Any] = {"bool": clause}
    if vector is None:
        return query
    # Exact cosine over every document that passes the filters (the k-NN plugin's scoring script): the same
    # result set, total and order as the embedded engine's brute force, unlike approximate HNSW search.
    return {
        "script_score": {
            "query": query,
            "script": {
                "source": "knn_score",
                "lang": "knn",
                "params": {"field": q.vector_field, "query_value": list(vector), "space_type": "cosinesimil"},
            },
        }
    }


def _aggregations(q: PortalQuery) -> dict[str, Any]:
    _, facet_filters = split_filters(q)
    aggs: dict[str, Any] = {}
    for name in q.facets:
        others = [terms_filter(k, v) for k, v in facet_filters.items() if k != name]
        aggs[name] = {
            "filter": _bool_filter(others),
            "aggs": {
                "values": {
                    "terms": {
                        "field": name,
                        "size": q.facet_size,
                        "min_doc_count": 1,
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
        }
    return aggs


def sort_clause(q: PortalQuery) -> list[dict[str, Any]]:
    """The sort of ``q`` with its unique tie-break on ``id``."""
    return [dict(item) for item in SORT_CLAUSES[effective_sort(q)]]


def to_opensearch(
    q: PortalQuery,
    *,
    vector: Sequence[float] | None = None,
    search_after: Sequence[Any] | None = None,
    offset: int | None = None,
    size: int | None = None,
    with_aggregations: bool = True,
    analysis: Analysis | None = None,
    synonym_graph: SynonymGraph | None = None,
) -> dict[str, Any]:
    """The request body for ``q``.

    ``vector`` is the query vector of a ``similar_to`` query (the caller looks it up); ``q.vector`` is used
    otherwise. ``search_after`` (the previous page's last sort values) replaces ``from`` for deep paging;
    ``offset``/``size`` override the page window; ``with_aggregations=False`` leaves out facets;
    ``analysis``: the instance's languages (from the environment by default); ``synonym_graph``: the index
    applies the synonym list at query time (else ``q.synonyms`` are per-word alternatives).
    """
    if q.text and q.has_vector:
        raise ValueError("text and vector are searched separately and fused (indexer.fusion.hybrid_search)")
    if q.similar_to is not None and vector is None:
        raise ValueError("a similar_to query needs the asset's vector")
    query_vector = vector if vector is not None else q.vector
    body: dict[str, Any] = {
        "query": _main_query(q, query_vector, analysis, synonym_graph),
        "sort": sort_clause(q),
        "size": q.size if size is None else size,
        "track_total_hits": True,
        "_source": {"excludes": [VECTOR_FIELD, TEXT_VECTOR_FIELD]},
    }
    if query_vector is not None and q.vector_field == TEXT_VECTOR_FIELD and q.min_score > 0:
        body["min_score"] = 1.0 + q.min_score  # the floor of meaning search (the script scores 1 + cosine)
    if search_after is not None:
        body["search_after"] = list(search_after)
    else:
        body["from"] = q.offset if offset is None else offset
    _, facet_filters = split_filters(q)
    if facet_filters:
        body["post_filter"] = _bool_filter([terms_filter(k, v) for k, v in facet_filters.items()])
    if with_aggregations and q.facets:
        body["aggs"] = _aggregations(q)
    return body


def index_settings(
    shards: int = 1,
    knn: bool = False,
    analysis: Analysis | None = None,
    synonyms: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Index settings: the analysers of ``indexer.compile_text`` for the instance's languages (``synonyms``:
    the synonym list's lines, compiled into the search-time ``synonym_graph``)."""
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        "analysis": analysis_settings(analysis or current(), synonyms),
    }
    if knn:
        settings["index"] = {"knn": True}
    return settings


def knn_vector_mapping(dimension: int) -> dict[str, Any]:
    """A cosine ``knn_vector`` field in the compact form OpenSearch offers for float vectors: Lucene's HNSW
    with its scalar quantizer (7 bits per dimension, 4x smaller in memory, raw vectors kept on disk);
    queries score exactly (knn_score)."""
    return {
        "type": "knn_vector",
        "dimension": dimension,
        "method": {
            "name": "hnsw",
            "space_type": "cosinesimil",
            "engine": "lucene",
            "parameters": {"encoder": {"name": "sq", "parameters": {"bits": 7}}},
        },
    }


def index_mapping(
    vector_dimension: int | None = None,
    analysis: Analysis | None = None,
    text_vector_dimension: int | None = None,
) -> dict[str, Any]:
    """The mapping: keywords for filters/facets (``attr.*`` through a dynamic template, copied to the searched
    ``attr_text``), searched fields with exact and stemmed words, numbers for sorting and expiry, and a
    ``knn_vector`` when a dimension is given (image vectors; ``text_vector_dimension``: the text vectors of
    meaning search).
    """
    langs = analysis or current()
    title = text_mapping("title", langs, keyword=False)
    title["fields"]["keyword"] = {"type": "keyword"}
    props: dict[str, Any] = {
        "id": {"type": "long"},
        "title": title,
        "description": text_mapping("description", langs, keyword=False),
        "original_filename": text_mapping("original_filename", langs, keyword=False),
        ATTR_TEXT_FIELD: text_mapping(ATTR_TEXT_FIELD, langs, keyword=False),
        "content": text_mapping("content", langs, keyword=False),  # document text: searched only
        CUSTOM_TEXT_FIELD: text_mapping(CUSTOM_TEXT_FIELD, langs, keyword=False),  # custom fields' words
        # Inherited variants' words and names/descriptions in other languages: searched only.
        **{name: text_mapping(name, langs, keyword=False) for name in SEARCH_ONLY_FIELDS},
        NAME_SORT_FIELD: {"type": "keyword"},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "created_at": {"type": "long"},
        "rights_expire_at": {"type": "double"},
    }
    for name in KEYWORD_FIELDS:
        props[name] = (
            text_mapping(name, langs, keyword=True) if name in TEXT_SUBFIELD else {"type": "keyword"}
        )
    if vector_dimension is not None:
        props[VECTOR_FIELD] = knn_vector_mapping(vector_dimension)
    if text_vector_dimension is not None:
        props[TEXT_VECTOR_FIELD] = knn_vector_mapping(text_vector_dimension)
    attributes = {"path_match": "attr.*", "mapping": {"type": "keyword", "copy_to": ATTR_TEXT_FIELD}}
    # Custom field facets: exact values only (their searched words go to ``custom_text`` when allowed).
    custom = {"path_match": "cf.*", "mapping": {"type": "keyword"}}
    staff = {"path_match": "cfs.*", "mapping": {"type": "keyword"}}
    return {
        "dynamic_templates": [{"attributes": attributes}, {"custom_fields": custom}, {"staff_fields": staff}],
        "properties": props,
    }


def to_opensearch_hybrid(
    q: PortalQuery, text_vector: Sequence[float], floor: float, analysis: Analysis | None = None
) -> dict[str, Any]:
    """The word + meaning search of ``q`` as one OpenSearch ``hybrid`` query (for a search pipeline with a
    ``score-ranker-processor`` of technique ``rrf``): the word query and a kNN query over the text vectors,
    both under the same permission and query filters, kNN hits below ``floor`` (cosine) left out. The portal
    itself runs the two lists and fuses them (``indexer.meaning.hybrid_meaning_search``); this is the form
    for clusters whose pipeline does the fusion.
    """
    if not q.text:
        raise ValueError("a hybrid query needs text")
    query_filters, facet_filters = split_filters(q)
    filters = permission_filters(q) + [terms_filter(k, v) for k, v in query_filters.items()]
    words = text_query(q.text, q.synonyms, q.relaxed, analysis or current())
    lexical = {"bool": {"must": [words if words is not None else {"match_none": {}}], "filter": filters}}
    knn = {
        "knn": {
            TEXT_VECTOR_FIELD: {
                "vector": list(text_vector),
                # Lucene scores cosine as (1 + cosine) / 2.
                "min_score": (1.0 + floor) / 2.0,
                "filter": {"bool": {"filter": filters}},
            }
        }
    }
    body: dict[str, Any] = {
        "query": {"hybrid": {"queries": [lexical, knn]}},
        "size": q.size,
        "from": q.offset,
        "track_total_hits": True,
        "_source": {"excludes": [VECTOR_FIELD, TEXT_VECTOR_FIELD]},
    }
    if facet_filters:
        body["post_filter"] = _bool_filter([terms_filter(k, v) for k, v in facet_filters.items()])
    if q.facets:
        body["aggs"] = _aggregations(q)
    return body
