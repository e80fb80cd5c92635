"""Record, inside the changing transaction, which search documents must be rebuilt after commit.

The outbox makes the index a derived copy that can lag but never miss a change: the job that runs the
sync after commit is the one way changes reach the search engine (``assetport reindex`` rebuilds it all).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from portal.services import outbox


def assets_changed(session: Session, asset_ids: Iterable[int], *, hold_until: datetime | None = None) -> None:
    """These assets' documents are stale once this transaction commits.

    ``hold_until``: recorded now (nothing is lost) but not dispatched at commit; a long batch (bulk edits)
    holds its chunks' items and then calls ``flush_held`` once, so the index gets a few large writes
    instead of one per chunk. Should the batch die, the outbox sweep dispatches the held items after
    ``hold_until``."""
    ids = sorted({int(i) for i in asset_ids})
    if ids:
        outbox.record(session, "search.sync", asset_ids=ids, not_before=hold_until)


def flush_held(session: Session) -> None:
    """Sync now: the sync job folds every pending sync item, held ones included, into its index write."""
    outbox.record(session, "search.sync", asset_ids=[])


def products_changed(
    session: Session, article_numbers: Iterable[str], model_codes: Iterable[str] = ()
) -> None:
    """Documents of assets showing these products are stale (pass old model codes of changed products)."""
    articles = sorted({a for a in article_numbers if a})
    models = sorted({m for m in model_codes if m})
    if articles or models:
        outbox.record(session, "search.sync_products", article_numbers=articles, model_codes=models)
