"""The managed synonym list (admin page, CSV import/export, applied to searches at once) and the facets each
role gets (accepted auto tags for all; status, visibility, uploader and collection for staff only)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from indexer.synonyms import DEFAULT_RULES, parse_rule
from models import Asset, AssetStatus, AssetTag, Role, SynonymRule, Visibility
from portal.errors import PermissionDenied, ValidationError
from portal.jobs.registry import run_task
from portal.runtime import Runtime
from portal.services.catalog.ingest import ingest_file
from portal.services.governance.policy import Viewer
from portal.services.search import synonyms
from portal.services.search.queries import STAFF_FACETS, SearchParams, run_search
from tests.conftest import csrf_token
from tests.helpers import ZOO

Login = Callable[..., FlaskClient]


def _asset(app: Flask, title: str, *, public: bool, auto_tag: str | None = None) -> int:
    rt = app.extensions["assetport"]
    result = ingest_file(rt, ZOO / "good" / "hopper.jpg", f"{title.replace(' ', '-')}.jpg")
    assert result.ok and result.asset_id is not None
    with rt.db.transaction() as session:
        asset = session.get(Asset, result.asset_id)
        assert asset is not None
        asset.title = title
        if public:
            asset.status = AssetStatus.APPROVED.value
            asset.visibility = Visibility.PUBLIC.value
        if auto_tag:
            session.add(AssetTag(asset_id=asset.id, tag=auto_tag, source="auto"))
    run_task(rt, "search.sync", {"asset_ids": [result.asset_id]})
    return result.asset_id


def _ids(app: Flask, role: Role | None, text: str) -> set[int]:
    rt = app.extensions["assetport"]
    return set(run_search(rt, Viewer(1, role), SearchParams(text=text)).ids)


def test_the_migration_seeds_the_default_rules(sqlite_rt: Runtime) -> None:
    with sqlite_rt.db.session() as session:
        stored = [parse_rule(r.rule).text() for r in synonyms.list_rules(session)]
    assert stored == [parse_rule(r).text() for r in DEFAULT_RULES]


@pytest.fixture
def hoodie_rule(app: Flask, make_user: Callable[..., int]) -> None:
    """``hoodie, sweatshirt`` in the list (PostgreSQL tests start from truncated tables)."""
    rt = app.extensions["assetport"]
    admin_id = make_user("synonym-admin@example.com", "admin")
    with rt.db.transaction() as session:
        if "sweatshirt" not in synonyms.load_expansions(session).get("hoodie", ()):
            synonyms.add_rule(session, Viewer(admin_id, Role.ADMIN), "hoodie, sweatshirt")
    synonyms.forget_expansions(rt)


@pytest.mark.usefixtures("hoodie_rule")
def test_two_way_rules_apply_both_ways_for_every_role(app: Flask) -> None:
    hoodie = _asset(app, "Black Hoodie", public=True)
    shirt = _asset(app, "Grey sweatshirt", public=True)
    for role in (Role.ADMIN, Role.PARTNER, None):
        assert _ids(app, role, "sweatshirt") == {hoodie, shirt}
        assert _ids(app, role, "hoodie") == {hoodie, shirt}


def test_admin_page_adds_removes_imports_and_exports(app: Flask, login: Login) -> None:
    rt = app.extensions["assetport"]
    lamp = _asset(app, "Kilo floor lamp", public=True)
    assert _ids(app, Role.ADMIN, "luminaire") == set()
    admin = login("admin")
    token = csrf_token(admin, "/admin/synonyms")
    assert (
        admin.post("/admin/synonyms", data={"csrf_token": token, "rule": "luminaire => lamp"}).status_code
        == 302
    )
    assert _ids(app, Role.ADMIN, "luminaire") == {lamp}  # at once, no reindex
    assert _ids(app, Role.ADMIN, "lamp") == {lamp}
    page = admin.get("/admin/synonyms").get_data(as_text=True)
    assert "luminaire =&gt; lamp" in page and "one-way" in page
    admin.post("/admin/synonyms", data={"csrf_token": token, "rule": "luminaire => lamp"})  # duplicate
    admin.post("/admin/synonyms", data={"csrf_token": token, "rule": "lonely"})  # one term: refused
    with rt.db.session() as session:
        rules = [r.rule for r in session.scalars(select(SynonymRule))]
        rule_id = session.scalars(select(SynonymRule.id).where(SynonymRule.rule == "luminaire => lamp")).one()
    assert rules.count("luminaire => lamp") == 1 and "lonely" not in rules
    admin.post(f"/admin/synonyms/{rule_id}/delete", data={"csrf_token": token})
    assert _ids(app, Role.ADMIN, "luminaire") == set()

    exported = admin.get("/admin/synonyms.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    csv_text = 'terms,targets\n"light fitting, luminaire",lamp\n'
    resp = admin.post(
        "/admin/synonyms/import",
        data={
            "csrf_token": token,
            "replace": "1",
            "file": (io.BytesIO(csv_text.encode()), "s.csv"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with rt.db.session() as session:
        assert [r.rule for r in synonyms.list_rules(session)] == ["light fitting, luminaire => lamp"]
    assert _ids(app, Role.ADMIN, "luminaire") == {lamp}
    # The export imports again unchanged.
    again = admin.get("/admin/synonyms.csv").get_data()
    with rt.db.transaction() as session:
        assert synonyms.import_csv(session, Viewer(1, Role.ADMIN), again, replace=True) == 1
    assert login("editor").get("/admin/synonyms").status_code == 403


def test_bad_csv_rows_are_rejected_whole(app: Flask) -> None:
    rt = app.extensions["assetport"]  # nothing is written, so no audit event needs a real admin
    with rt.db.transaction() as session:
        before = len(synonyms.list_rules(session))
        with pytest.raises(ValidationError, match="row 2"):
            synonyms.import_csv(session, Viewer(1, Role.ADMIN), b"a,b\nonly\n")
        with pytest.raises(ValidationError):
            synonyms.import_csv(session, Viewer(1, Role.ADMIN), b"\xff\xfe")
        with pytest.raises(PermissionDenied):
            synonyms.import_csv(session, Viewer(1, Role.EDITOR), b"a,b\n")
        assert len(synonyms.list_rules(session)) == before


@pytest.mark.usefixtures("hoodie_rule")
def test_synonyms_never_show_a_role_more(app: Flask) -> None:
    draft = _asset(app, "Grey hoodie prototype", public=False)
    assert _ids(app, Role.ADMIN, "sweatshirt") == {draft}
    assert _ids(app, Role.PARTNER, "sweatshirt") == set()
    assert _ids(app, None, "sweatshirt") == set()


def test_auto_tags_for_everyone_workflow_facets_for_staff_only(app: Flask) -> None:
    rt = app.extensions["assetport"]
    _asset(app, "Beach scene", public=True, auto_tag="beach")
    for role in (Role.EDITOR, Role.MANAGER, Role.ADMIN):
        facets = run_search(rt, Viewer(1, role), SearchParams()).facets
        assert [v.value for v in facets["auto_tags"]] == ["beach"]
        assert set(STAFF_FACETS) <= set(facets)
        assert {v.value for v in facets["status"]} == {"approved"}
    for role in (Role.PARTNER, None):
        facets = run_search(rt, Viewer(1 if role else None, role), SearchParams()).facets
        assert [v.value for v in facets["auto_tags"]] == ["beach"]
        assert not set(STAFF_FACETS) & set(facets)
        for name in ("visibility", "uploaded_by", "collections"):
            with pytest.raises(ValidationError):
                run_search(rt, Viewer(1 if role else None, role), SearchParams(filters={name: ("x",)}))


def test_api_search_facets_per_role(app: Flask, login: Login) -> None:
    _asset(app, "Beach scene", public=True, auto_tag="beach")
    staff = login("editor").get("/api/v1/search").get_json()
    assert "uploaded_by" in staff["facets"] and "auto_tags" in staff["facets"]
    anonymous = app.test_client().get("/api/v1/search")
    if anonymous.status_code == 200:
        assert "uploaded_by" not in anonymous.get_json()["facets"]
