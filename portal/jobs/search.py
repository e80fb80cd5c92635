"""Search index jobs: the one sync function run after commit, and the full rebuild."""

from __future__ import annotations

import time

from indexer.sync import asset_ids_for_products, rebuild_all, sync_assets
from portal.jobs import outbox
from portal.jobs.queue import ThreadQueue
from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.search import synonyms
from portal.services.search.meaning import text_encoder
from portal.services.vision.store import index_vector_loader

SYNC_TASK = "search.sync"
# Pending sync items folded into one index write; the rest wait for the next run.
MAX_COALESCED_ITEMS = 2000


@task(SYNC_TASK)
def sync(rt: Runtime, asset_ids: list[int]) -> int:
    """Rebuild these assets' documents from the database (missing assets are removed). Idempotent.

    A burst of changes (a folder upload, an import) records one sync item per transaction; every item
    still pending when this runs is folded into the same index write and marked done, so the engine
    commits once per burst instead of once per asset. Their own jobs then find them done and do nothing.
    In-process, search jobs run on a lane of their own with one thread, so while one write runs the
    next burst gathers.
    """
    if rt.settings.search_sync_linger > 0 and isinstance(rt.queue, ThreadQueue):
        # On the in-process search lane (one thread, nothing else waits on it) let the burst gather:
        # every index commit costs a new text segment, so fewer, larger writes save most of the work.
        time.sleep(rt.settings.search_sync_linger)
    pending = outbox.pending_items(rt, SYNC_TASK, MAX_COALESCED_ITEMS)
    ids = {int(i) for i in asset_ids}
    for _, args in pending:
        ids.update(int(i) for i in args.get("asset_ids", []))
    # Documents are built after the pending items were read, so they show at least those changes.
    report = sync_assets(
        rt.search(),
        rt.db.session,
        sorted(ids),
        vectors=index_vector_loader(rt.settings),
        texts=text_encoder(rt.settings, rt.db.session),
    )
    outbox.mark_folded(rt, [item_id for item_id, _ in pending])
    return report.indexed + report.deleted


@task("search.sync_products")
def sync_products(rt: Runtime, article_numbers: list[str], model_codes: list[str]) -> int:
    """Re-index every asset that shows one of these products."""
    with rt.db.session() as session:
        ids = asset_ids_for_products(session, article_numbers, model_codes)
    return sync(rt, ids) if ids else 0


@task(synonyms.APPLY_TASK)
def apply_synonyms(rt: Runtime) -> bool:
    """Compile the stored synonym list into the index (OpenSearch: close, update the search-time
    ``synonym_graph`` filter, open; the embedded engine reads the list per query). Idempotent."""
    with rt.db.session() as session:
        rules = synonyms.rule_texts(session)
    return rt.search().set_synonyms(rules)


@task("search.rebuild")
def rebuild(rt: Runtime) -> int:
    """Build a fresh index of every asset and swap it in (with the synonym list compiled in)."""
    apply_synonyms(rt)
    return rebuild_all(
        rt.search(),
        rt.db.session,
        vectors=index_vector_loader(rt.settings),
        texts=text_encoder(rt.settings, rt.db.session),
    )
