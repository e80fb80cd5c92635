"""One queue interface, two implementations: worker threads in this process, or RQ on Redis."""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from portal.runtime import Runtime

log = logging.getLogger(__name__)
RQ_QUEUE_NAME = "assetport"


class JobQueue(Protocol):
    """Where jobs go: ``enqueue`` never blocks on the job itself."""

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Schedule the job ``name`` with keyword arguments (ids and plain values)."""

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every job enqueued so far has finished (True) or the timeout passed (False)."""

    def shutdown(self) -> None:
        """Stop accepting work and release workers."""


class EagerQueue:
    """Runs each job immediately in the caller's thread (tests, one-shot commands)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def enqueue(self, name: str, **kwargs: Any) -> None:
        from portal.jobs.registry import run_task

        run_task(self.rt, name, kwargs)

    def join(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self) -> None:
        return None


class ThreadQueue:
    """In-process worker threads: the embedded default, nothing to start."""

    def __init__(self, rt: Runtime, threads: int) -> None:
        self.rt = rt
        self._q: stdqueue.Queue[tuple[str, dict[str, Any]] | None] = stdqueue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"assetport-worker-{i}", daemon=True)
            for i in range(threads)
        ]
        for t in self._threads:
            t.start()

    def enqueue(self, name: str, **kwargs: Any) -> None:
        self._q.put((name, kwargs))

    def _work(self) -> None:
        from portal.jobs.registry import run_task

        while True:
            item = self._q.get()
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
                self._q.task_done()

    def join(self, timeout: float | None = None) -> bool:
        if timeout is None:
            self._q.join()
            return True
        done = threading.Event()

        def wait() -> None:
            self._q.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def shutdown(self) -> None:
        for _ in self._threads:
            self._q.put(None)
        for t in self._threads:
            t.join(timeout=10)


class RQQueue:
    """Jobs go to Redis and are run by ``assetport worker`` processes."""

    def __init__(self, redis_url: str) -> None:
        import redis
        from rq import Queue

        self.connection = redis.Redis.from_url(redis_url)
        self.rq = Queue(RQ_QUEUE_NAME, connection=self.connection)

    def enqueue(self, name: str, **kwargs: Any) -> None:
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
