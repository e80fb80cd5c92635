"""PortalQuery validation, the OpenSearch DSL it compiles to, RRF fusion, schema helpers (no cluster)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from indexer.compile_os import index_mapping, permission_filters, to_opensearch
from indexer.engines import SearchEngine, open_engine
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.fusion import fuse_rrf
from indexer.query import PortalQuery, SearchHit, effective_sort, permission_for
from indexer.schema import EXACT_ARTICLE_BOOST, attr_field, attr_values, megapixel_band, name_sort_key

NOW = 1_700_000_000.0


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body["query"]["bool"]["filter"])


@pytest.mark.parametrize("role", [None, "partner", "editor", "manager", "admin"])
def test_every_role_gets_its_permission_filter(role: str | None) -> None:
    body = to_opensearch(PortalQuery(text="chair", viewer_role=role, now=NOW))
    expected = permission_filters(PortalQuery(viewer_role=role, now=NOW))
    assert _filters(body)[: len(expected)] == expected
    if role in ("editor", "manager", "admin"):
        assert expected == []  # staff see every asset in every state
        return
    visibilities = ["partner", "public"] if role == "partner" else ["public"]
    assert {"terms": {"public_status": ["approved"]}} in expected
    assert {"terms": {"visibility": visibilities}} in expected
    expiry = expected[-1]["bool"]
    assert expiry["minimum_should_match"] == 1
    assert {"range": {"rights_expire_at": {"gt": NOW}}} in expiry["should"]
    assert {"bool": {"must_not": [{"exists": {"field": "rights_expire_at"}}]}} in expiry["should"]


def test_permission_rule_mirrors_the_policy() -> None:
    assert permission_for("admin").unrestricted
    assert permission_for("partner").visibilities == ("partner", "public")
    assert permission_for(None).visibilities == ("public",)
    with pytest.raises(ValueError, match="unknown viewer role"):
        PortalQuery(viewer_role="boss")


def test_permission_stays_when_filters_ask_for_hidden_states() -> None:
    body = to_opensearch(PortalQuery(viewer_role="partner", filters={"status": ("draft",)}, now=NOW))
    assert {"terms": {"public_status": ["approved"]}} in _filters(body)
    assert {"terms": {"status": ["draft"]}} in _filters(body)  # not a requested facet: a query filter
    faceted = to_opensearch(
        PortalQuery(viewer_role="partner", filters={"status": ("draft",)}, facets=("status",), now=NOW)
    )
    # The status facet counts released assets only.
    assert {"terms": {"public_status": ["approved"]}} in _filters(faceted)
    assert faceted["post_filter"] == {"bool": {"filter": [{"terms": {"status": ["draft"]}}]}}


def test_disjunctive_facets_exclude_only_their_own_selection() -> None:
    q = PortalQuery(
        filters={"file_type": ("JPEG", "PNG"), "tags": ("outdoor",), "brand": ("Lumo",)},
        facets=("file_type", "tags", "orientation"),
        now=NOW,
    )
    body = to_opensearch(q)
    file_type = {"terms": {"file_type": ["JPEG", "PNG"]}}
    tags = {"terms": {"tags": ["outdoor"]}}
    brand = {"terms": {"brand": ["Lumo"]}}
    # brand is not a requested facet: it narrows everything, in the query itself.
    assert brand in _filters(body)
    assert body["post_filter"] == {"bool": {"filter": [file_type, tags]}}
    aggs = body["aggs"]
    assert aggs["file_type"]["filter"] == {"bool": {"filter": [tags]}}
    assert aggs["tags"]["filter"] == {"bool": {"filter": [file_type]}}
    assert aggs["orientation"]["filter"] == {"bool": {"filter": [file_type, tags]}}
    terms = aggs["tags"]["aggs"]["values"]["terms"]
    assert terms["field"] == "tags" and terms["size"] == 10
    assert terms["order"] == [{"_count": "desc"}, {"_key": "asc"}]


def test_unfiltered_facets_count_everything_the_query_matches() -> None:
    body = to_opensearch(PortalQuery(facets=("attr.colour",), now=NOW))
    assert "post_filter" not in body
    assert body["aggs"]["attr.colour"]["filter"] == {"match_all": {}}
    assert "aggs" not in to_opensearch(PortalQuery(facets=(), now=NOW))


@pytest.mark.parametrize(
    ("sort", "text", "expected"),
    [
        ("relevance", "chair", [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]),
        ("relevance", "", [{"created_at": {"order": "desc"}}, {"id": {"order": "desc"}}]),
        ("newest", "chair", [{"created_at": {"order": "desc"}}, {"id": {"order": "desc"}}]),
        ("oldest", "", [{"created_at": {"order": "asc"}}, {"id": {"order": "asc"}}]),
        ("name", "", [{"name_sort": {"order": "asc"}}, {"id": {"order": "asc"}}]),
    ],
)
def test_every_sort_ends_in_a_unique_tie_break(sort: str, text: str, expected: list[dict[str, Any]]) -> None:
    assert to_opensearch(PortalQuery(text=text, sort=sort)).get("sort") == expected


def test_relevance_without_text_means_newest() -> None:
    assert effective_sort(PortalQuery()) == "newest"
    assert effective_sort(PortalQuery(vector=(1.0, 0.0))) == "relevance"


def test_text_words_and_an_exact_article_number_first() -> None:
    body = to_opensearch(PortalQuery(text="  404.038.96  ", now=NOW))
    options = body["query"]["bool"]["must"][0]["bool"]["should"]
    words = options[0]["bool"]["must"]
    assert len(words) == 3  # 404, 038, 96: every word
    exact = words[0]["bool"]["should"][0]["multi_match"]
    assert exact["query"] == "404"
    wanted = {"title^3", "article_numbers.text^5", "product_names.text^2", "tags.text^2"}
    assert wanted <= set(exact["fields"])
    assert options[-1]["constant_score"]["boost"] == EXACT_ARTICLE_BOOST
    assert options[-1]["constant_score"]["filter"]["bool"]["should"][0] == {
        "term": {"article_numbers.norm": "40403896"}
    }
    assert "must" not in to_opensearch(PortalQuery())["query"]["bool"]


def test_paging_from_size_and_search_after() -> None:
    body = to_opensearch(PortalQuery(page=3, size=24))
    assert (body["from"], body["size"], body["track_total_hits"]) == (48, 24, True)
    after = to_opensearch(PortalQuery(page=900, size=24), search_after=[1_700_000_000, 42])
    assert after["search_after"] == [1_700_000_000, 42] and "from" not in after
    assert body["_source"] == {"excludes": ["vector", "text_vector"]}


def test_vector_queries_score_cosine_over_the_filtered_set() -> None:
    body = to_opensearch(PortalQuery(vector=(1.0, 2.0), filters={"brand": ("Lumo",)}, facets=(), now=NOW))
    script = body["query"]["script_score"]
    assert script["script"]["params"] == {
        "field": "vector",
        "query_value": [1.0, 2.0],
        "space_type": "cosinesimil",
    }
    inner = script["query"]["bool"]["filter"]
    assert {"exists": {"field": "vector"}} in inner and {"terms": {"brand": ["Lumo"]}} in inner
    similar = to_opensearch(PortalQuery(similar_to=7, facets=()), vector=[0.5, 0.5])
    assert similar["query"]["script_score"]["query"]["bool"]["must_not"] == [{"term": {"id": 7}}]
    with pytest.raises(ValueError, match="needs the asset's vector"):
        to_opensearch(PortalQuery(similar_to=7))
    with pytest.raises(ValueError, match="fused"):
        to_opensearch(PortalQuery(text="chair", vector=(1.0,)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sort": "price"}, "unknown sort 'price'"),
        ({"facets": ("colour",)}, "unknown facet 'colour'"),
        ({"facets": ("attr.Bad Name",)}, "unknown facet"),
        ({"filters": {"password": ["x"]}}, "unknown filter field"),
        ({"size": 0}, "size must be"),
        ({"size": 201}, "size must be"),
        ({"page": 0}, "page must be"),
        ({"facet_size": 0}, "facet_size must be"),
        ({"vector": (0.0, 0.0)}, "all zeros"),
        ({"vector": (float("nan"),)}, "finite"),
        ({"vector": (1.0,), "similar_to": 3}, "either vector or similar_to"),
        ({"text": "x" * 1001}, "longer than"),
    ],
)
def test_invalid_queries_are_refused_with_a_clear_message(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PortalQuery(**kwargs)


def test_query_normalises_its_input() -> None:
    q = PortalQuery(
        text="  red   chair ", filters={"tags": ("a", "a", "b"), "brand": ()}, facets=("tags", "tags")
    )
    assert q.text == "red chair"
    assert q.filters == {"tags": ("a", "b")}
    assert q.facets == ("tags",)
    assert PortalQuery(page=100_000).offset == 2_399_976  # deep paging is allowed


def test_index_mapping() -> None:
    mapping = index_mapping()
    props = mapping["properties"]
    assert props["tags"] == {
        "type": "keyword",
        "fields": {
            "text": {"type": "text", "analyzer": "portal_text"},
            "en": {"type": "text", "analyzer": "portal_text_en"},
        },
    }
    assert props["title"]["fields"]["keyword"] == {"type": "keyword"}
    assert props["name_sort"] == {"type": "keyword"} and props["created_at"] == {"type": "long"}
    assert mapping["dynamic_templates"][0]["attributes"] == {
        "path_match": "attr.*",
        "mapping": {"type": "keyword", "copy_to": "attr_text"},
    }
    assert "vector" not in props
    assert index_mapping(512)["properties"]["vector"]["type"] == "knn_vector"
    assert index_mapping(512)["properties"]["vector"]["dimension"] == 512
    # Compact vectors: Lucene HNSW with cosine and its 7-bit scalar quantizer (pinned).
    assert index_mapping(1280)["properties"]["vector"]["method"] == {
        "name": "hnsw",
        "space_type": "cosinesimil",
        "engine": "lucene",
        "parameters": {"encoder": {"name": "sq", "parameters": {"bits": 7}}},
    }


def _hit(i: int) -> SearchHit:
    return SearchHit(i, 1.0, {"id": i})


def test_rrf_fusion() -> None:
    fused = fuse_rrf([_hit(1), _hit(2), _hit(3)], [_hit(3), _hit(4), _hit(1)])
    assert [h.id for h in fused] == [1, 3, 2, 4]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 63)
    assert [h.id for h in fuse_rrf([_hit(2)], [_hit(1)])] == [1, 2]  # equal scores: by id
    assert fuse_rrf([], []) == []
    with pytest.raises(ValueError):
        fuse_rrf([_hit(1)], [], k=0)


def test_schema_helpers() -> None:
    assert megapixel_band(None, 10) is None
    assert [megapixel_band(w, 1000) for w in (999, 1000, 4000, 12_000, 24_000)] == [
        "<1 MP",
        "1-4 MP",
        "4-12 MP",
        "12-24 MP",
        ">24 MP",
    ]
    assert attr_field("Colour family") == "attr.colour_family"
    assert attr_field("Größe (cm)") == "attr.grosse_cm"
    assert attr_field("---") is None
    assert attr_values(["Red", " red ", None, 2.0, True, {"x": 1}]) == ["Red", "red", "2", "true"]
    assert name_sort_key("  Oak   Chair ") == "oak chair"


def test_open_engine_reads_search_urls(tmp_path: Path) -> None:
    embedded = open_engine(f"embedded://{tmp_path}/index")
    assert isinstance(embedded, EmbeddedEngine) and embedded.root == tmp_path / "index"
    assert isinstance(embedded, SearchEngine)
    remote = open_engine("https://search.example.com:9243/acme?dim=512")
    assert isinstance(remote, OpenSearchEngine) and isinstance(remote, SearchEngine)
    assert (remote.alias, remote.vector_dimension) == ("acme-assets", 512)
    assert open_engine("http://localhost:9200?prefix=demo").alias == "demo-assets"  # type: ignore[attr-defined]
    assert open_engine("http://localhost:9200").alias == "assetport-assets"  # type: ignore[attr-defined]
    for bad in ("ftp://host/x", "embedded://", "elastic"):
        with pytest.raises(ValueError):
            open_engine(bad)


def test_indexer_imports_neither_flask_nor_the_portal() -> None:
    modules = "indexer, indexer.sync, indexer.documents, indexer.engines.embedded, indexer.engines.opensearch"
    code = (
        f"import sys, {modules};"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'portal')); assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}
    )
