"""Building the runtime of a process: settings, database, blob store, and a job queue wired to the outbox.

It lives with the jobs because it picks the queue implementation; the CLI, the RQ worker, the web app and
the tests all build their runtime here.
"""

from __future__ import annotations

from PIL import Image

from models.db import Database
from portal.jobs import outbox
from portal.jobs.queue import make_queue
from portal.runtime import Runtime
from portal.settings import Settings
from portal.storage import BlobStore


def build_runtime(settings: Settings, *, start_workers: bool = True) -> Runtime:
    """Create the runtime for one process and wire the outbox to its job queue."""
    settings.ensure_instance_dir()
    # Pillow's own bomb guard is process-wide; align it with ours so the configured limit is the one in force.
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    rt = Runtime(
        settings=settings,
        db=Database(settings.resolved_database_url),
        blobs=BlobStore(settings.resolved_storage_dir),
    )
    # Leftovers of uploads interrupted by a crash or kill -9 (a running process keeps writing its own).
    rt.blobs.clean_tmp(settings.tmp_max_age_seconds)
    rt.queue = make_queue(rt, start_workers=start_workers)
    outbox.install(rt)
    return rt
