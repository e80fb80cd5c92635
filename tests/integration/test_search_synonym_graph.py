"""The synonym list in the OpenSearch engine (osmem-server): compiled into new indices, updated in live ones
(close, update, open), and, where the cluster ignores ``synonym_graph`` as osmem-server does, searched through
the per-word alternatives; the outbox job that takes an edited list into the index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from indexer.analysis import Analysis
from indexer.compile_synonyms import SYNONYM_FILTER
from indexer.engines.opensearch import OpenSearchEngine
from indexer.query import PortalQuery
from models import OutboxItem, Role
from portal.jobs.search import apply_synonyms
from portal.services.governance.policy import Viewer
from portal.services.search import synonyms
from tests.integration.test_search_contract import osmem  # noqa: F401 - the shared fixture

DOCS = [
    {
        "id": 1,
        "title": "Black Hoodie",
        "status": "approved",
        "public_status": "approved",
        "visibility": "public",
    },
    {
        "id": 2,
        "title": "Sweatshirt grey",
        "status": "approved",
        "public_status": "approved",
        "visibility": "public",
    },
    {
        "id": 3,
        "title": "Desk lamp",
        "status": "approved",
        "public_status": "approved",
        "visibility": "public",
    },
]


@pytest.fixture()
def engine(osmem: Any) -> Iterator[OpenSearchEngine]:  # noqa: F811 - the fixture imported above
    clone = osmem.clone()
    found = OpenSearchEngine(
        clone.url, prefix="syngraph", analysis=Analysis(("en",)), synonyms=["hoodie, sweatshirt"]
    )
    found.rebuild(DOCS)
    found.refresh()
    yield found
    found.close()
    clone.close()


def _compiled(engine: OpenSearchEngine) -> list[str]:
    settings = engine.client.indices.get_settings(index=engine.alias)
    (index,) = settings.values()
    return list(index["settings"]["index"]["analysis"]["filter"][SYNONYM_FILTER]["synonyms"])


def _ids(engine: OpenSearchEngine, text: str, **extra: Any) -> list[int]:
    return engine.search(PortalQuery(text=text, viewer_role="admin", now=0.0, facets=(), **extra)).ids


def test_new_indices_carry_the_list_and_edits_update_the_live_index(engine: OpenSearchEngine) -> None:
    assert _compiled(engine) == ["hoodie, sweatshirt"]
    assert engine.set_synonyms(["lamp, luminaire", "light fitting => lamp"]) is True
    assert _compiled(engine) == ["lamp, luminaire", "light fitting => lamp"]
    assert engine.set_synonyms(["lamp, luminaire", "light fitting => lamp"]) is False  # unchanged: no-op
    # Reopened and searchable, documents intact.
    assert engine.count() == 3
    assert _ids(engine, "lamp") == [3]


def test_a_cluster_ignoring_synonym_graph_falls_back_to_alternatives(engine: OpenSearchEngine) -> None:
    # osmem-server accepts the filter but ignores it: the probe notices and queries carry the alternatives.
    assert engine.synonym_graph() is None
    assert _ids(engine, "sweatshirt") == [2]
    assert set(_ids(engine, "sweatshirt", synonyms={"sweatshirt": ("hoodie",)})) == {1, 2}


def test_an_edit_records_the_job_that_compiles_the_list(app: Flask, make_user: Callable[..., int]) -> None:
    rt = app.extensions["assetport"]
    admin = Viewer(make_user("synonym-graph-admin@example.com", "admin"), Role.ADMIN)
    with rt.db.transaction() as session:
        synonyms.add_rule(session, admin, "carafe, decanter")
        pending = session.scalars(select(OutboxItem).where(OutboxItem.task == synonyms.APPLY_TASK)).all()
        assert pending
        assert "carafe, decanter" in synonyms.rule_texts(session)
    assert apply_synonyms(rt) is False  # the embedded engine applies the list per query: nothing to compile
