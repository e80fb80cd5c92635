"""The custom field definitions searches use are remembered per process, and an edit in this process is
seen by the next search: at once, and again after its commit (a search between the two cannot keep the
old definitions). Real database and embedded engine."""

from __future__ import annotations

from models import Role
from portal.runtime import Runtime
from portal.services.catalog import custom_fields, field_specs
from portal.services.governance.policy import Viewer
from portal.services.search.queries import SearchParams, run_search

ADMIN = Viewer(None, Role.ADMIN)
PARTNER = Viewer(None, Role.PARTNER)
SEASON = {
    "key": "season",
    "type": "select",
    "labels": {"en": "Season"},
    "options": [{"value": "summer", "labels": {"en": "Summer"}}],
    "facet": True,
}


def _facets(rt: Runtime, viewer: Viewer) -> set[str]:
    return set(run_search(rt, viewer, SearchParams()).facets)


def test_an_edit_is_seen_by_the_next_search(rt: Runtime) -> None:
    assert "cf.season" not in _facets(rt, PARTNER)  # remembered now: no custom fields
    with rt.db.transaction() as session:
        custom_fields.create_field(session, ADMIN, SEASON)
    assert "cf.season" in _facets(rt, PARTNER)
    with rt.db.transaction() as session:
        custom_fields.update_field(session, ADMIN, "season", {"audience": "staff"})
    assert not {"cf.season", "cfs.season"} & _facets(rt, PARTNER)  # staff-only: never for partners
    assert "cfs.season" in _facets(rt, ADMIN)
    with rt.db.transaction() as session:
        custom_fields.delete_field(session, ADMIN, "season")
    assert not {"cf.season", "cfs.season"} & _facets(rt, ADMIN)


def test_a_search_during_the_edit_does_not_keep_the_old_definitions(rt: Runtime) -> None:
    before = field_specs.generation()
    with rt.db.transaction() as session:
        custom_fields.create_field(session, ADMIN, SEASON)
        # Another request searches before the commit: it reads (and remembers) the committed state.
        assert [s.key for s in field_specs.cached_specs(rt)] == []
    assert field_specs.generation() >= before + 2
    assert [s.key for s in field_specs.cached_specs(rt)] == ["season"]


def test_definitions_are_remembered_between_searches(rt: Runtime) -> None:
    first = field_specs.cached_specs(rt)
    assert field_specs.cached_specs(rt) is first  # no query while nothing changed
