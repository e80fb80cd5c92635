"""Vision jobs: embed and tag versions in batches, re-embed everything after a model switch, and the
start-up check that notices a switch. All are no-ops with vision off, idempotent and safe to run twice.
"""

from __future__ import annotations

import logging

from indexer.sync import rebuild_all
from portal.jobs import outbox
from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.search.meaning import text_encoder
from portal.services.vision import store as vision_store
from portal.services.vision.model import maybe_embedder
from portal.services.vision.pipeline import embed_versions

log = logging.getLogger(__name__)
EMBED_TASK = "vision.embed"
REEMBED_TASK = "vision.reembed"
# Versions per re-embed job: each job does a slice and queues the next, so a big catalogue never holds
# one worker for hours and a restart loses at most one slice of work.
REEMBED_SLICE = 512
MAX_COALESCED_ITEMS = 512


@task(EMBED_TASK)
def embed(rt: Runtime, version_ids: list[int], retag: bool = False) -> int:
    """Embed and tag these versions (the ones already done are skipped unless ``retag``).

    Every ``vision.embed`` outbox item still pending is folded in, so a burst of uploads is embedded in
    batches of 32 by one job instead of one model pass per file; the folded items are marked done.
    """
    model = maybe_embedder(rt.settings)
    if model is None:
        return 0
    pending = outbox.pending_items(rt, EMBED_TASK, MAX_COALESCED_ITEMS)
    ids = {int(i) for i in version_ids}
    for _, args in pending:
        if bool(args.get("retag")) == retag:
            ids.update(int(i) for i in args.get("version_ids", []))
    done = embed_versions(rt, model, sorted(ids), retag=retag)
    outbox.mark_folded(rt, [item_id for item_id, args in pending if bool(args.get("retag")) == retag])
    return done


@task(REEMBED_TASK)
def reembed(rt: Runtime, after_id: int = 0) -> int:
    """Embed every current version that has no vector under the active model, one slice per job; when
    none is left, drop the vectors of other models."""
    model = maybe_embedder(rt.settings)
    if model is None:
        return 0
    with rt.db.session() as session:
        ids = vision_store.versions_to_embed(session, model.model_id, after_id=after_id, limit=REEMBED_SLICE)
    if not ids:
        # Everything has a vector of the active model: the old model's vectors are of no use any more,
        # and keeping them would make every start-up look like a fresh switch.
        with rt.db.transaction() as session:
            stale = vision_store.stale_model_ids(session, model.model_id)
            dropped = vision_store.drop_vectors(session, stale)
        log.info("re-embedding under %s finished; %d old vectors dropped", model.model_id, dropped)
        return 0
    done = embed_versions(rt, model, ids)
    rt.queue.enqueue(REEMBED_TASK, lane="vision", after_id=ids[-1])
    return done


@task("vision.check")
def check(rt: Runtime) -> str:
    """At start-up: after a model switch, rebuild the index without the old model's vectors (another
    dimension must not meet the new one) and re-embed everything in the background; vectors that are
    merely missing are filled in. Returns what it did."""
    model = maybe_embedder(rt.settings)
    if model is None:
        return "off"
    with rt.db.session() as session:
        stale = vision_store.stale_model_ids(session, model.model_id)
        missing = vision_store.versions_to_embed(session, model.model_id, limit=1)
    if stale:
        log.warning("vision model switched to %s (vectors of %s): re-embedding", model.model_id, stale)
        rebuild_all(
            rt.search(),
            rt.db.session,
            vectors=vision_store.loader_for(model.model_id),
            texts=text_encoder(rt.settings, rt.db.session),
        )
    # The re-embed job drops the old vectors when it is through (at once when nothing is missing).
    rt.queue.enqueue(REEMBED_TASK, lane="vision", after_id=0)
    if stale:
        return "switch"
    return "fill" if missing else "current"
