"""Bulk edit at catalogue scale: N assets tagged in one batch on the embedded defaults (SQLite, embedded
search engine, in-process worker threads), then the search index catching up, then the undo.

Setup (not timed): N asset rows with two tags each are written straight into the database and indexed.
Timed, through the same service calls the web page and the API make: the preview over every asset, the
job (queued through the outbox, run by the in-process worker in chunks), the search index until a filter
on the new tag finds all N, and the undo job with the index catching up again.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from bench.common import fresh_runtime, print_table, write_results
from indexer.sync import rebuild_all
from models import Asset, AssetTag, BulkJob, OutboxItem, Role, User
from models.base import utcnow
from portal.runtime import Runtime
from portal.services.catalog import bulk
from portal.services.governance.policy import Viewer
from portal.services.search.meaning import text_encoder
from portal.services.search.queries import parse_params, run_search
from portal.services.vision.store import index_vector_loader

TAG = "bench-bulk"
BATCH = 5_000


def _seed(rt: Runtime, n: int) -> int:
    """N assets (a mix of states and visibilities) with two tags each, indexed; returns a manager's id."""
    now = utcnow()
    states = ("draft", "in_review", "approved", "approved", "rejected")
    with rt.db.transaction() as session:
        user = User(email="bench@example.com", role=Role.MANAGER.value, password_hash="-")
        session.add(user)
        session.flush()
        user_id = user.id
    for start in range(0, n, BATCH):
        rows = [
            {"title": f"Bench asset {i}", "original_filename": f"bench_{i}.jpg", "media_kind": "image",
             "status": states[i % len(states)], "visibility": ("internal", "partner", "public")[i % 3],
             "created_at": now - timedelta(seconds=i), "updated_at": now}
            for i in range(start, min(n, start + BATCH))
        ]  # fmt: skip
        with rt.db.transaction() as session:
            session.execute(insert(Asset), rows)
    with rt.db.transaction() as session:
        ids = list(session.scalars(select(Asset.id).order_by(Asset.id)))
        for start in range(0, len(ids), BATCH):
            tags = [{"asset_id": i, "tag": t, "source": "manual"} for i in ids[start : start + BATCH]
                    for t in ("catalogue", f"group {i % 50}")]  # fmt: skip
            session.execute(insert(AssetTag), tags)
    # The models load once per process (the first sync would pay for it): load them here, untimed. The
    # index is built as production builds it, text vectors (and their cache) included.
    texts = text_encoder(rt.settings, rt.db.session)
    rebuild_all(rt.search(), rt.db.session, vectors=index_vector_loader(rt.settings), texts=texts)
    return user_id


def _hits(rt: Runtime, viewer: Viewer, query: str) -> int:
    params = parse_params({k: [v] for k, v in (p.split("=", 1) for p in query.split("&"))})
    return run_search(rt, viewer, params).total


def _wait_job(rt: Runtime, job_id: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rt.db.session() as session:
            job = session.get(BulkJob, job_id)
            assert job is not None
            if job.status in ("done", "failed", "undone"):
                return {"status": job.status, "summary": dict(job.summary)}
        time.sleep(0.1)
    raise TimeoutError(f"bulk job {job_id} did not finish within {timeout} s")


def _wait_index(rt: Runtime, viewer: Viewer, query: str, want: int, timeout: float) -> float:
    """Seconds until the search finds ``want`` hits for ``query`` (the index caught up)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if _hits(rt, viewer, query) == want:
            return time.monotonic() - start
        time.sleep(0.2)
    raise TimeoutError(f"the index did not catch up within {timeout} s")


def _pending_syncs(rt: Runtime) -> int:
    with rt.db.session() as session:
        return int(
            session.scalar(
                select(func.count(OutboxItem.id)).where(
                    OutboxItem.task == "search.sync", OutboxItem.done_at.is_(None)
                )
            )
            or 0
        )


def bench(n: int) -> list[dict[str, Any]]:
    """Seed N assets, then time preview, job, index catch-up and undo; one row per phase."""
    with fresh_runtime() as rt:
        t0 = time.monotonic()
        user_id = _seed(rt, n)
        setup = time.monotonic() - t0
        viewer = Viewer(user_id, Role.MANAGER)
        changes = {"add_tags": [TAG]}
        rows: list[dict[str, Any]] = []

        def row(phase: str, seconds: float, target: str, note: str = "") -> None:
            rows.append({"phase": phase, "assets": n, "seconds": round(seconds, 2),
                         "assets_per_s": round(n / seconds) if seconds else None, "target": target,
                         "note": note})  # fmt: skip

        t0 = time.monotonic()
        with rt.db.session() as session:
            ids = list(session.scalars(select(Asset.id).order_by(Asset.id)))
        selection = bulk.Selection(ids, {"kind": "ids"})
        shown = bulk.preview(rt.db, viewer, selection, bulk.parse_changes(changes))
        row("preview (nothing written)", time.monotonic() - t0, "-", f"{shown['changed']:,} would change")

        t0 = time.monotonic()
        with rt.db.transaction() as session:
            job_id = bulk.start(session, viewer, selection, changes).id
        outcome = _wait_job(rt, job_id, timeout=1800)
        took = time.monotonic() - t0
        row("job: tag every asset", took, "< 60 s", f"{outcome['summary'].get('changed', 0):,} changed")
        backlog = _pending_syncs(rt)
        caught = _wait_index(rt, viewer, f"f.tags={TAG}", n, timeout=1800)
        row("index caught up after the job", caught, "< 60 s", f"{backlog} sync items pending at job end")

        t0 = time.monotonic()
        with rt.db.transaction() as session:
            undo_id = bulk.start_undo(session, viewer, job_id).id
        _wait_job(rt, undo_id, timeout=1800)
        row("undo job", time.monotonic() - t0, "-", "")
        caught = _wait_index(rt, viewer, f"f.tags={TAG}", 0, timeout=1800)
        row("index caught up after the undo", caught, "-", f"setup {setup:.0f} s (not timed)")
        return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run, print the table and write ``bench/results/bulk.json``."""
    n = 5_000 if quick else 100_000
    rows = bench(n)
    print_table(
        f"Bulk edit: {n:,} assets tagged in one batch (embedded defaults: SQLite + embedded engine)", rows
    )
    print(f"results: {write_results('bulk' if not quick else 'bulk_quick', rows)}")
    return rows


if __name__ == "__main__":
    import sys

    run(quick="--quick" in sys.argv)
