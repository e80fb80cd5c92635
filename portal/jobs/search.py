"""Search index jobs: the one sync function run after commit, and the full rebuild."""

from __future__ import annotations

from indexer.sync import asset_ids_for_products, rebuild_all, sync_assets
from portal.jobs.registry import task
from portal.runtime import Runtime


@task("search.sync")
def sync(rt: Runtime, asset_ids: list[int]) -> int:
    """Rebuild these assets' documents from the database (missing assets are removed). Idempotent."""
    report = sync_assets(rt.search(), rt.db.session, asset_ids)
    return report.indexed + report.deleted


@task("search.sync_products")
def sync_products(rt: Runtime, article_numbers: list[str], model_codes: list[str]) -> int:
    """Re-index every asset that shows one of these products."""
    with rt.db.session() as session:
        ids = asset_ids_for_products(session, article_numbers, model_codes)
    return sync(rt, ids) if ids else 0


@task("search.rebuild")
def rebuild(rt: Runtime) -> int:
    """Build a fresh index of every asset and swap it in."""
    return rebuild_all(rt.search(), rt.db.session)
