"""Custom metadata fields: definitions (API, validation, reindex on change), values (API, forms, role
visibility), the submit rule, search facets and text per role, exports and manifests, bulk edit."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Asset, Package, Role
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog import custom_fields, custom_values
from portal.services.catalog.products import upsert_product
from portal.services.distribution import packages
from portal.services.distribution import signed_links as package_links
from portal.services.governance.policy import Viewer
from portal.services.search import sync as search_sync
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, png, set_state, user_with_token
from tests.integration.distribution_helpers import ingest

SEASON = {
    "key": "season",
    "type": "select",
    "labels": {"en": "Season", "de": "Saison"},
    "options": [
        {"value": "summer", "labels": {"en": "Summer", "de": "Sommer"}},
        {"value": "winter", "labels": {"en": "Winter"}},
    ],
    "required": True,
    "searchable": True,
    "facet": True,
}
COST = {
    "key": "cost_centre",
    "type": "text",
    "labels": {"en": "Cost centre"},
    "audience": "staff",
    "facet": True,
}


def _rt(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["assetport"]
    return rt


def _define(app: Flask, *bodies: dict[str, Any]) -> dict[str, str]:
    _, admin = user_with_token(app, "admin")
    client = app.test_client()
    for body in bodies:
        resp = client.post("/api/v1/fields", json=body, headers=admin)
        assert resp.status_code == 201, resp.get_json()
    return admin


def _search(client: FlaskClient, headers: dict[str, str], query: str) -> Any:
    resp = client.get(f"/api/v1/search?{query}", headers=headers)
    return resp.status_code, resp.get_json()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**SEASON, "key": "Season"}, "lower-case"),
        ({**SEASON, "type": "colour"}, None),  # the typed model refuses it (422 before the service)
        ({**SEASON, "options": []}, "at least one option"),
        ({**SEASON, "options": [{"value": "a"}, {"value": "a"}]}, "listed twice"),
        ({**COST, "searchable": True}, "staff-only field cannot be searchable"),
        ({**SEASON, "labels": {"english": "Season"}}, "language code"),
        ({"key": "note", "type": "long_text", "labels": {"en": "Note"}, "facet": True}, "cannot be a facet"),
        ({"key": "n", "type": "number", "labels": {"en": "N"}, "options": [{"value": "x"}]}, "only select"),
    ],
)
def test_definitions_are_validated_with_clear_messages(
    app: Flask, body: dict[str, Any], message: str | None
) -> None:
    _, admin = user_with_token(app, "admin")
    resp = app.test_client().post("/api/v1/fields", json=body, headers=admin)
    assert resp.status_code in (400, 422), resp.get_json()
    if message:
        assert message in resp.get_json()["error"]["message"]


def test_definitions_api_roles_conflicts_and_visibility(app: Flask) -> None:
    admin = _define(app, SEASON, COST)
    client = app.test_client()
    _, manager = user_with_token(app, "manager")
    _, partner = user_with_token(app, "partner")
    assert client.post("/api/v1/fields", json={**SEASON, "key": "other"}, headers=manager).status_code == 403
    assert client.post("/api/v1/fields", json=SEASON, headers=admin).status_code == 409
    staff_keys = [f["key"] for f in client.get("/api/v1/fields", headers=manager).get_json()["items"]]
    partner_keys = [f["key"] for f in client.get("/api/v1/fields", headers=partner).get_json()["items"]]
    assert staff_keys == ["season", "cost_centre"] and partner_keys == ["season"]
    assert client.get("/api/v1/fields/cost_centre", headers=partner).status_code == 404
    changed = client.patch("/api/v1/fields/season", json={"labels": {"en": "Saison"}}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["labels"] == {"en": "Saison"}
    assert changed.get_json()["options"][0]["value"] == "summer"  # untouched parts stay
    assert client.patch("/api/v1/fields/season", json={"options": None}, headers=admin).status_code == 422
    assert client.delete("/api/v1/fields/season", headers=manager).status_code == 403
    assert client.delete("/api/v1/fields/season", headers=admin).status_code == 204
    assert client.get("/api/v1/fields/season", headers=admin).status_code == 404


def test_values_over_the_api_per_role_and_the_submit_rule(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    _define(app, SEASON, COST, {"key": "launch", "type": "date", "labels": {"en": "Launch"}})
    asset_id = new_asset(rt, tmp_path, 1)
    _, editor = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    url = f"/api/v1/assets/{asset_id}"
    # Submitting without the required field is refused, naming it.
    refused = client.post(f"{url}/transitions", json={"action": "submit"}, headers=editor)
    assert refused.status_code == 422 and "Season" in refused.get_json()["error"]["message"]
    for bad, words in [
        ({"season": "autumn"}, "not one of the choices"),
        ({"season": ["summer", "winter"]}, "pick one"),
        ({"launch": "31.12.2026"}, "YYYY-MM-DD"),
        ({"nope": "x"}, "unknown custom field"),
    ]:
        resp = client.patch(url, json={"fields": bad}, headers=editor)
        assert resp.status_code == 422 and words in resp.get_json()["error"]["message"], resp.get_json()
    ok = client.patch(
        url,
        json={"fields": {"season": "summer", "cost_centre": "CC-42", "launch": "2026-12-31"}},
        headers=editor,
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["fields"] == {"season": "summer", "cost_centre": "CC-42", "launch": "2026-12-31"}
    submitted = client.post(f"{url}/transitions", json={"action": "submit"}, headers=editor)
    assert submitted.status_code == 200, submitted.get_json()
    set_state(rt, asset_id, "approved", visibility="partner")
    seen = client.get(url, headers=partner).get_json()
    assert seen["fields"] == {"season": "summer", "launch": "2026-12-31"}  # never the staff-only value
    # Partners write nothing: a staff-only key is unknown to them, any other write is forbidden.
    hidden = client.patch(url, json={"fields": {"cost_centre": "X"}}, headers=partner)
    assert hidden.status_code == 422 and "unknown custom field" in hidden.get_json()["error"]["message"]
    assert client.patch(url, json={"fields": {"season": "winter"}}, headers=partner).status_code == 403
    assert client.patch(url, json={"fields": {}}, headers=partner).status_code == 403
    # A released asset: the editor's write is refused as for any metadata; a manager clears with null.
    assert client.patch(url, json={"fields": {"launch": None}}, headers=editor).status_code == 403
    _, manager = user_with_token(app, "manager")
    cleared = client.patch(url, json={"fields": {"launch": None}}, headers=manager)
    assert "launch" not in cleared.get_json()["fields"], cleared.get_json()
    # The OpenAPI spec declares the typed fields.
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "fields" in spec["components"]["schemas"]["AssetPatch"]["properties"]
    assert "fields" in spec["components"]["schemas"]["AssetDetail"]["properties"]
    assert "/fields" in spec["paths"] and "/fields/{key}" in spec["paths"]


def test_form_parsing_saves_only_shown_fields_and_partners_get_no_staff_fields(app: Flask) -> None:
    _define(app, SEASON, COST, {"key": "ok", "type": "boolean", "labels": {"en": "Checked"}})
    from werkzeug.datastructures import MultiDict

    with _rt(app).db.session() as session:
        specs = custom_fields.list_fields(session)
    editor, partner = Viewer(1, Role.EDITOR), Viewer(2, Role.PARTNER)
    form = MultiDict(
        [("cf_shown", "season"), ("cf_shown", "ok"), ("cf.season", "winter"), ("cf.cost_centre", "X")]
    )
    assert custom_values.parse_form_values(specs, editor, form) == {"season": "winter", "ok": False}
    staff_form = MultiDict([("cf_shown", "cost_centre"), ("cf.cost_centre", "X")])
    assert custom_values.parse_form_values(specs, partner, staff_form) == {}
    assert [s.key for s in custom_values.fields_for(partner, specs)] == ["season", "ok"]
    with pytest.raises(ValidationError, match="unknown custom field"):
        custom_values.parse_values(specs, partner, {"cost_centre": "X"})


def test_asset_page_form_and_workflow_message(app: Flask, login: Any, tmp_path: Path) -> None:
    rt = _rt(app)
    _define(app, SEASON, COST)
    asset_id = new_asset(rt, tmp_path, 2)
    editor = login("editor")
    page = editor.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert 'name="cf.season"' in page and 'name="cf.cost_centre"' in page
    assert "Required before submitting for review" in page
    token = csrf_token(editor, f"/assets/{asset_id}")
    resp = editor.post(
        f"/review/{asset_id}/transition",
        data={"action": "submit", "csrf_token": token},
        follow_redirects=True,
    )
    assert "required fields before submitting for review: Season" in resp.get_data(as_text=True)
    form = {"csrf_token": token, "title": "Boots", "cf_shown": ["season", "cost_centre"]}
    bad = editor.post(f"/assets/{asset_id}/edit", data={**form, "cf.season": "spring"})
    assert bad.status_code == 422 and "not one of the choices" in bad.get_data(as_text=True)
    saved = editor.post(
        f"/assets/{asset_id}/edit", data={**form, "cf.season": "summer", "cf.cost_centre": "CC-1"}
    )
    assert saved.status_code == 302
    set_state(rt, asset_id, "approved", visibility="partner")
    partner_page = login("partner").get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Summer" in partner_page and "CC-1" not in partner_page and "Cost centre" not in partner_page
    assert 'name="cf.' not in partner_page


def test_search_facets_text_and_staff_fields_per_role_and_reindex_on_change(
    app: Flask, tmp_path: Path
) -> None:
    rt = _rt(app)
    admin = _define(app, SEASON, COST)
    ids = [new_asset(rt, tmp_path, 10 + n) for n in range(3)]
    values = [{"season": "summer", "cost_centre": "secretword"}, {"season": "winter"}, {}]
    for asset_id in ids:
        set_state(rt, asset_id, "approved", visibility="partner")
    with rt.db.transaction() as session:
        for asset_id, fields in zip(ids, values, strict=True):
            custom_values.apply_values(session.get(Asset, asset_id), fields)  # type: ignore[arg-type]
        search_sync.assets_changed(session, ids)  # the index follows through the outbox, as after an edit
    rt.queue.join()
    client = app.test_client()
    _, partner = user_with_token(app, "partner")
    _, editor = user_with_token(app, "editor")
    status, body = _search(client, partner, "")
    assert status == 200 and body["facets"]["cf.season"] == [
        {"value": "summer", "count": 1},
        {"value": "winter", "count": 1},
    ]
    assert "cfs.cost_centre" not in body["facets"]
    assert _search(client, partner, "f.cf.season=summer")[1]["total"] == 1
    assert _search(client, partner, "q=Sommer")[1]["hits"][0]["id"] == ids[0]  # a label in any language
    assert _search(client, partner, "f.cfs.cost_centre=secretword")[0] == 422
    assert _search(client, partner, "q=secretword")[1]["total"] == 0
    staff = _search(client, editor, "f.cfs.cost_centre=secretword")[1]
    assert staff["total"] == 1 and "cfs.cost_centre" in staff["facets"]
    # Removing an option removes it from the assets and reindexes them (a job).
    resp = client.patch(
        "/api/v1/fields/season",
        json={"options": [{"value": "winter", "labels": {"en": "Winter"}}]},
        headers=admin,
    )
    assert resp.status_code == 200
    rt.queue.join()
    with rt.db.session() as session:
        assert (session.get(Asset, ids[0]).custom_fields or {}).get("season") is None  # type: ignore[union-attr]
    assert _search(client, partner, "")[1]["facets"]["cf.season"] == [{"value": "winter", "count": 1}]
    assert client.delete("/api/v1/fields/season", headers=admin).status_code == 204
    rt.queue.join()
    assert "cf.season" not in _search(client, partner, "")[1]["facets"]
    assert _search(client, partner, "f.cf.season=winter")[1]["total"] == 0
    with rt.db.session() as session:
        assert session.get(Asset, ids[1]).custom_fields == {}  # type: ignore[union-attr]


def test_manifest_and_link_table_carry_the_values_the_creator_may_see(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    _define(app, SEASON, COST)
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "A-1", "name": "Boot"})
    asset_id = ingest(rt, png(tmp_path, 5, "A-1_1.png"))
    with rt.db.transaction() as session:
        custom_values.apply_values(session.get(Asset, asset_id), {"season": "summer", "cost_centre": "CC-9"})  # type: ignore[arg-type]
    set_state(rt, asset_id, "approved", visibility="partner")

    def build(role: Role, kind: str) -> Package:
        with rt.db.transaction() as session:
            package_id = packages.create_package(
                session, Viewer(None, role), lines=["A-1"], presets=["original"], kind=kind
            ).id
        rt.queue.join()
        with rt.db.session() as session:
            package = session.get(Package, package_id)
            assert package is not None and package.status == "done", package and package.error
            session.expunge(package)
            return package

    with zipfile.ZipFile(build(Role.PARTNER, "zip").file_path or "") as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert rows[0]["cf.season"] == "summer" and "cf.cost_centre" not in rows[0]
    with zipfile.ZipFile(build(Role.MANAGER, "zip").file_path or "") as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert rows[0]["cf.cost_centre"] == "CC-9"
    links = build(Role.PARTNER, "links")
    with rt.db.session() as session:
        table = package_links.link_rows(session, rt, session.get(Package, links.id), "http://portal.test")  # type: ignore[arg-type]
    text = package_links.links_csv(table).decode("utf-8-sig")
    assert text.splitlines()[0].endswith(",expires_at,note,cf.season") and ",summer" in text.splitlines()[1]


def test_bulk_sets_and_clears_fields_with_undo(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    _define(app, SEASON)
    ids = [new_asset(rt, tmp_path, 30 + n) for n in range(2)]
    _, editor = user_with_token(app, "editor")
    client = app.test_client()
    bad = client.post(
        "/api/v1/bulk",
        json={"ids": ids, "changes": {"set_fields": {"season": "x"}}, "dry_run": True},
        headers=editor,
    )
    assert bad.status_code == 200 and bad.get_json()["items"][0]["result"] == "refused"
    assert "not one of the choices" in bad.get_json()["items"][0]["reason"]
    resp = client.post(
        "/api/v1/bulk", json={"ids": ids, "changes": {"set_fields": {"season": "winter"}}}, headers=editor
    )
    assert resp.status_code in (200, 201, 202), resp.get_json()
    rt.queue.join()
    job = resp.get_json()
    with rt.db.session() as session:
        assert [session.get(Asset, i).custom_fields for i in ids] == [{"season": "winter"}] * 2  # type: ignore[union-attr]
    undo = client.post(f"/api/v1/bulk/{job['id']}/undo", headers=editor)
    assert undo.status_code == 202, undo.get_json()  # the undo is a job too
    rt.queue.join()
    with rt.db.session() as session:
        assert [session.get(Asset, i).custom_fields for i in ids] == [{}, {}]  # type: ignore[union-attr]
    both = {"set_fields": {"season": "winter"}, "clear_fields": ["season"]}
    conflict = client.post(
        "/api/v1/bulk", json={"ids": ids, "changes": both, "dry_run": True}, headers=editor
    )
    assert conflict.status_code == 422 and "either set or cleared" in conflict.get_json()["error"]["message"]


def test_bulk_web_form_sets_and_clears_fields_and_bulk_submit_needs_the_required_ones(
    app: Flask, login: Any, tmp_path: Path
) -> None:
    rt = _rt(app)
    _define(app, SEASON, COST)
    ids = [new_asset(rt, tmp_path, 40 + n) for n in range(2)]
    editor = login("editor")
    token = csrf_token(editor, "/search")
    source = {"csrf_token": token, "asset_ids": [str(i) for i in ids], "expiry_mode": "keep"}
    form = editor.post("/bulk", data=source).get_data(as_text=True)
    assert 'name="cf_mode.season"' in form and 'name="cf_mode.cost_centre"' in form
    assert 'id="bulk-cf-season" name="cf.season"' in form and 'name="cf_shown" value="cost_centre"' in form
    shown = {**source, "cf_shown": ["season", "cost_centre"]}
    empty = editor.post("/bulk/preview", data={**shown, "cf_mode.season": "set"})
    assert empty.status_code == 422 and "give a value to set for Season" in empty.get_data(as_text=True)
    values = {**shown, "cf_mode.season": "set", "cf.season": "winter", "cf_mode.cost_centre": "set",
              "cf.cost_centre": "CC 9"}  # fmt: skip
    preview = editor.post("/bulk/preview", data=values).get_data(as_text=True)
    assert "2 assets: 2 change" in preview and "<strong>Season</strong>: set to Winter" in preview
    assert "<td>Season</td>" in preview and "<td>Cost centre</td>" in preview
    assert 'name="cf_mode.season" value="set"' in preview and 'name="cf.season" value="winter"' in preview
    with rt.db.session() as session:
        assert [session.get(Asset, i).custom_fields for i in ids] == [{}, {}]  # type: ignore[union-attr]
    assert editor.post("/bulk/start", data=values).status_code == 302
    rt.queue.join()
    with rt.db.session() as session:
        stored = [session.get(Asset, i).custom_fields for i in ids]  # type: ignore[union-attr]
    assert stored == [{"season": "winter", "cost_centre": "CC 9"}] * 2
    # "Leave as it is" ignores a typed value; "Clear" removes the value.
    cleared = {**shown, "cf_mode.cost_centre": "clear", "cf.season": "summer"}
    assert editor.post("/bulk/start", data=cleared).status_code == 302
    rt.queue.join()
    with rt.db.session() as session:
        assert [session.get(Asset, i).custom_fields for i in ids] == [{"season": "winter"}] * 2  # type: ignore[union-attr]
    # A bulk "submit" refuses an asset without a required value, unless the same change sets it.
    bare = new_asset(rt, tmp_path, 45)
    _, headers = user_with_token(app, "editor")
    client = app.test_client()
    submit = {"ids": [ids[0], bare], "changes": {"action": "submit"}, "dry_run": True}
    items = client.post("/api/v1/bulk", json=submit, headers=headers).get_json()["items"]
    assert items[0]["result"] == "ok" and items[1]["result"] == "refused" and items[1]["status"] == 422
    assert items[1]["reason"] == "fill in the required fields before submitting for review: Season"
    both = {"ids": [bare], "changes": {"action": "submit", "set_fields": {"season": "summer"}}}
    assert client.post("/api/v1/bulk", json=both, headers=headers).status_code == 202
    rt.queue.join()
    with rt.db.session() as session:
        asset = session.get(Asset, bare)
        assert (
            asset is not None and asset.status == "in_review" and asset.custom_fields == {"season": "summer"}
        )


def test_admin_page_adds_changes_and_deletes_fields(app: Flask, login: Any) -> None:
    admin = login("admin")
    token = csrf_token(admin, "/admin/fields")
    form = {
        "csrf_token": token,
        "key": "season",
        "type": "select",
        "labels": "en: Season; de: Saison",
        "options": "summer = en: Summer; de: Sommer\nwinter",
        "required": "1",
        "facet": "1",
    }
    page = admin.post("/admin/fields", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Added the field" in page and "summer, winter" in page
    with _rt(app).db.session() as session:
        spec = custom_fields.get_field(session, "season")
    assert spec.labels == {"en": "Season", "de": "Saison"} and spec.required and spec.facet
    assert [o.label("de") for o in spec.options] == ["Sommer", "winter"]
    refused = admin.post(
        "/admin/fields/season", data={**form, "audience": "staff", "searchable": "1"}, follow_redirects=True
    )
    assert "staff-only field cannot be searchable" in refused.get_data(as_text=True)
    admin.post("/admin/fields/season", data={**form, "options": "summer", "required": ""})
    with _rt(app).db.session() as session:
        spec = custom_fields.get_field(session, "season")
    assert [o.value for o in spec.options] == ["summer"] and not spec.required
    assert login("manager").get("/admin/fields").status_code == 403
    admin.post("/admin/fields/season/delete", data={"csrf_token": token})
    assert "No custom fields yet" in admin.get("/admin/fields").get_data(as_text=True)
