"""Bulk edit at scale (issue 15): preview counts with grouped refusals, the single-asset rules per asset,
the job (run twice, it applies once), undo as a job, selections by search (re-run as the user) and by
collection, and the web pages from the form to the undo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AssetProduct, AssetTag, AuditEvent, BulkJob, BulkJobItem, Collection, CollectionItem, Role
from models.base import utcnow
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.runtime import Runtime
from portal.services.catalog import bulk, editing
from portal.services.catalog.products import upsert_product
from portal.services.governance import rights
from portal.services.governance.policy import Viewer
from portal.services.search import sync as search_sync
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state, user_with_token


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


def _tags(rt: Runtime, asset_id: int) -> list[str]:
    with rt.db.session() as session:
        return sorted(session.scalars(select(AssetTag.tag).where(AssetTag.asset_id == asset_id)))


def _world(rt: Runtime, tmp_path: Path) -> dict[str, int]:
    """Three drafts, one archived, one released to partners, one draft already tagged "spring"."""
    ids = {name: new_asset(rt, tmp_path, seed, title=f"lamp {name}") for seed, name in
           enumerate(("a", "b", "c", "archived", "released", "tagged"), start=40)}  # fmt: skip
    set_state(rt, ids["archived"], "archived", "internal")
    set_state(rt, ids["released"], "approved", "partner")
    with rt.db.transaction() as session:
        editing.update_asset_metadata(
            session, Viewer(None, Role.ADMIN), ids["tagged"], editing.parse_metadata_form({"tags": "spring"})
        )
    return ids


def test_preview_counts_and_groups_refusals_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    ids = _world(rt, tmp_path)
    editor, _ = user_with_token(app, "editor")
    viewer = Viewer(editor, Role.EDITOR)
    selection = bulk.select_assets(rt, viewer, ids=[*ids.values(), 999_999])
    shown = bulk.preview(rt.db, viewer, selection, bulk.parse_changes({"add_tags": ["Spring"]}))
    assert (shown["total"], shown["changed"], shown["unchanged"], shown["refused"]) == (7, 3, 1, 3)
    reasons = {r["reason"]: r["count"] for r in shown["reasons"]}
    assert reasons == {
        "archived: a manager must restore it before it can change": 1,
        "this asset is released to partner viewers; a manager must make this change "
        "(or narrow its visibility to internal first)": 1,
        "not found (deleted, or hidden from you)": 1,
    }
    by_id = {i["asset_id"]: i for i in shown["items"]}
    assert by_id[ids["a"]]["changes"] == {"tags": {"from": [], "to": ["spring"]}}
    assert by_id[ids["archived"]]["status"] == 403
    assert _tags(rt, ids["a"]) == []  # nothing written
    # A manager may change the archived and the released one too.
    boss, _ = user_with_token(app, "manager")
    shown = bulk.preview(
        rt.db, Viewer(boss, Role.MANAGER), selection, bulk.parse_changes({"add_tags": ["x"]})
    )
    assert (shown["changed"], shown["refused"]) == (6, 1)


@pytest.mark.parametrize(
    ("changes", "single"),
    [
        ({"visibility": "public"}, {"visibility": "public"}),
        ({"expires_at": "2031-01-01"}, {"rights_expire_at": "2031-01-01"}),
        ({"rights_note": "new"}, {"rights_note": "new"}),
    ],
)
def test_editor_rules_on_released_assets_mirror_the_single_asset_services(
    app: Flask, tmp_path: Path, changes: dict[str, str], single: dict[str, str]
) -> None:
    rt = _rt(app)
    released = new_asset(rt, tmp_path, 60)
    set_state(rt, released, "approved", "partner")
    editor, _ = user_with_token(app, "editor")
    viewer = Viewer(editor, Role.EDITOR)
    with rt.db.transaction() as session, pytest.raises(PermissionDenied) as refused:
        rights.update_rights(session, viewer, released, rights.parse_rights_form(single))
    selection = bulk.Selection([released])
    shown = bulk.preview(rt.db, viewer, selection, bulk.parse_changes(changes))
    assert shown["refused"] == 1 and shown["reasons"][0]["reason"] == refused.value.message
    # Narrowing (withdrawing) is always allowed, as on the asset page.
    narrowed = bulk.preview(rt.db, viewer, selection, bulk.parse_changes({"visibility": "internal"}))
    assert narrowed["changed"] == 1


def test_job_audits_each_asset_runs_once_and_undo_restores_as_a_job(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    ids = _world(rt, tmp_path)
    boss, _ = user_with_token(app, "manager")
    viewer = Viewer(boss, Role.MANAGER)
    with rt.db.transaction() as session:
        editing.update_asset_metadata(
            session, viewer, ids["a"], editing.parse_metadata_form({"tags": "old, keep"})
        )
    changes = {"add_tags": ["summer"], "remove_tags": ["old"], "visibility": "partner"}
    with rt.db.transaction() as session:
        job_id = bulk.start(session, viewer, bulk.Selection(list(ids.values())), changes).id
    bulk.run(rt.db, job_id)  # jobs run eagerly in tests: this second run must change nothing
    with rt.db.session() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None and (job.status, job.done, job.summary["changed"]) == ("done", 6, 6)
        audits = session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "asset.bulk_edit", AuditEvent.target == f"bulk:{job_id}"
            )
        )
        assert audits == 6
        assert session.scalar(select(func.count(BulkJobItem.id)).where(BulkJobItem.job_id == job_id)) == 6
    assert _tags(rt, ids["a"]) == ["keep", "summer"]
    # Someone tags an asset after the job: the undo takes back only what the job did.
    with rt.db.transaction() as session:
        editing.update_asset_metadata(
            session, viewer, ids["a"], editing.parse_metadata_form({"tags": "keep, summer, later"})
        )
    with rt.db.transaction() as session:
        undo_id = bulk.start_undo(session, viewer, job_id).id
    with rt.db.session() as session:
        undo = session.get(BulkJob, undo_id)
        original = session.get(BulkJob, job_id)
        assert undo is not None and original is not None
        assert (undo.kind, undo.status, undo.summary["changed"], original.status) == (
            "undo",
            "done",
            6,
            "undone",
        )
        assert (
            session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "asset.bulk_undo"))
            == 6
        )
    assert _tags(rt, ids["a"]) == ["keep", "later", "old"]
    with rt.db.session() as session:
        assert bulk.get_job(session, viewer, ids["a"] and job_id).status == "undone"
    with rt.db.transaction() as session, pytest.raises(ValidationError):
        bulk.start_undo(session, viewer, job_id)


def test_workflow_actions_follow_the_workflow_table_per_asset(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    ids = [new_asset(rt, tmp_path, seed) for seed in (70, 71, 72)]
    set_state(rt, ids[0], "in_review")
    set_state(rt, ids[1], "in_review")
    boss, _ = user_with_token(app, "manager")
    editor, _ = user_with_token(app, "editor")
    approve = bulk.parse_changes({"action": "approve"})
    as_editor = bulk.preview(rt.db, Viewer(editor, Role.EDITOR), bulk.Selection(ids), approve)
    assert as_editor["refused"] == 3
    with rt.db.transaction() as session:
        job_id = bulk.start(
            session, Viewer(boss, Role.MANAGER), bulk.Selection(ids), {"action": "approve"}
        ).id
    with rt.db.session() as session:
        job = bulk.get_job(session, Viewer(boss, Role.MANAGER), job_id)
        assert (job.summary["changed"], job.summary["refused"]) == (2, 1)
        assert job.summary["reasons"] == {"it is draft; approve needs it in review": 1}
        events = session.scalars(
            select(AuditEvent.asset_id).where(AuditEvent.action == "workflow.approve")
        ).all()
        assert sorted(e for e in events if e is not None) == ids[:2]
    with pytest.raises(ValidationError):
        bulk.parse_changes({"action": "reject"})  # a rejection needs a comment, as one at a time


def test_search_selection_is_run_again_as_the_user_and_collections_select(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    lamps = [new_asset(rt, tmp_path, seed, title=f"brass lamp {seed}") for seed in (80, 81)]
    new_asset(rt, tmp_path, 82, title="oak chair")
    set_state(rt, lamps[1], "approved", "partner")
    with rt.db.transaction() as session:
        search_sync.assets_changed(session, [lamps[1]])  # set_state writes the row only
    editor, headers = user_with_token(app, "editor")
    _, partner = user_with_token(app, "partner")
    client = app.test_client()
    body = {"search": "q=lamp", "changes": {"add_tags": ["light"]}, "dry_run": True}
    dry = client.post("/api/v1/bulk", json=body, headers=headers).get_json()
    assert dry["total"] == 2 and dry["changed"] == 1 and dry["refused"] == 1  # the released lamp: managers
    # The search is re-run when the job starts: a lamp added since is part of it.
    late = new_asset(rt, tmp_path, 83, title="brass lamp late")
    drafts = {"search": "q=lamp&f.status=draft", "changes": {"add_tags": ["light"]}}
    started = client.post("/api/v1/bulk", json=drafts, headers=headers)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["source"] == {"kind": "search", "search": "q=lamp&f.status=draft"}
    assert {r["asset_id"] for r in job["results"]} == {lamps[0], late}
    assert client.post("/api/v1/bulk", json=drafts, headers=partner).status_code == 403
    # A collection is a source too.
    with rt.db.transaction() as session:
        collection = Collection(name="Lamps", created_by_id=editor)
        session.add(collection)
        session.flush()
        session.add_all(
            [CollectionItem(collection_id=collection.id, asset_id=i, position=n) for n, i in enumerate(lamps)]
        )
        collection_id = collection.id
    by_collection = {"collection": collection_id, "changes": {"remove_tags": ["light"]}, "dry_run": True}
    dry = client.post("/api/v1/bulk", json=by_collection, headers=headers).get_json()
    assert dry["total"] == 2 and dry["changed"] == 1
    missing = {"collection": 999_999, "changes": {"add_tags": ["x"]}, "dry_run": True}
    assert client.post("/api/v1/bulk", json=missing, headers=headers).status_code == 404


def test_web_form_preview_confirm_progress_and_undo(
    app: Flask, tmp_path: Path, login: Callable[..., FlaskClient]
) -> None:
    rt = _rt(app)
    ids = [new_asset(rt, tmp_path, seed, title=f"shelf {seed}") for seed in (90, 91, 92)]
    set_state(rt, ids[2], "archived")
    client = login("editor")
    token = csrf_token(client, "/search")
    search = client.get("/search?q=shelf")
    assert b'id="edit-all-hits"' in search.data and b"Edit all 3 hits" in search.data
    form = client.get("/bulk", query_string={"search": "q=shelf"})
    assert form.status_code == 200 and b"every hit of the search" in form.data
    assert (
        client.post("/bulk", data={"csrf_token": token, "asset_ids": [str(i) for i in ids]}).status_code
        == 200
    )
    fields = {"csrf_token": token, "search": "q=shelf", "add_tags": "oak, pine", "expiry_mode": "keep"}
    preview = client.post("/bulk/preview", data=fields)
    assert preview.status_code == 200
    assert b"3 assets: 2 change, 1 refused" in preview.data and b"archived" in preview.data
    assert _tags(rt, ids[0]) == []
    bad = client.post("/bulk/preview", data={**fields, "add_tags": "", "expiry_mode": "set"})
    assert bad.status_code == 422
    started = client.post("/bulk/start", data=fields)
    assert started.status_code == 302
    page = client.get(started.headers["Location"])
    assert page.status_code == 200 and b"2 changed" in page.data and b"Undo this batch" in page.data
    assert _tags(rt, ids[0]) == ["oak", "pine"]
    job_id = int(started.headers["Location"].rstrip("/").split("/")[-1])
    undone = client.post(f"/bulk/jobs/{job_id}/undo", data={"csrf_token": token})
    assert undone.status_code == 302
    assert b"Undo of bulk edit" in client.get(undone.headers["Location"]).data
    assert _tags(rt, ids[0]) == []
    assert client.post(f"/bulk/jobs/{job_id}/undo", data={"csrf_token": token}).status_code == 422


def test_undo_puts_removed_product_links_back_and_takes_added_ones_away(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    asset = new_asset(rt, tmp_path, 95)
    boss, _ = user_with_token(app, "manager")
    viewer = Viewer(boss, Role.MANAGER)
    with rt.db.transaction() as session:
        for number in ("P-1", "P-2"):
            upsert_product(session, {"name": number}, article_number=number)
    with rt.db.transaction() as session:
        editing.link_product(session, viewer, asset, "P-1")
    changes = {"remove_links": ["P-1"], "add_links": ["P-2"]}
    with rt.db.transaction() as session:
        job_id = bulk.start(session, viewer, bulk.Selection([asset]), changes).id
    assert _links(rt, asset) == ["P-2"]
    with rt.db.transaction() as session:
        bulk.start_undo(session, viewer, job_id)
    assert _links(rt, asset) == ["P-1"]
    with pytest.raises(NotFound):
        bulk.preview(rt.db, viewer, bulk.Selection([asset]), bulk.parse_changes({"add_links": ["nope"]}))


def _links(rt: Runtime, asset_id: int) -> list[str]:
    with rt.db.session() as session:
        rows = session.scalars(select(AssetProduct).where(AssetProduct.asset_id == asset_id))
        return sorted(link.key for link in rows)


def test_a_job_left_running_by_a_dead_worker_is_taken_over_and_skips_what_was_done(
    app: Flask, tmp_path: Path
) -> None:
    rt = _rt(app)
    ids = [new_asset(rt, tmp_path, seed) for seed in (97, 98)]
    boss, _ = user_with_token(app, "manager")
    with rt.db.transaction() as session:
        job = BulkJob(created_by_id=boss, status="running", heartbeat_at=None, asset_ids={"ids": ids},
                      changes={"add_tags": ["x"]}, total=2, summary={"unchanged": 1})  # fmt: skip
        session.add(job)
        session.flush()
        session.add(BulkJobItem(job_id=job.id, asset_id=ids[0], outcome="unchanged", before={}, after={}))
        job_id = job.id
    bulk.run(rt.db, job_id)
    with rt.db.session() as session:
        resumed = session.get(BulkJob, job_id)
        assert resumed is not None and (resumed.status, resumed.done, resumed.summary["changed"]) == (
            "done",
            2,
            1,
        )
    assert _tags(rt, ids[0]) == [] and _tags(rt, ids[1]) == ["x"]
    # A job another worker holds (fresh heartbeat) is left alone.
    with rt.db.transaction() as session:
        held = BulkJob(created_by_id=boss, status="running", heartbeat_at=utcnow(), asset_ids={"ids": ids},
                       changes={"add_tags": ["y"]}, total=2, summary={})  # fmt: skip
        session.add(held)
        session.flush()
        held_id = held.id
    bulk.run(rt.db, held_id)
    assert _tags(rt, ids[1]) == ["x"]
