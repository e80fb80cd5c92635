"""One queue interface, two implementations: worker threads in this process, or RQ on Redis."""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
import time
from collections.abc import Sequence
from typing import Any

from portal.runtime import JobQueue, Runtime

log = logging.getLogger(__name__)
RQ_QUEUE_NAME = "assetport"


class EagerQueue:
    """Runs each job immediately in the caller's thread (tests, one-shot commands)."""

    in_process = True

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def enqueue(self, name: str, *, lane: str | None = None, **kwargs: Any) -> None:
        from portal.jobs.registry import run_task

        run_task(self.rt, name, kwargs)

    def join(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self) -> None:
        return None


Job = tuple[str, dict[str, Any]] | None
# Lanes with their own worker threads; other work shares the default lane.
# Vision: one model pass at a time (the model uses every core itself) and batches gather meanwhile.
LANE_THREADS = {"search": 1, "vision": 1}


class ThreadQueue:
    """In-process worker threads: the embedded default, nothing to start."""

    in_process = True

    def __init__(self, rt: Runtime, threads: int) -> None:
        self.rt = rt
        sizes: dict[str | None, int] = {None: threads}
        sizes.update(LANE_THREADS)
        self._sizes = sizes
        self._queues: dict[str | None, stdqueue.Queue[Job]] = {lane: stdqueue.Queue() for lane in sizes}
        self._threads = [
            threading.Thread(
                target=self._work,
                args=(self._queues[lane],),
                name=f"assetport-{lane or 'worker'}-{i}",
                daemon=True,
            )
            for lane, count in sizes.items()
            for i in range(count)
        ]
        for t in self._threads:
            t.start()

    def enqueue(self, name: str, *, lane: str | None = None, **kwargs: Any) -> None:
        self._queues.get(lane, self._queues[None]).put((name, kwargs))

    def _work(self, jobs: stdqueue.Queue[Job]) -> None:
        from portal.jobs.registry import run_task

        while True:
            item = jobs.get()
            try:
                if item is None:
                    return
                name, kwargs = item
                try:
                    run_task(self.rt, name, kwargs)
                except Exception:
                    # A failed job must not kill the worker; outbox-backed jobs record the error themselves
                    # and are retried by the next sweep.
                    log.exception("job %s(%s) failed", name, kwargs)
            finally:
                jobs.task_done()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every lane is idle (jobs may enqueue more jobs, so check until all are empty)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for jobs in self._queues.values():
                if not _join_one(jobs, deadline):
                    return False
            if all(jobs.unfinished_tasks == 0 for jobs in self._queues.values()):
                return True

    def shutdown(self) -> None:
        for lane, count in self._sizes.items():
            for _ in range(count):
                self._queues[lane].put(None)
        for t in self._threads:
            t.join(timeout=10)


def _join_one(jobs: stdqueue.Queue[Job], deadline: float | None) -> bool:
    if deadline is None:
        jobs.join()
        return True
    done = threading.Event()

    def wait() -> None:
        jobs.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(max(0.0, deadline - time.monotonic()))


def start_periodic(
    rt: Runtime, every_seconds: float, thread_name: str, jobs: Sequence[tuple[str, dict[str, Any]]], what: str
) -> threading.Event:
    """Enqueue ``jobs`` every ``every_seconds`` from a daemon thread; set the returned event to stop it.
    A down queue is logged as ``what`` and tried again next period."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                for name, kwargs in jobs:
                    rt.queue.enqueue(name, **kwargs)
            except Exception:
                log.warning("%s could not be enqueued", what, exc_info=True)

    threading.Thread(target=loop, name=thread_name, daemon=True).start()
    return stop


class RQQueue:
    """Jobs go to Redis and are run by ``assetport worker`` processes."""

    in_process = False

    def __init__(self, redis_url: str) -> None:
        import redis
        from rq import Queue

        self.connection = redis.Redis.from_url(redis_url)
        self.rq = Queue(RQ_QUEUE_NAME, connection=self.connection)

    def enqueue(self, name: str, *, lane: str | None = None, **kwargs: Any) -> None:
        # One Redis queue: worker processes pick any job; a search write batches whatever is pending.
        self.rq.enqueue("portal.jobs.worker.run_rq_task", name, kwargs, result_ttl=600, failure_ttl=86400)

    def join(self, timeout: float | None = None) -> bool:
        # Jobs run in other processes; nothing to wait for here.
        return True

    def shutdown(self) -> None:
        self.connection.close()


def make_queue(rt: Runtime, *, start_workers: bool = True) -> JobQueue:
    """Pick the queue from the settings: RQ when a Redis URL is set, else eager or threads."""
    if rt.settings.redis_url:
        return RQQueue(rt.settings.redis_url)
    if rt.settings.jobs_eager or not start_workers:
        return EagerQueue(rt)
    return ThreadQueue(rt, rt.settings.effective_worker_threads)
