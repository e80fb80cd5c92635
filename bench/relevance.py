"""Search relevance on the demo catalogue: a judged query set (``relevance/judged.csv``) per query class.

Each demo image becomes the search document the portal builds for it (linked by its file name's article
number, titled by its product, approved and public); each query runs as an anonymous visitor with the
default synonym list and ``en,de`` analysis. Prints success@5, MRR@10 and nDCG@10 per class, and, when
osmem-server is installed, how often the OpenSearch compiler gives the same top 5.

Meaning search (``indexer.meaning``): each document carries the packaged MiniLM's embedding of its text, and
queries fuse the word hits with the meaning hits above the floor; the table is printed with meaning search
(the portal's default) and without it (words only), so the two can be compared.
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from indexer import variants
from indexer.analysis import Analysis
from indexer.documents import inherited_fields
from indexer.engines import SearchEngine
from indexer.engines.embedded import EmbeddedEngine
from indexer.meaning import DEFAULT_FLOOR, attach_text_vectors, hybrid_meaning_search
from indexer.query import PortalQuery
from indexer.schema import LOCALIZED_NAMES_FIELD, attr_field, attr_values
from indexer.synonyms import default_expansions
from portal.services.catalog import product_locales

CATALOG = Path(__file__).resolve().parent.parent / "portal" / "demo" / "catalog"
JUDGED = Path(__file__).resolve().parent / "relevance" / "judged.csv"
ANALYSIS = Analysis(("en", "de"))


def _localized_names() -> dict[str, list[str]]:
    """Article number -> its names in other languages, from the demo's localized import file (the same
    column reading as the product import: ``name-de_DE`` and ``name@fr``)."""
    out: dict[str, list[str]] = {}
    with open(CATALOG / "products_i18n.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for key, value in row.items():
                parsed = product_locales.parse_column(key)
                if parsed is not None and parsed[0] == "name" and value:
                    out.setdefault(row["sku"], []).append(value)
    return out


def _attribute_values(product: dict[str, str]) -> list[str]:
    return [v for value in json.loads(product["attributes"] or "{}").values() for v in attr_values(value)]


def demo_documents() -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The demo images as search documents, and each document's model code.

    Built as ``indexer.documents`` builds them: each image serves its own variant and, by variant
    inheritance (``indexer.variants``), the sibling variants without an image of their own; names in other
    languages are searched too."""
    with open(CATALOG / "products.csv", encoding="utf-8") as handle:
        products = {row["article_number"]: row for row in csv.DictReader(handle)}
    localized = _localized_names()
    with open(CATALOG / "images.csv", encoding="utf-8") as handle:
        links = [(n, r["file"].split("_")[0], None, "image") for n, r in enumerate(csv.DictReader(handle), 1)]
    inheritance = variants.compute(((a, p["model_code"]) for a, p in products.items()), links).by_asset()
    attributes = {a: _attribute_values(p) for a, p in products.items()}
    docs, models = [], {}
    with open(CATALOG / "images.csv", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            article = row["file"].split("_")[0]
            product = products[article]
            doc: dict[str, Any] = {
                "id": number,
                "title": product["name"],
                "original_filename": row["file"],
                "article_numbers": [article],
                "model_codes": [product["model_code"]],
                "product_names": [product["name"]],
                "category": [product["category"]],
                "product_type": [product["product_type"]],
                "brand": [],
                "tags": [],
                "status": "approved",
                "public_status": "approved",
                "visibility": "public",
                "file_type": "PNG",
                "created_at": 1_700_000_000 + number,
            }
            for name, value in json.loads(product["attributes"] or "{}").items():
                field = attr_field(name)
                if field:
                    doc[field] = attr_values(value)
            doc[LOCALIZED_NAMES_FIELD] = localized.get(article, [])
            doc.update(inherited_fields(inheritance.get(number, {}), attributes))
            docs.append(doc)
            models[number] = product["model_code"]
    return docs, models


def judged() -> list[dict[str, Any]]:
    """The judged queries: class, query, relevant model codes."""
    with open(JUDGED, encoding="utf-8") as handle:
        return [
            {"class": r["class"], "query": r["query"], "relevant": set(r["relevant"].split())}
            for r in csv.DictReader(handle)
        ]


def _metrics(ranked: list[str], relevant: set[str], total_relevant: int) -> tuple[float, float, float]:
    success = 1.0 if any(m in relevant for m in ranked[:5]) else 0.0
    rr = next((1.0 / (i + 1) for i, m in enumerate(ranked[:10]) if m in relevant), 0.0)
    dcg = sum(1.0 / math.log2(i + 2) for i, m in enumerate(ranked[:10]) if m in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(total_relevant, 10)))
    return success, rr, dcg / ideal if ideal else 0.0


def evaluate(search: Callable[[PortalQuery], list[int]], models: dict[int, str]) -> list[dict[str, Any]]:
    """Per-query metrics of a search function (query -> ranked ids)."""
    counts: dict[str, int] = {}
    for model in models.values():
        counts[model] = counts.get(model, 0) + 1
    synonyms = default_expansions()
    out = []
    for item in judged():
        q = PortalQuery(text=item["query"], viewer_role=None, facets=(), size=10, synonyms=synonyms)
        ids = search(q)
        ranked = [models[i] for i in ids]
        total = sum(counts.get(m, 0) for m in item["relevant"])
        success, rr, ndcg = _metrics(ranked, item["relevant"], total)
        out.append({**item, "ids": ids, "success5": success, "rr10": rr, "ndcg10": ndcg})
    return out


def summary(per_query: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """success@5, MRR@10 and nDCG@10 per class and overall."""
    rows = []
    classes = sorted({r["class"] for r in per_query})
    for name in [*classes, "overall"]:
        items = [r for r in per_query if name in ("overall", r["class"])]
        rows.append(
            {
                "class": name,
                "queries": len(items),
                "success@5": sum(r["success5"] for r in items) / len(items),
                "MRR@10": sum(r["rr10"] for r in items) / len(items),
                "nDCG@10": sum(r["ndcg10"] for r in items) / len(items),
            }
        )
    return rows


def _engine_search(engine: SearchEngine) -> Callable[[PortalQuery], list[int]]:
    return lambda q: engine.search(q).ids


def _encode(texts: Sequence[str]) -> list[list[float]]:
    from tagging.classmap import encode_phrases

    return [row.tolist() for row in encode_phrases(list(texts))]


def _meaning_search(engine: SearchEngine, floor: float) -> Callable[[PortalQuery], list[int]]:
    cache: dict[str, list[float]] = {}

    def search(q: PortalQuery) -> list[int]:
        if q.text not in cache:
            cache[q.text] = _encode([q.text])[0]
        return hybrid_meaning_search(engine.search, q, cache[q.text], floor).ids

    return search


def run(floor: float = DEFAULT_FLOOR) -> dict[str, Any]:
    """Evaluate the embedded engine with and without meaning search (and osmem-server's top 5 agreement
    of the word search when available)."""
    docs, models = demo_documents()
    word_docs = [dict(doc) for doc in docs]
    attach_text_vectors(docs, _encode)
    with tempfile.TemporaryDirectory(prefix="assetport-relevance-") as tmp:
        engine = EmbeddedEngine(Path(tmp), analysis=ANALYSIS)
        engine.rebuild(docs)
        words_only = evaluate(_engine_search(engine), models)
        per_query = evaluate(_meaning_search(engine, floor), models)
        engine.close()
    misses = [f"{r['class']}: {r['query']!r}" for r in per_query if not r["success5"]]
    agreement = _osmem_agreement(word_docs, models, words_only)
    return {
        "rows": summary(per_query),
        "words_only_rows": summary(words_only),
        "floor": floor,
        "misses": misses,
        "words_only_misses": [f"{r['class']}: {r['query']!r}" for r in words_only if not r["success5"]],
        "opensearch_top5": agreement,
    }


def _osmem_agreement(
    docs: list[dict[str, Any]], models: dict[int, str], per_query: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """How many queries give the same top-5 set through the OpenSearch compiler on osmem-server (English
    analysis: its German Snowball filter is not usable)."""
    try:
        from osmem_server import OsmemServer

        from indexer.engines.opensearch import OpenSearchEngine
    except ImportError:
        return None
    with OsmemServer.start() as server:
        engine = OpenSearchEngine(server.url, prefix="relevance", analysis=Analysis(("en",)))
        engine.rebuild(docs)
        engine.refresh()
        theirs = evaluate(_engine_search(engine), models)
        engine.close()
    same = [
        a["query"] for a, b in zip(per_query, theirs, strict=True) if set(a["ids"][:5]) == set(b["ids"][:5])
    ]
    return {
        "queries": len(per_query),
        "same_top5": len(same),
        "opensearch_rows": summary(theirs),
    }
