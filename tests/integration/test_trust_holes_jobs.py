"""Trust hole 7: bad ids are refused at the edge, a job that raises fails with its reason, and outbox items
get a bounded number of attempts, then a dead-letter state admins see (and can retry)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from models import OutboxItem, Package
from portal.jobs.outbox import MAX_ATTEMPTS, run_item, sweep
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.distribution import packages
from tests.conftest import csrf_token
from tests.gov_helpers import user_with_token


def test_hole_07_bad_ids_refused_failed_jobs_marked_and_dead_letters_shown(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    rt: Runtime = app.extensions["assetport"]
    user_id, headers = user_with_token(app, "editor")
    client = app.test_client()
    for ids in ([1180591620717411303424, -1, 0], [2**31], [0]):
        resp = client.post("/api/v1/packages", json={"asset_ids": ids}, headers=headers)
        assert resp.status_code == 422, (ids, resp.status_code)
    with rt.db.session() as session:
        assert session.query(Package).count() == 0
    # A package recorded before the check (or broken otherwise) fails with a reason, never stays running.
    with rt.db.transaction() as session:
        package = Package(
            created_by_id=user_id, viewer_role="editor", kind="zip", presets=["web"], template="{filename}",
            source="selection", lines=["1180591620717411303424"],
        )  # fmt: skip
        session.add(package)
        session.flush()
        package_id = package.id
    assert packages.build(rt, package_id) == "failed"
    with rt.db.session() as session:
        stored = session.get(Package, package_id)
        assert stored is not None and stored.status == "failed" and stored.error
    # An outbox item that keeps failing is tried MAX_ATTEMPTS times, then dead.
    with rt.db.transaction() as session:
        recorded = outbox.record(session, "no.such.task", value=1)
        session.flush()
        item_id = recorded.id
    for _ in range(MAX_ATTEMPTS + 3):
        with contextlib.suppress(LookupError):
            run_item(rt, item_id)
    with rt.db.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None and item.attempts == MAX_ATTEMPTS and item.done_at is None
    assert sweep(rt) == 0
    admin = login("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "no.such.task" in page and "dead" in page and "packages.build" in page
    assert login("manager").get("/admin/jobs").status_code == 403
    token = csrf_token(admin, "/admin/jobs")
    assert admin.post(f"/admin/jobs/{item_id}/retry", data={"csrf_token": token}).status_code == 302
    with rt.db.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None and item.attempts == 0
