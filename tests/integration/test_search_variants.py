"""Variant words and localized names on both engines (embedded, and OpenSearch through osmem-server):
sibling article numbers find an inherited picture below the variant's own, measures match however they
are spaced (``2.5 l`` / ``2.5l``, ``500 ml`` / ``500ml``), localized names are searched, and none of it shows
a role more than it may see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from indexer.analysis import Analysis
from indexer.compile_os import index_mapping
from indexer.compile_text import text_fields
from indexer.documents import inherited_fields
from indexer.engines import SearchEngine
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.query import PortalQuery
from indexer.schema import SEARCH_ONLY_FIELDS, measure_forms, prepare_document
from tests.integration.test_search_contract import osmem  # noqa: F401 - the shared fixture

NOW = 1_700_000_000.0
PUBLIC = {"status": "approved", "public_status": "approved", "visibility": "public"}
SIZES = {"546451997": ["2.5l"], "546451999": ["5l"], "AB-77.2": ["XL"], "778": ["L"]}
DOCS: list[dict[str, Any]] = [
    {
        "id": 1,
        "title": "Nebula paint bucket",
        "article_numbers": ["546451996"],
        "attr.bucket_size": ["1l"],
        **inherited_fields({"546451997": "546451996", "546451999": "546451996"}, SIZES),
    },
    # The 2.5 l bucket's own data sheet (another media kind, so it still inherits the photo above).
    {"id": 2, "title": "Nebula data sheet", "article_numbers": ["546451997"], "attr.bucket_size": ["2.5l"]},
    {"id": 3, "title": "Apple juice bottle", "localized_names": ["Apfelsaft", "Jus de pomme"]},
    {"id": 4, "title": "Orange juice", "attr.bottle_size": ["500ml"]},
    {
        "id": 5,
        "title": "Hoodie front",
        "article_numbers": ["AB-77.1"],
        **inherited_fields({"AB-77.2": "AB-77.1"}, SIZES),
    },
    # A draft whose sibling 778 inherits it: hidden from partners and the public all the same.
    {
        "id": 6,
        "title": "Secret prototype",
        "article_numbers": ["777"],
        "status": "draft",
        "public_status": "draft",
        **inherited_fields({"778": "777"}, SIZES),
    },
    {"id": 7, "title": "Cola bottle", "attr.bottle_size": ["500 ml"]},
]


def _docs() -> list[dict[str, Any]]:
    return [{**PUBLIC, "created_at": 1000 + d["id"], **d} for d in DOCS]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    engine = EmbeddedEngine(tmp_path_factory.mktemp("variants"), analysis=Analysis(("en", "de")))
    docs = _docs()
    engine.rebuild(docs[:-2])
    engine.index(docs[-2:])  # a tail update is searched the same way
    engine.refresh()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def osmem_engine(osmem: Any) -> Iterator[SearchEngine]:  # noqa: F811 - the fixture imported above
    clone = osmem.clone()
    engine = OpenSearchEngine(clone.url, prefix="variants", analysis=Analysis(("en",)))
    engine.rebuild(_docs())
    engine.refresh()
    yield engine
    engine.close()
    clone.close()


@pytest.fixture(scope="module", params=["embedded", "osmem_engine"])
def engine(request: pytest.FixtureRequest) -> SearchEngine:
    found: SearchEngine = request.getfixturevalue(request.param)
    return found


def _ids(engine: SearchEngine, text: str, role: str | None = "admin") -> list[int]:
    return engine.search(PortalQuery(text=text, viewer_role=role, now=NOW, facets=(), size=50)).ids


def test_sibling_article_numbers_find_the_inherited_picture_below_own(engine: SearchEngine) -> None:
    assert _ids(engine, "546451997") == [2, 1]  # the variant's own asset first, the inherited one after
    assert _ids(engine, "546451999") == [1]
    assert _ids(engine, "ab772", None) == [5]  # separator-free spelling of an inherited number


def test_variant_attributes_raise_the_matching_variant(engine: SearchEngine) -> None:
    assert _ids(engine, "nebula 2.5 l")[0] == 2  # the 2.5 l bucket's own sheet, then the inherited photo
    assert set(_ids(engine, "nebula 2.5 l")) == {1, 2}
    # Only the photo serves the 5 l bucket ("2.5l" holds the word "5l" too: words split at the point).
    assert 1 in _ids(engine, "nebula 5l")
    assert _ids(engine, "hoodie xl") == [5]
    for text in ("500 ml", "500ml"):
        assert set(_ids(engine, text)) == {4, 7}, text


def test_localized_names_are_searched(engine: SearchEngine) -> None:
    assert _ids(engine, "apfelsaft") == [3]
    assert _ids(engine, "jus de pomme") == [3]


@pytest.mark.parametrize("text", ["778", "secret", "L"])
def test_inherited_words_never_show_a_role_more(engine: SearchEngine, text: str) -> None:
    assert 6 in _ids(engine, text, "admin")
    for role in (None, "partner"):
        assert 6 not in _ids(engine, text, role)


def test_measure_spellings_and_mapping() -> None:
    assert measure_forms("2.5l") == ["2.5 l"]
    assert measure_forms("500 ml") == ["500ml"]
    assert measure_forms("45cm x 45cm") == ["45 cm x 45 cm"]
    assert measure_forms("Cotton") == []
    prepared = prepare_document({"id": 1, "attr.size": ["2,5 l"]})
    assert prepared["attr_text"] == ["2,5l"]  # the other spelling; OpenSearch copies the value itself
    # The OpenSearch compiler searches them with their weights: names as names, inherited words below all.
    fields = text_fields()
    assert "localized_names^2" in fields and "localized_text^0.5" in fields and "variant_text^0.4" in fields
    assert "variant_text.de^0.24" in text_fields(0.6, language="de")
    mapping = index_mapping(analysis=Analysis(("en", "de")))["properties"]
    for name in SEARCH_ONLY_FIELDS:
        assert mapping[name]["type"] == "text" and set(mapping[name]["fields"]) == {"en", "de"}
