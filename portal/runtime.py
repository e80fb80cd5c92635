"""The per-process environment services and jobs run in: settings, database, blob store, job queue.

Flask-free, so the CLI, the RQ worker and the web app build it the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from indexer.engines import SearchEngine, open_engine
from models.db import Database
from portal.cache import TTLCache
from portal.media.seeds import PreviewSeeds
from portal.settings import Settings
from portal.storage import BlobStore

if TYPE_CHECKING:
    from portal.jobs.queue import JobQueue



@dataclass
class Runtime:
    """Everything a service or job needs besides its arguments."""

    settings: Settings
    db: Database
    blobs: BlobStore
    queue: JobQueue = field(init=False)
    preview_seeds: PreviewSeeds = field(default_factory=PreviewSeeds)
    cache: TTLCache = field(default_factory=TTLCache)
    _search: SearchEngine | None = field(default=None, init=False, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def search(self) -> SearchEngine:
        """The search engine named by the settings, opened on first use (embedded: no server needed)."""
        with self._search_lock:
            if self._search is None:
                self._search = open_engine(self.settings.resolved_search_url)
            return self._search

    @property
    def jobs_in_process(self) -> bool:
        """True when jobs run in this process (so in-memory hand-offs to them can hit)."""
        from portal.jobs.queue import RQQueue

        return not isinstance(self.queue, RQQueue)

    def close(self) -> None:
        """Stop the queue's workers and release database connections."""
        self.queue.shutdown()
        with self._search_lock:
            if self._search is not None:
                self._search.close()
                self._search = None
        self.db.dispose()


def build_runtime(settings: Settings, *, start_workers: bool = True) -> Runtime:
    """Create the runtime for one process and wire the outbox to its job queue."""
    from portal.jobs import outbox
    from portal.jobs.queue import make_queue

    settings.ensure_instance_dir()
    # Pillow's own bomb guard is process-wide; align it with ours so the configured limit is the one in force.
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    rt = Runtime(
        settings=settings,
        db=Database(settings.resolved_database_url),
        blobs=BlobStore(settings.resolved_storage_dir),
    )
    rt.queue = make_queue(rt, start_workers=start_workers)
    outbox.install(rt)
    return rt
