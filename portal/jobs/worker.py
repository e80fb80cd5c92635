"""The RQ side: the function RQ calls, and ``assetport worker``."""

from __future__ import annotations

import logging
import threading
from typing import Any

from portal.jobs.bootstrap import build_runtime
from portal.jobs.queue import RQ_QUEUE_NAME
from portal.jobs.registry import run_task
from portal.runtime import Runtime
from portal.settings import load_settings

log = logging.getLogger(__name__)
_runtime: Runtime | None = None
_lock = threading.Lock()


def set_worker_runtime(rt: Runtime | None) -> None:
    """Use this runtime for jobs RQ runs in this process (the worker command and tests set it)."""
    global _runtime
    _runtime = rt


def _get_runtime() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            # A bare `rq worker` process: configure from the environment like `assetport worker` would.
            _runtime = build_runtime(load_settings(), start_workers=False)
        return _runtime


def run_rq_task(name: str, kwargs: dict[str, Any]) -> Any:
    """Entry point RQ imports and calls for every Assetport job."""
    return run_task(_get_runtime(), name, kwargs)


def run_worker(rt: Runtime, *, burst: bool = False) -> bool:
    """Process jobs from Redis until stopped (or, with ``burst``, until the queue is empty).

    Pending outbox items are re-dispatched first, so work enqueued while no worker ran is not lost.
    """
    from rq import Queue, SimpleWorker

    from portal.jobs.outbox import start_periodic_sweep, sweep
    from portal.jobs.queue import RQQueue

    if not isinstance(rt.queue, RQQueue):
        raise RuntimeError("assetport worker needs ASSETPORT_REDIS_URL (without it jobs run in-process)")
    set_worker_runtime(rt)
    swept = sweep(rt)
    if swept:
        log.info("re-dispatched %d pending outbox items", swept)
    stop_sweeping = None if burst else start_periodic_sweep(rt)
    queue = Queue(RQ_QUEUE_NAME, connection=rt.queue.connection)
    # SimpleWorker runs jobs in this process: the database engine and caches are reused, not forked.
    worker = SimpleWorker([queue], connection=rt.queue.connection)
    try:
        return bool(worker.work(burst=burst, with_scheduler=False))
    finally:
        if stop_sweeping is not None:
            stop_sweeping.set()
