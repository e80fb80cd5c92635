"""The per-process environment services and jobs run in: settings, database, blob store, job queue.

Flask-free, and below services and jobs: it names the job queue only by its protocol (``JobQueue``);
``portal.jobs.bootstrap.build_runtime`` builds one with a real queue for the CLI, the RQ worker and the
web app alike.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from indexer.analysis import Analysis
from indexer.engines import SearchEngine, open_engine
from models.db import Database
from portal.cache import TTLCache
from portal.media.seeds import PreviewSeeds
from portal.settings import Settings
from portal.storage import BlobStore


class JobQueue(Protocol):
    """Where jobs go: ``enqueue`` never blocks on the job itself (implementations: ``portal.jobs.queue``)."""

    in_process: bool  # True when jobs run in this process (so in-memory hand-offs to them can hit)

    def enqueue(self, name: str, *, lane: str | None = None, **kwargs: Any) -> None:
        """Schedule the job ``name`` with keyword arguments (ids and plain values).

        ``lane`` names a kind of work that gets workers of its own where the queue supports it (search
        index writes: one at a time, so that they batch up instead of taking every worker).
        """

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every job enqueued so far has finished (True) or the timeout passed (False)."""

    def shutdown(self) -> None:
        """Stop accepting work and release workers."""


@dataclass
class Runtime:
    """Everything a service or job needs besides its arguments."""

    settings: Settings
    db: Database
    blobs: BlobStore
    queue: JobQueue = field(init=False)
    preview_seeds: PreviewSeeds = field(default_factory=PreviewSeeds)
    # Decoded preview frames handed from the preview job to the vision job in the same process (keyed by
    # the preview blob's hash): the vision job then skips decoding the preview JPEG.
    vision_frames: PreviewSeeds = field(default_factory=lambda: PreviewSeeds(capacity=48))
    cache: TTLCache = field(default_factory=TTLCache)
    _search: SearchEngine | None = field(default=None, init=False, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def search(self) -> SearchEngine:
        """The search engine named by the settings, opened on first use (embedded: no server needed)."""
        with self._search_lock:
            if self._search is None:
                languages = Analysis.parse(self.settings.search_languages)
                self._search = open_engine(self.settings.resolved_search_url, analysis=languages)
            return self._search

    @property
    def jobs_in_process(self) -> bool:
        """True when jobs run in this process (so in-memory hand-offs to them can hit)."""
        return self.queue.in_process

    def close(self) -> None:
        """Stop the queue's workers and release database connections."""
        self.queue.shutdown()
        with self._search_lock:
            if self._search is not None:
                self._search.close()
                self._search = None
        self.db.dispose()
