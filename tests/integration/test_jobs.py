"""The job queue: in-process threads, a real RQ burst worker on Redis, the outbox, idempotent jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from models import AssetVersion, OutboxItem, PreviewState, Rendition
from portal.jobs.bootstrap import build_runtime
from portal.jobs.queue import RQ_QUEUE_NAME, RQQueue, ThreadQueue
from portal.jobs.registry import run_task
from portal.jobs.worker import run_worker, set_worker_runtime
from portal.runtime import Runtime
from portal.services.catalog.ingest import ingest_file
from portal.settings import Settings
from tests.helpers import ZOO

IMAGES = ["hopper.jpg", "flower.webp", "hopper_mask.png", "pil_sample_cmyk.jpg"]


def _states(rt: Runtime) -> list[str]:
    with rt.db.session() as session:
        return list(session.scalars(select(AssetVersion.preview_state).order_by(AssetVersion.id)))


def _with(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


def test_thread_queue_builds_previews_in_background(settings: Settings) -> None:
    rt = build_runtime(_with(settings, jobs_eager=False, worker_threads=2))
    try:
        assert isinstance(rt.queue, ThreadQueue)
        for name in IMAGES:
            assert ingest_file(rt, ZOO / "good" / name).created
        assert rt.queue.join(timeout=60)
        assert _states(rt) == [PreviewState.READY] * len(IMAGES)
    finally:
        rt.close()


def test_rq_burst_worker_on_real_redis(settings: Settings, redis_url: str) -> None:
    rt = build_runtime(_with(settings, redis_url=redis_url, jobs_eager=False))
    try:
        assert isinstance(rt.queue, RQQueue)
        for name in IMAGES:
            ingest_file(rt, ZOO / "good" / name)
        queued = Queue(RQ_QUEUE_NAME, connection=Redis.from_url(redis_url))
        assert queued.count == 2 * len(IMAGES)  # previews and search sync for each
        assert _states(rt) == [PreviewState.PENDING] * len(IMAGES)
        run_worker(rt, burst=True)
        assert queued.count == 0
        assert _states(rt) == [PreviewState.READY] * len(IMAGES)
    finally:
        set_worker_runtime(None)
        rt.close()


def test_down_redis_delays_but_never_drops(settings: Settings, redis_url: str) -> None:
    down = build_runtime(_with(settings, redis_url="redis://127.0.0.1:1/0", jobs_eager=False))
    try:
        result = ingest_file(down, ZOO / "good" / "hopper.jpg")
        assert result.created, "the upload itself must succeed while Redis is down"
    finally:
        down.close()
    up = build_runtime(_with(settings, redis_url=redis_url, jobs_eager=False))
    try:
        assert _states(up) == [PreviewState.PENDING]
        run_worker(up, burst=True)  # sweeps the outbox first, then runs what it re-dispatched
        assert _states(up) == [PreviewState.READY]
    finally:
        set_worker_runtime(None)
        up.close()


def test_jobs_are_safe_twice_and_missing_rows_are_noops(rt: Runtime) -> None:
    result = ingest_file(rt, ZOO / "good" / "hopper.jpg")
    run_task(rt, "previews.build", {"version_id": result.version_id})
    run_task(rt, "previews.build", {"version_id": result.version_id, "force": True})
    run_task(rt, "previews.build", {"version_id": 999_999})
    run_task(rt, "outbox.run", {"item_id": 999_999})
    with rt.db.session() as session:
        rows = session.scalars(select(Rendition).where(Rendition.version_id == result.version_id)).all()
        assert sorted(r.preset for r in rows) == ["preview", "thumb"]


def test_failed_outbox_item_is_kept_for_retry(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        session.add(OutboxItem(task="no.such.job", args={}))
    with rt.db.session() as session:
        item = session.scalars(select(OutboxItem)).one()
    with pytest.raises(LookupError):
        run_task(rt, "outbox.run", {"item_id": item.id})
    with rt.db.session() as session:
        item = session.scalars(select(OutboxItem)).one()
        assert item.done_at is None and item.attempts == 1 and "no.such.job" in (item.last_error or "")


def test_sweep_redispatches_pending_items(settings: Settings, tmp_path: Path) -> None:
    rt = build_runtime(_with(settings, jobs_eager=True))
    try:
        result = ingest_file(rt, ZOO / "good" / "hopper.jpg")
        with rt.db.transaction() as session:
            item = session.scalars(select(OutboxItem).where(OutboxItem.task == "previews.build")).one()
            item.done_at = None  # pretend the worker died before finishing
            version = session.get(AssetVersion, result.version_id)
            assert version is not None
            version.preview_state = PreviewState.PENDING
        assert run_task(rt, "outbox.sweep", {}) == 1
        assert _states(rt) == [PreviewState.READY]
    finally:
        rt.close()


def test_search_lane_folds_a_burst_into_few_index_writes(settings: Settings) -> None:
    from models import Role
    from portal.services.governance.policy import Viewer
    from portal.services.search.queries import SearchParams, run_search

    rt = build_runtime(_with(settings, jobs_eager=False, worker_threads=2, search_sync_linger=1.0))
    writes: list[int] = []
    engine = rt.search()
    original = engine.index

    def counting(docs: object) -> None:
        batch = list(docs)  # type: ignore[call-overload]
        writes.append(len(batch))
        original(batch)

    engine.index = counting  # type: ignore[method-assign]
    try:
        ids = [ingest_file(rt, ZOO / "good" / name).asset_id for name in IMAGES]
        assert rt.queue.join(timeout=60)
        assert sorted(run_search(rt, Viewer(None, Role.ADMIN), SearchParams()).ids) == sorted(ids)
        assert sum(writes) >= len(IMAGES) and len(writes) < len(IMAGES)
        with rt.db.session() as session:
            assert all(done is not None for done in session.scalars(select(OutboxItem.done_at)))
    finally:
        rt.close()
