"""Trust holes 8, 9 and 11: archived assets are frozen, released assets change only through a manager,
and a form writes only the fields it shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from models import Asset, AssetTag
from portal.runtime import Runtime
from portal.services.catalog.ingest import ingest_file
from portal.services.catalog.products import upsert_product
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, png, set_state


def _asset(rt: Runtime, asset_id: int) -> Asset:
    with rt.db.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        _ = [t.tag for t in asset.tags], [link.key for link in asset.links]
        session.expunge(asset)
        return asset


def _edit(client: FlaskClient, asset_id: int, **form: str) -> int:
    token = csrf_token(client, f"/assets/{asset_id}")
    return client.post(f"/assets/{asset_id}/edit", data={**form, "csrf_token": token}).status_code


def _products(rt: Runtime, *numbers: str) -> None:
    with rt.db.transaction() as session:
        for number in numbers:
            upsert_product(session, {"article_number": number, "name": f"Product {number}"})


def test_hole_08_editors_cannot_change_an_archived_asset(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    _products(rt, "100200")
    asset_id = new_asset(rt, tmp_path, 8, title="Frozen")
    set_state(rt, asset_id, "archived")
    editor = login("editor")
    token = csrf_token(editor, f"/assets/{asset_id}")
    assert _edit(editor, asset_id, title="Changed", description="x", tags="new") == 403
    resp = editor.post(f"/assets/{asset_id}/links", data={"key": "100200", "csrf_token": token})
    assert resp.status_code == 403
    resp = editor.post(f"/assets/{asset_id}/rights", data={"visibility": "public", "csrf_token": token})
    assert resp.status_code == 403
    # Uploading the same bytes again with an article number does not add a link either.
    with rt.db.session() as session:
        from models import User

        editor_id = session.query(User).filter(User.role == "editor").one().id
    again = ingest_file(rt, png(tmp_path, 8), "again.png", user_id=editor_id, link_keys=["100200"])
    assert again.ok and again.asset_id == asset_id and not again.linked
    asset = _asset(rt, asset_id)
    assert asset.title == "Frozen" and not asset.tags and not asset.links
    assert asset.visibility == "internal"
    # A manager may still change it.
    manager = login("manager")
    assert _edit(manager, asset_id, title="Restored title") == 302


def test_hole_09_editors_cannot_publish_or_change_a_released_asset(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    internal = new_asset(rt, tmp_path, 91, title="Internal approved")
    set_state(rt, internal, "approved", "internal")
    public = new_asset(rt, tmp_path, 92, title="On the hub")
    set_state(rt, public, "approved", "public")
    editor = login("editor")
    token = csrf_token(editor, "/assets")
    # Widening the visibility of a released asset, or its rights/expiry: a manager's call.
    resp = editor.post(f"/assets/{internal}/rights", data={"visibility": "public", "csrf_token": token})
    assert resp.status_code == 403
    assert app.test_client().get(f"/brand/a/{internal}").status_code == 404
    resp = editor.post(
        f"/assets/{internal}/rights",
        data={"visibility": "internal", "rights_expire_at": "2099-01-01", "csrf_token": token},
    )
    assert resp.status_code == 403
    # What reaches the public does not change by an editor's hand.
    assert _edit(editor, public, title="Vandalised", tags="") == 403
    assert "Vandalised" not in app.test_client().get(f"/brand/a/{public}").get_data(as_text=True)
    # The internal released asset keeps editable metadata (it reaches nobody outside).
    assert _edit(editor, internal, title="Better title") == 302
    # Withdrawing (narrowing) is allowed; after that the editor may edit.
    resp = editor.post(f"/assets/{public}/rights", data={"visibility": "internal", "csrf_token": token})
    assert resp.status_code == 302
    assert _edit(editor, public, title="Now internal") == 302
    # A manager may publish.
    manager = login("manager")
    token = csrf_token(manager, "/assets")
    resp = manager.post(f"/assets/{internal}/rights", data={"visibility": "public", "csrf_token": token})
    assert resp.status_code == 302 and _asset(rt, internal).visibility == "public"


def test_hole_11_saving_a_form_keeps_what_the_user_did_not_touch(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = new_asset(rt, tmp_path, 11, title="Tagged")
    editor = login("editor")
    page = editor.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert 'name="tags_shown" value=""' in page
    # A tag is accepted elsewhere after the form was rendered ...
    with rt.db.transaction() as session:
        session.add(AssetTag(asset_id=asset_id, tag="accepted", source="auto"))
    # ... then the form (as rendered before) is saved with a new tag of the user's own.
    token = csrf_token(editor, "/assets")
    resp = editor.post(
        f"/assets/{asset_id}/edit",
        data={"title": "Tagged", "tags": "mine", "tags_shown": "", "description": "", "csrf_token": token},
    )
    assert resp.status_code == 302
    assert {t.tag for t in _asset(rt, asset_id).tags} == {"accepted", "mine"}
    # A form without a field leaves that field alone (rights note, description, expiry).
    with rt.db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.description, asset.rights_note, asset.usage_restrictions = "keep me", "note", "restricted"
    assert _edit(editor, asset_id, title="Only the title") == 302
    resp = editor.post(f"/assets/{asset_id}/rights", data={"visibility": "partner", "csrf_token": token})
    assert resp.status_code == 302
    asset = _asset(rt, asset_id)
    assert (asset.title, asset.description, asset.rights_note) == ("Only the title", "keep me", "note")
    assert asset.usage_restrictions == "restricted" and asset.visibility == "partner"
    assert {t.tag for t in asset.tags} == {"accepted", "mine"}
    # Removing a shown tag removes just that one.
    resp = editor.post(
        f"/assets/{asset_id}/edit",
        data={"tags": "mine", "tags_shown": "accepted, mine", "csrf_token": token},
    )
    assert resp.status_code == 302 and {t.tag for t in _asset(rt, asset_id).tags} == {"mine"}
