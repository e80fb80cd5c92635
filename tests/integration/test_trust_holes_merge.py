"""Trust hole 12: near-duplicates linked to different article numbers are never offered a merge."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from models import Asset, DuplicateFlag, LinkSource
from portal.runtime import Runtime
from portal.services.catalog import linking
from portal.services.catalog.products import upsert_product
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset


def _flag(rt: Runtime, asset_id: int, similar_id: int, score: float = 0.97) -> int:
    with rt.db.transaction() as session:
        flag = DuplicateFlag(
            asset_id=asset_id, similar_asset_id=similar_id, score=score, model_id="test", state="open"
        )
        session.add(flag)
        session.flush()
        return flag.id


def _link(rt: Runtime, asset_id: int, number: str) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": number, "name": f"T-shirt {number}"})
        asset = session.get(Asset, asset_id)
        assert asset is not None
        linking.add_link(session, asset, number, LinkSource.MANUAL, None)


def test_hole_12_different_products_are_never_offered_a_merge(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    red, blue, unlinked = (new_asset(rt, tmp_path, seed) for seed in (121, 122, 123))
    _link(rt, red, "500100")
    _link(rt, blue, "500200")
    different = _flag(rt, blue, red)
    same = _flag(rt, unlinked, red, 0.99)
    editor = login("editor")
    panel = editor.get(f"/assets/{blue}/vision").get_data(as_text=True)
    assert "Similar, different product" in panel and "Merge as new version" not in panel
    token = csrf_token(editor, "/assets")
    resp = editor.post(f"/duplicates/{different}/merge", data={"csrf_token": token})
    assert resp.status_code == 409
    with rt.db.session() as session:
        assert session.get(Asset, blue) is not None and session.get(Asset, red) is not None
    # A picture not linked to another product is still offered the merge.
    panel = editor.get(f"/assets/{unlinked}/vision").get_data(as_text=True)
    assert "Merge as new version" in panel
    assert editor.post(f"/duplicates/{same}/merge", data={"csrf_token": token}).status_code == 302


def test_hole_12_a_merge_can_be_undone(app: Flask, login: Callable[..., FlaskClient], tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    target, source = new_asset(rt, tmp_path, 124, title="Keeper"), new_asset(rt, tmp_path, 125, title="Copy")
    _link(rt, source, "500300")
    with rt.db.transaction() as session:
        from models import AssetTag

        session.add(AssetTag(asset_id=source, tag="summer", source="manual"))
        kept = session.get(Asset, target)
        assert kept is not None
        before, moved = kept.current_version_id, session.get(Asset, source).current_version_id  # type: ignore[union-attr]
    flag = _flag(rt, source, target)
    editor = login("editor")
    token = csrf_token(editor, "/assets")
    assert editor.post(f"/duplicates/{flag}/merge", data={"csrf_token": token}).status_code == 302
    panel = editor.get(f"/assets/{target}/vision").get_data(as_text=True)
    assert "Undo merge" in panel
    import re

    event_id = int(re.search(r"/duplicates/merges/(\d+)/undo", panel).group(1))  # type: ignore[union-attr]
    resp = editor.post(f"/duplicates/merges/{event_id}/undo", data={"csrf_token": token})
    assert resp.status_code == 302
    restored_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with rt.db.session() as session:
        kept = session.get(Asset, target)
        restored = session.get(Asset, restored_id)
        assert kept is not None and restored is not None
        assert kept.current_version_id == before and restored.current_version_id == moved
        assert restored.title == "Copy" and restored.status == "draft"
        assert {t.tag for t in restored.tags} == {"summer"}
        assert [link.key for link in restored.links] == ["500300"]
    # Undone once: the button is gone and a second undo is a conflict.
    assert "Undo merge" not in editor.get(f"/assets/{target}/vision").get_data(as_text=True)
    resp = editor.post(f"/duplicates/merges/{event_id}/undo", data={"csrf_token": token})
    assert resp.status_code == 409


def test_hole_12_pairs_of_different_articles_are_not_flagged(app: Flask, tmp_path: Path) -> None:
    from portal.services.vision.duplicates import flag_many

    rt: Runtime = app.extensions["assetport"]
    red, blue, other_view = (new_asset(rt, tmp_path, seed) for seed in (126, 127, 128))
    _link(rt, red, "500400")
    _link(rt, blue, "500500")
    _link(rt, other_view, "500400")
    with rt.db.transaction() as session:
        assert flag_many(session, {blue: (red, 0.97)}, "test") == 0
        assert flag_many(session, {other_view: (red, 0.99)}, "test") == 1
