"""The OpenSearch side of meaning search, pinned as DSL (osmem-server has no k-NN): the text-vector mapping,
meaning queries over ``text_vector`` with the viewer's permission and the floor, and the hybrid form."""

from __future__ import annotations

from typing import Any

import pytest

from indexer.analysis import Analysis
from indexer.compile_os import index_mapping, to_opensearch, to_opensearch_hybrid
from indexer.query import PortalQuery
from indexer.schema import TEXT_VECTOR_FIELD, VECTOR_FIELD

EN = Analysis(("en",))
PARTNER_FILTERS = [
    {"terms": {"public_status": ["approved"]}},
    {"terms": {"visibility": ["partner", "public"]}},
]


def _script(body: dict[str, Any]) -> dict[str, Any]:
    return body["query"]["script_score"]


def test_the_mapping_holds_text_vectors_as_a_compact_knn_field() -> None:
    props = index_mapping(1280, EN, text_vector_dimension=384)["properties"]
    assert props[TEXT_VECTOR_FIELD] == {
        "type": "knn_vector",
        "dimension": 384,
        "method": {
            "name": "hnsw",
            "space_type": "cosinesimil",
            "engine": "lucene",
            "parameters": {"encoder": {"name": "sq", "parameters": {"bits": 7}}},
        },
    }
    assert props[VECTOR_FIELD]["dimension"] == 1280
    assert TEXT_VECTOR_FIELD not in index_mapping(None, EN)["properties"]


def test_a_meaning_query_scores_text_vectors_under_the_viewers_permission_with_its_floor() -> None:
    q = PortalQuery(
        vector=(0.6, 0.8),
        vector_field=TEXT_VECTOR_FIELD,
        min_score=0.35,
        viewer_role="partner",
        now=1000.0,
        filters={"category": ["Juices"], "file_type": ["PNG"]},
        facets=("file_type",),
    )
    body = to_opensearch(q, analysis=EN)
    script = _script(body)
    assert script["script"]["params"] == {
        "field": TEXT_VECTOR_FIELD,
        "query_value": [0.6, 0.8],
        "space_type": "cosinesimil",
    }
    filters = script["query"]["bool"]["filter"]
    assert filters[:2] == PARTNER_FILTERS
    assert {"terms": {"category": ["Juices"]}} in filters
    assert {"exists": {"field": TEXT_VECTOR_FIELD}} in filters
    assert body["min_score"] == 1.35  # the script scores 1 + cosine
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"file_type": ["PNG"]}}]}}
    assert body["_source"] == {"excludes": [VECTOR_FIELD, TEXT_VECTOR_FIELD]}


def test_image_vector_queries_keep_their_field_and_no_floor() -> None:
    body = to_opensearch(PortalQuery(vector=(1.0, 0.0)), analysis=EN)
    assert _script(body)["script"]["params"]["field"] == VECTOR_FIELD
    assert {"exists": {"field": VECTOR_FIELD}} in _script(body)["query"]["bool"]["filter"]
    assert "min_score" not in body


def test_the_hybrid_query_puts_words_and_knn_under_the_same_filters() -> None:
    q = PortalQuery(
        text="sweatshirt",
        viewer_role="partner",
        now=1000.0,
        filters={"category": ["Hoodies"]},
        facets=("category",),
        synonyms={"sweatshirt": ("hoodie",)},
    )
    body = to_opensearch_hybrid(q, [0.6, 0.8], 0.35, analysis=EN)
    lexical, knn = body["query"]["hybrid"]["queries"]
    assert lexical["bool"]["filter"][:2] == PARTNER_FILTERS
    assert "hoodie" in str(lexical["bool"]["must"])
    inner = knn["knn"][TEXT_VECTOR_FIELD]
    assert inner["vector"] == [0.6, 0.8]
    assert inner["min_score"] == (1 + 0.35) / 2
    assert inner["filter"] == {"bool": {"filter": lexical["bool"]["filter"]}}
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"category": ["Hoodies"]}}]}}
    assert "category" in body["aggs"]
    assert (body["from"], body["size"]) == (0, 24)


def test_the_hybrid_query_needs_text() -> None:
    with pytest.raises(ValueError):
        to_opensearch_hybrid(PortalQuery(), [1.0], 0.35)
