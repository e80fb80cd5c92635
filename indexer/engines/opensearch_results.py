"""OpenSearch answers read back into the engine-neutral ``SearchResult`` (hits, scores, facet buckets)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from indexer.query import FacetValue, PortalQuery, SearchHit, SearchResult, effective_sort


def parse_response(q: PortalQuery, response: Mapping[str, Any]) -> SearchResult:
    """The ``_search`` answer for ``q`` as a ``SearchResult``: sources flattened like the indexed documents,
    vector scores as plain cosines, the facets ``q`` asked for."""
    scored = effective_sort(q) == "relevance"
    hits = []
    for item in response["hits"]["hits"]:
        source = flat_source(item.get("_source") or {})
        score = item.get("_score") if scored else None
        if score is not None and q.has_vector:
            score = float(score) - 1.0  # the cosinesimil script scores 1 + cosine
        hits.append(
            SearchHit(int(source.get("id", item["_id"])), None if score is None else float(score), source)
        )
    aggregations = response.get("aggregations") or {}
    facets = {
        name: [
            FacetValue(str(bucket["key"]), int(bucket["doc_count"]))
            for bucket in aggregations.get(name, {}).get("values", {}).get("buckets", [])
        ]
        for name in q.facets
    }
    total = response["hits"]["total"]
    return SearchResult(int(total["value"] if isinstance(total, Mapping) else total), hits, facets)


def flat_source(source: Mapping[str, Any]) -> dict[str, Any]:
    """The document as indexed: derived fields dropped, ``attr`` objects back to ``attr.<name>`` keys (a
    cluster may return dotted names expanded into objects)."""
    out = {k: v for k, v in source.items() if k not in ("name_sort", "attr")}
    attrs = source.get("attr")
    if isinstance(attrs, Mapping):
        out.update({f"attr.{name}": value for name, value in attrs.items()})
    return out
