"""The portal keeps the search index in step: uploads, edits, links and product changes reach it after
commit through the outbox; ``assetport reindex`` rebuilds it; the API answers with the viewer's rights."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Asset, OutboxItem, Role
from portal.jobs.registry import run_task
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.services.catalog import editing
from portal.services.catalog.ingest import ingest_file
from portal.services.catalog.products import upsert_product
from portal.services.governance.policy import Viewer
from portal.services.search.queries import SearchParams, run_search
from tests.helpers import DEMO, ZOO

ADMIN = Viewer(None, Role.ADMIN)


@pytest.fixture
def admin(rt: Runtime) -> Viewer:
    with rt.db.transaction() as session:
        return Viewer(
            create_user(session, "admin@example.com", "long enough password", "admin").id, Role.ADMIN
        )


def _ids(rt: Runtime, viewer: Viewer = ADMIN, **params: object) -> list[int]:
    return run_search(rt, viewer, SearchParams(**params)).ids  # type: ignore[arg-type]


def _demo_file(tmp_path: Path, name: str, source: str = "hopper.jpg") -> Path:
    path = tmp_path / name
    shutil.copy(ZOO / "good" / source, path)
    return path


def test_upload_is_searchable_by_article_and_product_name(rt: Runtime, tmp_path: Path) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "404.038.96", "name": "Nebula lamp", "category": "Lamps"})
    asset_id = ingest_file(rt, _demo_file(tmp_path, "404.038.96_1.jpg")).asset_id
    ingest_file(rt, ZOO / "good" / "flower.webp")
    assert _ids(rt, text="404.038.96")[0] == asset_id
    assert _ids(rt, text="nebula") == [asset_id]
    assert run_search(rt, ADMIN, SearchParams(filters={"category": ("Lamps",)})).ids == [asset_id]
    result = run_search(rt, ADMIN, SearchParams(filters={"file_type": ("JPEG",)}))
    assert result.ids == [asset_id]
    # Disjunctive: the file-type facet ignores its own selection, so WEBP still offers itself.
    assert {v.value: v.count for v in result.facets["file_type"]} == {"JPEG": 1, "WEBP": 1}


def test_edits_links_and_product_changes_reach_the_index(rt: Runtime, admin: Viewer) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "A-1", "name": "Plain mug", "model_code": "mug"})
        upsert_product(session, {"article_number": "A-2", "name": "Plain mug large", "model_code": "mug"})
    asset_id = ingest_file(rt, ZOO / "good" / "hopper.jpg").asset_id or 0
    assert _ids(rt, text="mug") == []
    with rt.db.transaction() as session:
        editing.link_product(session, admin, asset_id, "mug")
    assert _ids(rt, text="A-2") == [asset_id]  # a model-code link covers every variant
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "A-1", "name": "Enamel mug", "model_code": "mug"})
    assert _ids(rt, text="enamel") == [asset_id]
    with rt.db.transaction() as session:
        editing.update_asset_metadata(
            session, admin, asset_id, editing.MetadataEdit("Grace portrait", None, None)
        )
    assert _ids(rt, text="grace") == [asset_id]


def test_deleted_asset_leaves_the_index_and_sync_is_idempotent(rt: Runtime) -> None:
    asset_id = ingest_file(rt, ZOO / "good" / "hopper.jpg").asset_id or 0
    with rt.db.transaction() as session:
        session.delete(session.get(Asset, asset_id))
    assert _ids(rt) == [asset_id]  # nothing told the index yet
    run_task(rt, "search.sync", {"asset_ids": [asset_id]})
    run_task(rt, "search.sync", {"asset_ids": [asset_id]})
    assert _ids(rt) == []


def test_partner_search_only_shows_released_assets(rt: Runtime) -> None:
    draft = ingest_file(rt, ZOO / "good" / "hopper.jpg").asset_id
    released = ingest_file(rt, ZOO / "good" / "flower.webp").asset_id
    internal = ingest_file(rt, ZOO / "good" / "rgb.jpg").asset_id
    with rt.db.transaction() as session:
        for asset_id, visibility in ((released, "partner"), (internal, "internal")):
            asset = session.get(Asset, asset_id)
            assert asset is not None
            asset.status, asset.visibility = "approved", visibility
    run_task(rt, "search.sync", {"asset_ids": [released, internal]})
    partner = Viewer(2, Role.PARTNER)
    result = run_search(rt, partner, SearchParams())
    assert result.ids == [released] and result.total == 1
    assert all(v.count == 1 for values in result.facets.values() for v in values)
    assert set(_ids(rt)) == {draft, released, internal}


def test_reindex_command_rebuilds_from_the_database(
    rt: Runtime, tmp_path: Path, monkeypatch: object, database_url: str
) -> None:
    ids = {ingest_file(rt, ZOO / "good" / n).asset_id for n in ("hopper.jpg", "flower.webp")}
    shutil.rmtree(Path(rt.settings.resolved_search_url.removeprefix("embedded://")), ignore_errors=True)
    rt.close()
    env = {
        "ASSETPORT_INSTANCE_DIR": str(rt.settings.instance_dir),
        "ASSETPORT_DATABASE_URL": database_url,
    }
    from portal.cli import main

    result = CliRunner().invoke(main, ["reindex"], env=env)
    assert result.exit_code == 0, result.output
    assert "indexed 2 assets" in result.output
    from portal.jobs.bootstrap import build_runtime

    again = build_runtime(rt.settings, start_workers=False)
    try:
        assert set(_ids(again)) == ids
    finally:
        again.close()


def test_search_api(login: Callable[..., FlaskClient], app: object) -> None:
    client = login("editor")
    rt: Runtime = app.extensions["assetport"]  # type: ignore[attr-defined]
    import_demo = DEMO / "images"
    first = sorted(import_demo.glob("*.png"))[0]
    ingest_file(rt, first)
    body = client.get("/api/v1/search?q=&sort=newest&size=5").get_json()
    assert body["total"] == 1 and body["hits"][0]["thumbnail_url"].startswith("/a/")
    assert "file_type" in body["facets"]
    assert client.get("/api/v1/search?sort=bogus").status_code == 422
    assert client.get("/api/v1/search?f.nope=1").status_code == 422
    assert client.get("/api/v1/search?size=999").status_code == 422
    with rt.db.session() as session:
        assert session.scalars(select(OutboxItem.task)).all().count("search.sync") == 1
