"""Filters pushed into tantivy's ranking query (embedded engine) are a shortcut only: every page, score,
total and facet is the same as ranking without them, for staff and for roles with a permission filter, on
a fresh index and with a tail of changed documents."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from indexer.engines import embedded_text
from indexer.engines.embedded import EmbeddedEngine
from indexer.query import PortalQuery

COLOURS = ["red", "blue", "green", "black"]
STATUSES = ["approved", "approved", "draft"]
VISIBILITY = ["internal", "partner", "public"]


def _doc(i: int, rng: random.Random, category: str | None = None) -> dict[str, Any]:
    status = rng.choice(STATUSES)
    return {
        "id": i,
        "title": f"{rng.choice(['Classic', 'Modern'])} shirt {rng.choice(COLOURS)}",
        "description": "classic " * rng.randrange(1, 4),
        "category": category or f"Category {i % 40:02d}",
        "file_type": rng.choice(["JPEG", "JPEG", "PNG"]),
        "attr.colour": [rng.choice(COLOURS)],
        "status": status,
        "public_status": status,
        "visibility": rng.choice(VISIBILITY),
        "created_at": 1000 + i,
    }


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEngine]:
    """3,000 documents matching "classic" (so a filtered page would fetch far more than it keeps), then a
    tail that moves some into another category."""
    rng = random.Random(12)
    found = EmbeddedEngine(tmp_path_factory.mktemp("pushed"))
    found.rebuild(_doc(i, rng) for i in range(1, 3001))
    found.index(_doc(i, rng, category="Category 07") for i in range(1, 3001, 97))
    found.refresh()
    yield found
    found.close()


def _both(engine: EmbeddedEngine, q: PortalQuery) -> tuple[Any, Any]:
    try:
        embedded_text.PUSH_FILTERS = True
        pushed = engine.search(q)
        embedded_text.PUSH_FILTERS = False
        plain = engine.search(q)
    finally:
        embedded_text.PUSH_FILTERS = True
    return pushed, plain


@pytest.mark.parametrize("role", ["admin", "partner", None])
@pytest.mark.parametrize(
    "filters",
    [
        {"category": ("Category 07",)},
        {"category": ("Category 07", "Category 11"), "file_type": ("PNG",)},
        {"attr.colour": ("red",), "category": ("Category 03",)},
        {"visibility": ("public",), "category": ("Category 21",)},
        {"category": ("No such category",)},
    ],
)
def test_pushed_filters_change_nothing(engine: EmbeddedEngine, role: str | None, filters: Any) -> None:
    for page in (1, 3):
        q = PortalQuery(
            text="classic",
            filters=filters,
            facets=("category", "file_type"),
            size=24,
            page=page,
            viewer_role=role,
        )
        pushed, plain = _both(engine, q)
        assert [(h.id, h.score) for h in pushed.hits] == [(h.id, h.score) for h in plain.hits]
        assert (pushed.total, pushed.facets) == (plain.total, plain.facets)
    if filters.get("category") == ("Category 07",) and role == "admin":
        assert pushed.total > 30 and len(pushed.hits) == 24  # the tail's moved documents are found


def test_partner_queries_push_the_filters_and_the_permission(
    engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, tuple[str, ...]]] = []
    original = embedded_text.TextIndex.filter_query

    def recording(self: embedded_text.TextIndex, filters: Any) -> Any:
        seen.append(dict(filters))
        return original(self, filters)

    monkeypatch.setattr(embedded_text.TextIndex, "filter_query", recording)
    q = PortalQuery(text="classic", filters={"category": ("Category 07",)}, size=24, viewer_role="partner")
    assert engine.search(q).hits
    assert seen == [
        {"category": ("Category 07",), "public_status": ("approved",), "visibility": ("partner", "public")}
    ]
    seen.clear()
    engine.search(PortalQuery(text="classic", size=10, viewer_role="admin"))  # nothing filtered out: no push
    assert seen == []
