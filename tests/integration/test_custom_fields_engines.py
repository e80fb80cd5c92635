"""Custom field values in both search engines (embedded and osmem-server): facet counts, filters and
words of public fields agree; staff-only fields are faceted for staff only and never searched as words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from indexer.custom_fields import FieldSpec, Option, document_fields
from indexer.engines import SearchEngine
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.query import PortalQuery
from tests.integration.test_search_contract import osmem  # noqa: F401  (the session's osmem-server)

SEASON = FieldSpec(
    1,
    "season",
    "multi_select",
    {"en": "Season"},
    (Option("summer", {"en": "Summer", "de": "Sommer"}), Option("winter", {"en": "Winter"})),
    False,
    "all",
    True,
    True,
)
COST = FieldSpec(2, "cost_centre", "text", {"en": "Cost centre"}, (), False, "staff", False, True)
WEIGHT = FieldSpec(3, "weight", "number", {"en": "Weight"}, (), False, "all", False, True)
VALUES: list[dict[str, Any]] = [
    {"season": ["summer"], "cost_centre": "hiddenword", "weight": 2.0},
    {"season": ["summer", "winter"], "weight": 3},
    {"season": ["winter"]},
    {},
]


def _docs() -> list[dict[str, Any]]:
    docs = []
    for n, values in enumerate(VALUES, 1):
        doc: dict[str, Any] = {
            "id": n,
            "title": f"Asset {n}",
            "status": "approved",
            "public_status": "approved",
            "visibility": "partner",
            "created_at": 1_700_000_000 + n,
        }
        doc.update(document_fields([SEASON, COST, WEIGHT], values))
        docs.append(doc)
    return docs


@pytest.fixture(scope="module", params=["embedded", "osmem"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchEngine]:
    """Each engine with the four documents (a rebuild, then an update through ``index``)."""
    clone = None
    if request.param == "embedded":
        built: SearchEngine = EmbeddedEngine(tmp_path_factory.mktemp("cf-index"))
    else:
        clone = request.getfixturevalue("osmem").clone()
        built = OpenSearchEngine(clone.url, prefix="customfields")
    docs = _docs()
    built.rebuild(docs[:3])
    built.index(docs[3:])
    built.refresh()
    yield built
    built.close()
    if clone is not None:
        clone.close()


def _facets(engine: SearchEngine, role: str, **kw: Any) -> tuple[list[int], dict[str, list[tuple[str, int]]]]:
    result = engine.search(PortalQuery(viewer_role=role, **kw))
    facets = {name: sorted((v.value, v.count) for v in values) for name, values in result.facets.items()}
    return sorted(result.ids), facets


def test_documents_hold_facets_and_only_public_words() -> None:
    doc = _docs()[0]
    assert (
        doc["cf.season"] == ["summer"]
        and doc["cfs.cost_centre"] == ["hiddenword"]
        and doc["cf.weight"] == ["2"]
    )
    assert "hiddenword" not in doc["custom_text"] and "Sommer" in doc["custom_text"]


def test_public_facets_filters_and_words_agree(engine: SearchEngine) -> None:
    ids, facets = _facets(engine, "partner", facets=("cf.season", "cf.weight"))
    assert ids == [1, 2, 3, 4]
    assert facets["cf.season"] == [("summer", 2), ("winter", 2)]
    assert facets["cf.weight"] == [("2", 1), ("3", 1)]
    # Disjunctive: the season facet keeps its own counts under its filter; the weight facet narrows.
    ids, facets = _facets(
        engine, "partner", facets=("cf.season", "cf.weight"), filters={"cf.season": ["winter"]}
    )
    assert ids == [2, 3] and facets["cf.season"] == [("summer", 2), ("winter", 2)]
    assert facets["cf.weight"] == [("3", 1)]
    assert _facets(engine, "partner", text="sommer")[0] == [1, 2]  # an option label in another language
    assert _facets(engine, None, text="winter")[0] == []  # nothing is public to anonymous visitors here


def test_staff_only_fields_are_for_staff_and_never_words(engine: SearchEngine) -> None:
    ids, facets = _facets(
        engine, "editor", facets=("cfs.cost_centre",), filters={"cfs.cost_centre": ["hiddenword"]}
    )
    assert ids == [1] and facets["cfs.cost_centre"] == [("hiddenword", 1)]
    for role in ("partner", None):
        with pytest.raises(ValueError, match=r"cfs\.cost_centre"):
            PortalQuery(viewer_role=role, facets=("cfs.cost_centre",))
        with pytest.raises(ValueError, match=r"cfs\.cost_centre"):
            PortalQuery(viewer_role=role, filters={"cfs.cost_centre": ["hiddenword"]})
    for role in ("partner", "editor", "admin"):
        assert _facets(engine, role, text="hiddenword")[0] == []
