"""``GET /api/v1/suggest``: product names, article numbers, tags and saved searches that match what is typed,
with counts of what the caller may see; nothing hidden is named or counted; bad input is a 4xx."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Asset, AssetStatus, AssetTag, Product, Role, User, Visibility
from portal.jobs.registry import run_task
from portal.services.catalog.ingest import ingest_file
from portal.services.governance.policy import Viewer
from portal.services.search.queries import SearchParams
from portal.services.search.saved import save_search
from tests.helpers import ZOO

Login = Callable[..., FlaskClient]


def _corpus(app: Flask) -> dict[str, int]:
    rt = app.extensions["assetport"]
    with rt.db.transaction() as session:
        session.add_all(
            [
                Product(article_number="62783187", model_code="black-hoodie", name="Black Hoodie"),
                Product(article_number="70760297", model_code="white-hoodie", name="White Hoodie"),
                Product(article_number="99999999", model_code="secret", name="Hooded Secret"),
            ]
        )
    ids = {}
    files = (
        ("62783187", "hopper.jpg", True),
        ("70760297", "rgb.jpg", True),
        ("99999999", "flower.webp", False),
    )
    for key, name, public in files:
        result = ingest_file(rt, ZOO / "good" / name, f"{key}_1{name[name.rindex('.') :]}")
        assert result.ok and result.asset_id is not None
        ids[key] = result.asset_id
        with rt.db.transaction() as session:
            asset = session.get(Asset, result.asset_id)
            assert asset is not None
            session.add(AssetTag(asset_id=asset.id, tag="hoodie campaign", source="manual"))
            if public:
                asset.status = AssetStatus.APPROVED.value
                asset.visibility = Visibility.PARTNER.value
    run_task(rt, "search.sync", {"asset_ids": list(ids.values())})
    return ids


def _suggestions(client: FlaskClient, text: str) -> list[tuple[str, str, int]]:
    resp = client.get("/api/v1/suggest", query_string={"q": text})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [(s["kind"], s["text"], s["count"]) for s in resp.get_json()["suggestions"]]


def test_names_numbers_tags_and_saved_searches_with_counts(app: Flask, login: Login) -> None:
    _corpus(app)
    editor = login("editor")
    found = _suggestions(editor, "hoo")
    assert ("product", "Black Hoodie", 1) in found and ("product", "Hooded Secret", 1) in found
    assert ("tag", "hoodie campaign", 3) in found
    assert _suggestions(editor, "6278-31") == [("article_number", "62783187", 1)]
    assert ("product", "Black Hoodie", 1) in _suggestions(editor, "blak hoodie")  # a typo still suggests
    rt = app.extensions["assetport"]
    with rt.db.transaction() as session:
        user_id = session.scalars(select(User.id).where(User.role == "editor")).first()
        save_search(session, Viewer(user_id, Role.EDITOR), "Hoodie shots", SearchParams(text="hoodie"))
    saved = [s for s in _suggestions(editor, "hoodie sh") if s[0] == "saved_search"]
    assert saved == [("saved_search", "Hoodie shots", 3)]


def test_partners_never_see_hidden_names_or_counts(app: Flask, login: Login) -> None:
    _corpus(app)
    partner = login("partner")
    found = _suggestions(partner, "hoo")
    assert ("tag", "hoodie campaign", 2) in found
    assert not [s for s in found if "Secret" in s[1]]
    assert _suggestions(partner, "9999") == []


def test_empty_and_overlong_input(app: Flask, login: Login) -> None:
    editor = login("editor")
    assert _suggestions(editor, "   ") == []
    assert editor.get("/api/v1/suggest", query_string={"q": "x" * 101}).status_code == 422
