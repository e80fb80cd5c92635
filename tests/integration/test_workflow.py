"""The approval workflow: every legal and illegal transition, roles, comments, audit, search sync, queue."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from indexer.query import PortalQuery
from models import Asset, AssetStatus, AuditEvent, OutboxItem
from portal.runtime import Runtime
from portal.services.governance.workflow import TRANSITIONS
from tests.gov_helpers import new_asset, set_state, user_with_token

ALL_STATES = [s.value for s in AssetStatus]
LEGAL = [(t.action, s.value) for t in TRANSITIONS.values() for s in t.sources]
ILLEGAL = [(a, s) for a in TRANSITIONS for s in ALL_STATES if (a, s) not in LEGAL]


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


def _post(
    app: Flask, headers: dict[str, str], asset_id: int, action: str, comment: str | None = None
) -> object:
    body = {"action": action, "comment": comment}
    return app.test_client().post(f"/api/v1/assets/{asset_id}/transitions", json=body, headers=headers)


def test_every_legal_transition(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    manager, headers = user_with_token(app, "manager")
    for seed, (action, source) in enumerate(LEGAL, start=1):
        asset_id = new_asset(rt, tmp_path, seed)
        set_state(rt, asset_id, source)
        resp = _post(app, headers, asset_id, action, "looks fine" if action != "reject" else "wrong colours")
        assert resp.status_code == 200, (action, source, resp.get_json())  # type: ignore[attr-defined]
        target = TRANSITIONS[action].target.value
        assert resp.get_json()["status"] == target  # type: ignore[attr-defined]
        with rt.db.session() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None and asset.status == target and asset.status_changed_at is not None
            event = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.asset_id == asset_id, AuditEvent.action == f"workflow.{action}"
                )
            ).one()
            assert event.actor_id == manager and event.at is not None
            assert event.detail["from"] == source and event.detail["to"] == target and event.detail["comment"]
            # The search sync was recorded in the same transaction (and, with eager jobs, already ran).
            syncs = session.scalars(select(OutboxItem).where(OutboxItem.task == "search.sync")).all()
            assert any(asset_id in item.args["asset_ids"] for item in syncs)
        hits = rt.search().search(PortalQuery(viewer_role="admin", size=200)).hits
        assert [h.doc["status"] for h in hits if h.id == asset_id] == [target]


def test_every_illegal_transition_is_a_409(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    _, headers = user_with_token(app, "admin")
    asset_id = new_asset(rt, tmp_path, 2)
    for action, source in ILLEGAL:
        set_state(rt, asset_id, source)
        resp = _post(app, headers, asset_id, action, "a comment")
        assert resp.status_code == 409, (action, source, resp.get_json())  # type: ignore[attr-defined]
        error = resp.get_json()["error"]  # type: ignore[attr-defined]
        assert error["code"] == "conflict" and source.replace("_", " ") in error["message"]
        with rt.db.session() as session:
            assert session.get(Asset, asset_id).status == source  # type: ignore[union-attr]
    with rt.db.session() as session:
        assert not session.scalars(select(AuditEvent).where(AuditEvent.action.like("workflow.%"))).all()


def test_approve_releases_the_current_version_and_reject_needs_a_reason(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    editor, editor_headers = user_with_token(app, "editor")
    _, manager_headers = user_with_token(app, "manager")
    asset_id = new_asset(rt, tmp_path, 3, user_id=editor)
    assert _post(app, editor_headers, asset_id, "submit").status_code == 200  # type: ignore[attr-defined]
    assert _post(app, editor_headers, asset_id, "approve").status_code == 403  # type: ignore[attr-defined]
    missing = _post(app, manager_headers, asset_id, "reject", "  ")
    assert missing.status_code == 422  # type: ignore[attr-defined]
    rejected = _post(app, manager_headers, asset_id, "reject", "crop is wrong")
    assert rejected.get_json()["review_comment"] == "crop is wrong"  # type: ignore[attr-defined]
    assert _post(app, editor_headers, asset_id, "reopen").status_code == 200  # type: ignore[attr-defined]
    assert _post(app, editor_headers, asset_id, "submit").status_code == 200  # type: ignore[attr-defined]
    approved = _post(app, manager_headers, asset_id, "approve").get_json()  # type: ignore[attr-defined]
    assert approved["approved_version_id"] == approved["current_version_id"] is not None
    unknown = _post(app, manager_headers, asset_id, "publish")
    assert unknown.status_code == 422  # type: ignore[attr-defined]


def test_partners_get_404_for_hidden_and_403_for_visible_assets(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    _, partner = user_with_token(app, "partner")
    hidden = new_asset(rt, tmp_path, 4)
    shown = new_asset(rt, tmp_path, 5)
    set_state(rt, shown, "approved", "partner")
    assert _post(app, partner, hidden, "submit").status_code == 404  # type: ignore[attr-defined]
    assert _post(app, partner, shown, "archive").status_code == 403  # type: ignore[attr-defined]
    assert _post(app, partner, 999_999, "submit").status_code == 404  # type: ignore[attr-defined]


def test_bad_bodies_are_clear_4xx(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    _, headers = user_with_token(app, "manager")
    asset_id = new_asset(rt, tmp_path, 6)
    client = app.test_client()
    url = f"/api/v1/assets/{asset_id}/transitions"
    assert client.post(url, data="{", headers=headers, content_type="application/json").status_code == 400
    assert client.post(url, json=["submit"], headers=headers).status_code == 400
    assert client.post(url, json={"action": 3}, headers=headers).status_code == 422
    assert (
        client.post(url, json={"action": "submit", "comment": "x" * 5000}, headers=headers).status_code == 422
    )


def test_review_queue_lists_in_review_with_filters(app: Flask, tmp_path: Path) -> None:
    rt = _rt(app)
    editor, editor_headers = user_with_token(app, "editor")
    other, _ = user_with_token(app, "editor")
    _, manager = user_with_token(app, "manager")
    mine = new_asset(rt, tmp_path, 7, user_id=editor)
    theirs = new_asset(rt, tmp_path, 8, user_id=other)
    draft = new_asset(rt, tmp_path, 9, user_id=editor)
    for asset_id in (mine, theirs):
        set_state(rt, asset_id, "in_review", approved=False)
    client = app.test_client()
    queue = client.get("/api/v1/review-queue", headers=manager).get_json()
    assert sorted(i["id"] for i in queue["items"]) == sorted([mine, theirs]) and draft not in queue
    only = client.get(f"/api/v1/review-queue?uploader={editor}", headers=manager).get_json()
    assert [i["id"] for i in only["items"]] == [mine]
    assert client.get("/api/v1/review-queue?age=30", headers=manager).get_json()["total"] == 0
    assert client.get("/api/v1/review-queue?product=nope", headers=manager).get_json()["total"] == 0
    assert client.get("/api/v1/review-queue?category=nope", headers=manager).get_json()["total"] == 0
    assert client.get("/api/v1/review-queue?age=x", headers=manager).status_code == 422
    assert client.get("/api/v1/review-queue", headers=editor_headers).status_code == 403
