"""The text-embedding cache behind the index sync (portal.services.search.text_cache), on SQLite and
PostgreSQL: real database, real embedded engine, a small real counting encoder (no model download)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from indexer.meaning import document_text
from indexer.sync import sync_assets
from models import Asset, AssetTag, TextEmbedding
from models.base import utcnow
from models.db import Database
from portal.runtime import Runtime
from portal.services.search import text_cache
from portal.services.search.text_cache import cached_encoder, prune


class CountingEncoder:
    """A deterministic 8-d 'model' (unit vectors from a hash of the text) that records every text."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        out = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()[:8]
            raw = [b + 1.0 for b in digest]
            norm = sum(v * v for v in raw) ** 0.5
            out.append([v / norm for v in raw])
        return out


def _rows(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(TextEmbedding)) or 0)


def test_a_cached_text_is_not_encoded_again_and_comes_back_in_order(db: Database) -> None:
    counting = CountingEncoder()
    encode = cached_encoder(counting, "model-a", db.session)
    first = encode(["red chair", "blue sofa", "red chair"])
    assert counting.texts == ["red chair", "blue sofa"]
    again = encode(["blue sofa", "green lamp", "red chair"])
    assert counting.texts == ["red chair", "blue sofa", "green lamp"]
    assert first is not None and again is not None
    want = [counting([t])[0] for t in ("red chair", "blue sofa", "red chair")]
    assert [list(v) for v in first] == [pytest.approx(w, rel=1e-6) for w in want]
    assert list(again[0]) == list(first[1]) and list(again[2]) == list(first[0])
    assert _rows(db) == 3


def test_models_do_not_share_entries(db: Database) -> None:
    counting = CountingEncoder()
    cached_encoder(counting, "model-a", db.session)(["red chair"])
    cached_encoder(counting, "model-b", db.session)(["red chair"])
    assert counting.texts == ["red chair", "red chair"]
    assert _rows(db) == 2


def test_a_duplicate_insert_from_another_worker_is_ignored(db: Database) -> None:
    vector = [1.0, 0.0, 0.0]
    key = text_cache.cache_key("model-a", "red chair")
    with db.transaction() as session:
        text_cache.store(session, "model-a", [(key, vector)])
    # A second worker that embedded the same text meanwhile stores it too: no error, one row, first kept.
    with db.transaction() as session:
        text_cache.store(
            session, "model-a", [(key, [0.0, 1.0, 0.0]), (text_cache.cache_key("m", "x"), vector)]
        )
    assert _rows(db) == 2
    with db.session() as session:
        assert text_cache.lookup(session, [key]) == {key: vector}


def test_an_unavailable_model_gives_none_for_misses_only(db: Database) -> None:
    counting = CountingEncoder()
    cached_encoder(counting, "model-a", db.session)(["red chair"])
    encode = cached_encoder(lambda texts: None, "model-a", db.session)
    assert encode(["red chair"]) is not None
    assert encode(["red chair", "new text"]) is None


def test_pruning_removes_entries_unused_for_30_days_bounded(db: Database) -> None:
    counting = CountingEncoder()
    encode = cached_encoder(counting, "model-a", db.session)
    encode([f"text {i}" for i in range(5)])
    with db.transaction() as session:
        old = utcnow() - timedelta(days=31)
        keys = [text_cache.cache_key("model-a", f"text {i}") for i in range(3)]
        session.execute(update(TextEmbedding).where(TextEmbedding.key.in_(keys)).values(used_at=old))
    with db.transaction() as session:
        assert prune(session, limit=2) == 2
    with db.transaction() as session:
        assert prune(session) == 1
        assert prune(session) == 0
    assert _rows(db) == 2
    # A lookup marks an entry used: an old entry that a sync still needs survives the next prune.
    with db.transaction() as session:
        key = text_cache.cache_key("model-a", "text 4")
        session.execute(update(TextEmbedding).where(TextEmbedding.key == key).values(used_at=old))
    encode(["text 4"])
    with db.transaction() as session:
        assert prune(session) == 0


def test_manual_tags_stay_out_of_the_embedded_text() -> None:
    doc = {"title": "Oak chair", "tags": ["summer-2026"], "auto_tags": ["chair", "wood"]}
    text = document_text(doc)
    assert "summer-2026" not in text and "chair" in text and "wood" in text and "Oak chair" in text


def test_bulk_tag_edit_and_reindex_do_not_encode_unchanged_texts(rt: Runtime) -> None:
    now = utcnow()
    with rt.db.transaction() as session:
        session.execute(
            insert(Asset),
            [{"title": f"Oak chair {i}", "original_filename": f"c{i}.jpg", "media_kind": "image",
              "status": "approved", "visibility": "internal", "created_at": now, "updated_at": now}
             for i in range(6)],
        )  # fmt: skip
        ids = list(session.scalars(select(Asset.id).order_by(Asset.id)))
    counting = CountingEncoder()
    encode = cached_encoder(counting, "model-a", rt.db.session)
    sync_assets(rt.search(), rt.db.session, ids, texts=encode)
    assert len(counting.texts) == 6
    # A bulk edit adds a campaign tag to every asset and retitles one: only that one is embedded again.
    with rt.db.transaction() as session:
        session.execute(
            insert(AssetTag), [{"asset_id": i, "tag": "summer-2026", "source": "manual"} for i in ids]
        )
        session.execute(update(Asset).where(Asset.id == ids[0]).values(title="Walnut table"))
    sync_assets(rt.search(), rt.db.session, ids, texts=encode)
    assert counting.texts[6:] == ["Walnut table"]
    sync_assets(rt.search(), rt.db.session, ids, texts=encode)
    assert len(counting.texts) == 7


def test_the_periodic_job_prunes_the_cache(rt: Runtime) -> None:
    from portal.jobs.registry import run_task
    from portal.jobs.rights import TEXT_CACHE_PRUNE_TASK

    cached_encoder(CountingEncoder(), "model-a", rt.db.session)(["old text", "new text"])
    with rt.db.transaction() as session:
        key = text_cache.cache_key("model-a", "old text")
        old = utcnow() - timedelta(days=31)
        session.execute(update(TextEmbedding).where(TextEmbedding.key == key).values(used_at=old))
    assert run_task(rt, TEXT_CACHE_PRUNE_TASK, {}) == 1
    assert _rows(rt.db) == 1
