"""When meaning search waits for the query embedding: it is asked for only after the word hits are in,
never for a query that is exactly the best word hit's article number or model code, and an unavailable
model leaves the word hits; run beside the word search (an executor), the meaning search gives the same
result and an exact article number still does not wait for it (real embedded engine, hand-written
vectors as in ``test_meaning_engine.py``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from indexer.engines.embedded import EmbeddedEngine
from indexer.meaning import exact_code, hybrid_meaning_search
from indexer.query import FacetValue, PortalQuery, SearchResult
from indexer.schema import TEXT_VECTOR_FIELD

CLOTHING = [1.0, 0.0, 0.0]
NEAR = [0.8, 0.6, 0.0]


def _doc(i: int, title: str, vector: list[float], article: str) -> dict[str, Any]:
    return {
        "id": i,
        "title": title,
        "status": "approved",
        "public_status": "approved",
        "visibility": "public",
        "created_at": 1_700_000_000 + i,
        "article_numbers": [article],
        "model_codes": [f"MOD-{i}"],
        TEXT_VECTOR_FIELD: vector,
    }


@pytest.fixture
def engine(tmp_path: Path) -> EmbeddedEngine:
    eng = EmbeddedEngine(tmp_path / "index")
    eng.rebuild(
        [
            _doc(1, "Black Hoodie", CLOTHING, "AB-1234.56"),
            _doc(2, "Polo Shirt", NEAR, "AB-1234.57"),
            _doc(3, "Grey Sweater", NEAR, "CD-9999.01"),
        ]
    )
    return eng


def test_the_embedding_is_asked_for_after_the_word_hits(engine: EmbeddedEngine) -> None:
    calls: list[str] = []

    def search(q: PortalQuery) -> SearchResult:
        calls.append("vector" if q.vector is not None else "words")
        return engine.search(q)

    def vector() -> Sequence[float]:
        calls.append("embedding")
        return CLOTHING

    fused = hybrid_meaning_search(search, PortalQuery(text="hoodie"), vector, 0.4)
    assert calls == ["words", "embedding", "vector"]
    assert fused.ids == [1, 2, 3] and fused.hits[1].matched_by == "meaning"


@pytest.mark.parametrize("text", ["AB-1234.56", "ab 1234 56", "ab123456", "mod 1"])
def test_an_exact_article_number_is_answered_by_words_alone(engine: EmbeddedEngine, text: str) -> None:
    def vector() -> Sequence[float]:
        raise AssertionError("an exact article number must not wait for the embedding")

    fused = hybrid_meaning_search(engine.search, PortalQuery(text=text), vector, 0.4)
    assert fused.ids == [1] and fused.total == 1
    assert exact_code(text, engine.search(PortalQuery(text=text)).hits)


def test_fragments_and_words_still_get_meaning(engine: EmbeddedEngine) -> None:
    words = engine.search(PortalQuery(text="AB-1234")).hits
    assert words and not exact_code("AB-1234", words)  # a prefix of two article numbers
    assert not exact_code("hoodie", engine.search(PortalQuery(text="hoodie")).hits)
    assert not exact_code("AB-1234.56", [])
    fused = hybrid_meaning_search(engine.search, PortalQuery(text="AB-1234"), lambda: CLOTHING, 0.4)
    assert set(fused.ids) == {1, 2, 3}


def test_an_unavailable_model_leaves_the_word_hits(engine: EmbeddedEngine) -> None:
    fused = hybrid_meaning_search(engine.search, PortalQuery(text="hoodie", size=1), lambda: None, 0.4)
    assert fused.ids == [1] and fused.total == 1
    assert engine.search(PortalQuery(text="hoodie", size=1)).ids == fused.ids


@pytest.mark.parametrize("text", ["hoodie", "AB-1234", "shirt", "sweater", "jumper", "grey"])
def test_meaning_beside_the_word_search_gives_the_same_result(engine: EmbeddedEngine, text: str) -> None:
    query = PortalQuery(text=text, facets=("status", "visibility"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        beside = hybrid_meaning_search(engine.search, query, lambda: NEAR, 0.4, executor=pool)
    after = hybrid_meaning_search(engine.search, query, lambda: NEAR, 0.4)
    assert beside == after
    assert beside.facets["status"]  # from the word search, or the meaning search when no word matched


def test_a_query_no_word_matches_gets_the_meaning_hits_facets(engine: EmbeddedEngine) -> None:
    query = PortalQuery(text="jumper", facets=("visibility",))
    with ThreadPoolExecutor(max_workers=2) as pool:
        fused = hybrid_meaning_search(engine.search, query, lambda: CLOTHING, 0.4, executor=pool)
    assert fused.ids == [1, 2, 3] and all(h.matched_by == "meaning" for h in fused.hits)
    assert fused.facets == {"visibility": [FacetValue("public", 3)]}


def test_an_exact_article_number_does_not_wait_for_the_meaning_search(engine: EmbeddedEngine) -> None:
    release = threading.Event()

    def vector() -> Sequence[float]:
        release.wait(10)
        return CLOTHING

    with ThreadPoolExecutor(max_workers=1) as pool:
        fused = hybrid_meaning_search(
            engine.search, PortalQuery(text="AB-1234.56"), vector, 0.4, executor=pool
        )
        assert fused.ids == [1] and fused.total == 1  # answered while the embedding still waits
        release.set()
