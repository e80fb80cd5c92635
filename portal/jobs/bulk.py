"""Running bulk edits in the background."""

from __future__ import annotations

from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.catalog import bulk


@task("bulk.run")
def run_bulk(rt: Runtime, job_id: int) -> None:
    """Apply one queued bulk job asset by asset; a missing or started job is a no-op."""
    bulk.run(rt.db, job_id)
