"""The job that follows a custom field definition change: purge values, reindex the assets it touches."""

from __future__ import annotations

from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.catalog.custom_fields import REINDEX_TASK, purge_values


@task(REINDEX_TASK)
def reindex_field(rt: Runtime, key: str, drop_options: list[str], delete: bool) -> int:
    """Remove a deleted field's values (or removed options) and reindex every asset with a value of the
    field (through the search sync job). Idempotent: a second run finds nothing left to remove."""
    with rt.db.transaction() as session:
        return len(purge_values(session, key, list(drop_options), bool(delete)))
