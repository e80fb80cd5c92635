"""Keeping the index in step with the database (the database is the source of truth).

``sync_assets`` is what the index job runs after a commit: it rebuilds the documents of the given ids, indexes
those that exist and deletes the rest, so it is idempotent and safe to run twice. ``rebuild_all`` streams
every asset into a fresh index that replaces the old one at once. ``asset_ids_for_products`` finds the assets
whose documents a product change affects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import variants
from indexer.documents import CHUNK, KEY_CHUNK, build_documents
from indexer.engines.base import SearchEngine
from indexer.meaning import TextEncoder, attach_text_vectors
from models import Asset, AssetProduct, Product

WRITE_BATCH = 100_000  # documents per engine write in ``sync_assets``

SessionFactory = Callable[[], Session]
# Optional source of embeddings: (session, asset ids) -> {asset id: vector}.
VectorLoader = Callable[[Session, Sequence[int]], Mapping[int, Sequence[float]]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncReport:
    """How many documents a sync wrote and deleted."""

    indexed: int
    deleted: int


def sync_assets(
    engine: SearchEngine,
    session_factory: SessionFactory,
    asset_ids: Sequence[int],
    vectors: VectorLoader | None = None,
    texts: TextEncoder | None = None,
) -> SyncReport:
    """Re-index these assets from the database; ids that no longer exist are deleted from the index.

    Documents are built a chunk at a time but written in batches of up to ``WRITE_BATCH``: every engine
    write costs a commit (and, embedded, a snapshot reload and sometimes a compaction), so a bulk edit of
    100,000 assets makes a few large writes, not a hundred small ones. ``texts`` (the text model) embeds
    each document's product and metadata text, a chunk at a time."""
    wanted = sorted({int(i) for i in asset_ids})
    indexed = deleted = 0
    pending: list[dict[str, Any]] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        with session_factory() as session:
            embeddings = vectors(session, chunk) if vectors is not None else None
            docs, missing = build_documents(session, chunk, embeddings)
        if texts is not None and docs:
            attach_text_vectors(docs, texts)
        pending += docs
        if len(pending) >= WRITE_BATCH:
            engine.index(pending)
            pending = []
        if missing:
            engine.delete(missing)
        indexed += len(docs)
        deleted += len(missing)
    if pending:
        engine.index(pending)
    return SyncReport(indexed, deleted)


def rebuild_all(
    engine: SearchEngine,
    session_factory: SessionFactory,
    batch: int = CHUNK,
    progress: Progress | None = None,
    vectors: VectorLoader | None = None,
    texts: TextEncoder | None = None,
) -> int:
    """Build a fresh index of every asset and swap it in; returns the number of documents (``texts``: see
    ``sync_assets``)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with session_factory() as session:
        ids = list(session.scalars(select(Asset.id).order_by(Asset.id)))
    done = 0

    def documents() -> Iterator[dict[str, Any]]:
        """Every asset's document, batch by batch, reporting progress after each batch."""
        nonlocal done
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            # A session per batch: nothing accumulates in an identity map over a long rebuild.
            with session_factory() as session:
                embeddings = vectors(session, chunk) if vectors is not None else None
                docs, _ = build_documents(session, chunk, embeddings)
            if texts is not None and docs:
                attach_text_vectors(docs, texts)
            yield from docs
            done += len(docs)
            if progress is not None:
                progress(min(start + len(chunk), len(ids)), len(ids))

    engine.rebuild(documents())
    return done


def asset_ids_for_products(
    session: Session, article_numbers: Sequence[str], model_codes: Sequence[str] = ()
) -> list[int]:
    """Assets whose documents show any of these products: linked to one of the article numbers, or to a
    model code (given, or the current model code of one of the articles, since a model-code link covers
    every variant), and with variant inheritance the assets of their sibling variants. After a product's model
    code changes, pass the old code too.
    """
    articles = sorted({a for a in article_numbers if a})
    models = {m for m in model_codes if m}
    for chunk in _chunks(articles):
        models.update(
            m
            for m in session.scalars(select(Product.model_code).where(Product.article_number.in_(chunk)))
            if m
        )
    found: set[int] = set()
    conditions = [AssetProduct.article_number.in_(chunk) for chunk in _chunks(articles)]
    conditions += [AssetProduct.model_code.in_(chunk) for chunk in _chunks(sorted(models))]
    for condition in conditions:
        found.update(session.scalars(select(AssetProduct.asset_id).where(condition).distinct()))
    # Variant inheritance: the sibling variants' own assets serve (or stop serving) these products too.
    found.update(variants.sibling_asset_ids(session, articles, models))
    return sorted(found)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), KEY_CHUNK):
        yield items[start : start + KEY_CHUNK]


__all__ = ["SyncReport", "asset_ids_for_products", "rebuild_all", "sync_assets"]
