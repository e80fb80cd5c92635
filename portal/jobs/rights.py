"""The rights-expiry job: reindex assets whose rights just expired (hiding them is the query's job); the
same periodic thread also removes expired package files (``packages.cleanup``), leftover temp files and
text embeddings no index sync used for 30 days (``search.prune_text_cache``)."""

from __future__ import annotations

import logging
import threading

from portal.jobs.queue import start_periodic
from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.governance.rights import expire_due
from portal.services.search import text_cache

log = logging.getLogger(__name__)
EXPIRY_TASK = "rights.expire"
PACKAGE_CLEANUP_TASK = "packages.cleanup"
TMP_CLEANUP_TASK = "blobs.clean_tmp"
TEXT_CACHE_PRUNE_TASK = "search.prune_text_cache"
# Managers hear about rights that expire within 14 days (portal.jobs.notify; deduplicated per asset).
RIGHTS_NOTICE_TASK = "notify.rights_expiring"


@task(EXPIRY_TASK)
def expire(rt: Runtime) -> int:
    """Handle every expiry that is due; returns how many assets were reindexed. Idempotent."""
    with rt.db.transaction() as session:
        ids = expire_due(session)
    if ids:
        log.info("rights expired for %d assets; their search documents are being refreshed", len(ids))
    return len(ids)


@task(TMP_CLEANUP_TASK)
def clean_tmp(rt: Runtime) -> int:
    """Remove temp files of interrupted uploads and renders (untouched for ``tmp_max_age_seconds``)."""
    removed = rt.blobs.clean_tmp(rt.settings.tmp_max_age_seconds)
    if removed:
        log.info("removed %d leftover temp files", removed)
    return removed


@task(TEXT_CACHE_PRUNE_TASK)
def prune_text_cache(rt: Runtime) -> int:
    """Delete cached text embeddings unused for 30 days (a bounded batch per run); returns how many."""
    with rt.db.transaction() as session:
        removed = text_cache.prune(session)
    if removed:
        log.info("removed %d unused cached text embeddings", removed)
    return removed


def start_periodic_expiry(rt: Runtime, every_seconds: float = 300.0) -> threading.Event:
    """Enqueue the expiry job every few minutes from a daemon thread (in-process worker or RQ alike);
    set the returned event to stop it."""
    # Expired package files leave the disk on the same clock as expired rights. A down queue delays the
    # refresh to the next period; expired assets are hidden already.
    return start_periodic(
        rt,
        every_seconds,
        "assetport-rights-expiry",
        [
            (EXPIRY_TASK, {}),
            (PACKAGE_CLEANUP_TASK, {}),
            (TMP_CLEANUP_TASK, {}),
            (RIGHTS_NOTICE_TASK, {}),
            (TEXT_CACHE_PRUNE_TASK, {}),
        ],
        "rights expiry job",
    )
