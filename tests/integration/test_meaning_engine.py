"""Meaning search in the embedded engine: text vectors stored (base, tail, compaction, delete), searched over
the filtered set with a floor, and fused with word hits; what a role may not see never comes back through
meaning, and totals and facets count only what the viewer may see.

The vectors here are written by hand (a real engine, real files): the semantics under test do not depend on
which model made them. ``test_meaning_search.py`` runs the packaged MiniLM end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.engines.embedded import EmbeddedEngine
from indexer.meaning import hybrid_meaning_search
from indexer.query import PortalQuery
from indexer.schema import TEXT_VECTOR_FIELD

# Three "directions": clothing, drinks, paint.
CLOTHING = [1.0, 0.0, 0.0, 0.0]
DRINK = [0.0, 1.0, 0.0, 0.0]
PAINT = [0.0, 0.0, 1.0, 0.0]


def _doc(
    i: int,
    title: str,
    vector: list[float] | None,
    *,
    status: str = "approved",
    visibility: str = "public",
    expire: float | None = None,
    category: str = "Misc",
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": i,
        "title": title,
        "status": status,
        "public_status": status,
        "visibility": visibility,
        "category": [category],
        "created_at": 1_700_000_000 + i,
        "rights_expire_at": expire,
    }
    if vector is not None:
        doc[TEXT_VECTOR_FIELD] = vector
    return doc


def _near(base: list[float], cos: float) -> list[float]:
    """A unit vector at cosine ``cos`` from ``base`` (tilted towards the last axis)."""
    out = np.asarray(base, dtype=np.float64) * cos
    out[3] = float(np.sqrt(max(0.0, 1 - cos**2)))
    return out.tolist()


@pytest.fixture
def engine(tmp_path: Path) -> EmbeddedEngine:
    eng = EmbeddedEngine(tmp_path / "index")
    eng.rebuild(
        [
            _doc(1, "Black Hoodie", CLOTHING, category="Hoodies"),
            _doc(2, "Polo Shirt", _near(CLOTHING, 0.85), category="Shirts"),
            _doc(3, "Apple Juice", DRINK, category="Juices"),
            _doc(4, "Red Wine", _near(DRINK, 0.85), category="Alcohol"),
            _doc(5, "Internal Juice", DRINK, visibility="internal", category="Juices"),
            _doc(6, "Draft Juice", DRINK, status="draft", category="Juices"),
            _doc(7, "Expired Juice", DRINK, expire=1000.0, category="Juices"),
            _doc(8, "Partner Juice", DRINK, visibility="partner", category="Juices"),
            _doc(9, "Nebula Paint", PAINT, category="Paints"),
            _doc(10, "No vector", None),
        ]
    )
    return eng


def _meaning(vector: list[float], role: str | None, floor: float = 0.4, **extra: Any) -> PortalQuery:
    return PortalQuery(
        vector=tuple(vector), vector_field=TEXT_VECTOR_FIELD, min_score=floor, viewer_role=role, **extra
    )


def test_meaning_query_keeps_hits_above_the_floor_by_cosine(engine: EmbeddedEngine) -> None:
    result = engine.search(_meaning(CLOTHING, "admin", facets=("category",)))
    assert result.ids == [1, 2] and result.total == 2
    assert result.hits[0].score == pytest.approx(1.0)
    assert result.hits[1].score == pytest.approx(0.85, abs=1e-5)
    assert TEXT_VECTOR_FIELD not in result.hits[0].doc
    assert {v.value: v.count for v in result.facets["category"]} == {"Hoodies": 1, "Shirts": 1}
    assert engine.search(_meaning(CLOTHING, "admin", floor=0.9)).ids == [1]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", {3, 4, 5, 6, 7, 8}), ("partner", {3, 4, 8}), (None, {3, 4})],
)
def test_meaning_hits_pass_the_same_permission_as_words(
    engine: EmbeddedEngine, role: str | None, expected: set[int]
) -> None:
    q = _meaning(DRINK, role, now=2000.0, facets=("category",))
    result = engine.search(q)
    assert set(result.ids) == expected and result.total == len(expected)
    counted = sum(v.count for v in result.facets["category"])
    assert counted == len(expected)
    fused = hybrid_meaning_search(
        engine.search, PortalQuery(text="beverage", viewer_role=role, now=2000.0), DRINK, 0.4
    )
    assert set(fused.ids) == expected and fused.total == len(expected)
    assert all(hit.matched_by == "meaning" for hit in fused.hits)


def test_filters_apply_to_meaning_hits(engine: EmbeddedEngine) -> None:
    q = _meaning(DRINK, "admin", filters={"category": ["Alcohol"]})
    assert engine.search(q).ids == [4]


def test_word_hits_stay_first_and_meaning_adds_related_ones(engine: EmbeddedEngine) -> None:
    fused = hybrid_meaning_search(engine.search, PortalQuery(text="hoodie", viewer_role=None), CLOTHING, 0.4)
    assert fused.ids == [1, 2]
    assert [h.matched_by for h in fused.hits] == ["words+meaning", "meaning"]
    assert fused.total == 2
    # Nothing above the floor: word hits only (no flood of weak matches).
    fused = hybrid_meaning_search(engine.search, PortalQuery(text="hoodie"), [-1.0, -1.0, -1.0, 0.0], 0.4)
    assert fused.ids == [1] and fused.total == 1
    # Far below the best meaning hit (more than the relative margin): left out even above the floor.
    engine.index([_doc(12, "Tote bag", _near(CLOTHING, 0.5))])
    assert 12 in engine.search(_meaning(CLOTHING, None)).ids
    fused = hybrid_meaning_search(engine.search, PortalQuery(text="hoodie"), CLOTHING, 0.4)
    assert fused.ids == [1, 2]


def test_text_vectors_survive_tail_updates_compaction_and_deletes(engine: EmbeddedEngine) -> None:
    engine.index([_doc(11, "Orange Juice", DRINK), _doc(1, "Black Hoodie", PAINT)])
    drinks = set(engine.search(_meaning(DRINK, None, floor=0.9)).ids)
    assert drinks == {3, 11}
    assert 1 in engine.search(_meaning(PAINT, None, floor=0.9)).ids  # the replaced vector wins
    engine.delete([3])
    assert set(engine.search(_meaning(DRINK, None, floor=0.9)).ids) == {11}
    snap = engine._snapshot()
    engine._compact(snap)
    assert set(engine.search(_meaning(DRINK, None, floor=0.9)).ids) == {11}
    assert set(engine.search(_meaning(PAINT, None, floor=0.9)).ids) == {1, 9}


def test_a_text_vector_of_another_length_finds_nothing(engine: EmbeddedEngine) -> None:
    assert engine.search(_meaning([1.0, 0.0], "admin")).ids == []


def test_clip_text_to_image_scores_join_the_fusion_above_their_floor(tmp_path: Path) -> None:
    eng = EmbeddedEngine(tmp_path / "clip")
    image = {1: [1.0, 0.0], 2: [0.28, 0.96], 3: [0.1, 0.995]}  # cosines to the query: 1.0, 0.28, 0.1
    docs = [_doc(i, f"Asset {i}", None) | {"vector": v} for i, v in image.items()]
    docs.append(_doc(4, "Hidden", None, visibility="internal") | {"vector": [1.0, 0.0]})
    eng.rebuild(docs)
    fused = hybrid_meaning_search(
        eng.search, PortalQuery(text="zebra"), CLOTHING, 0.4, clip_vector=[1.0, 0.0]
    )
    assert fused.ids == [1, 2]  # 3 is below CLIP's floor, 4 is not the public's to see
    assert all(hit.matched_by == "meaning" for hit in fused.hits)
