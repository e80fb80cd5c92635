"""The text-embedding cache behind the index sync: each distinct document text is embedded once per model.

``cached_encoder`` wraps a batch encoder: it looks the batch's distinct texts up in ``text_embedding``
(keyed by a hash of model id and text; chunked IN lists), encodes only the misses, stores them, and
returns the vectors in order. A re-index of an asset whose text did not change (a bulk tag edit, a full
reindex) costs a lookup, not a model call. Two workers embedding the same text both insert it; the second
insert is ignored (ON CONFLICT DO NOTHING on SQLite and PostgreSQL). ``prune`` removes entries no sync has
used for ``MAX_AGE`` (the periodic maintenance job).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from indexer.meaning import TextEncoder
from models import TextEmbedding
from models.base import utcnow
from portal.services.vision.store import from_bytes, to_bytes

SessionFactory = Callable[[], Session]
# Keys per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
KEY_CHUNK = 500
# Entries unused this long are pruned; "used" is refreshed at most once per USE_REFRESH (few writes).
MAX_AGE = timedelta(days=30)
USE_REFRESH = timedelta(days=1)
# Rows one prune call deletes at most (the periodic job catches up over its next runs).
PRUNE_BATCH = 10_000


def cache_key(model_id: str, text: str) -> str:
    """The cache key of ``text`` under ``model_id`` (sha256 hex)."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()


def lookup(session: Session, keys: Sequence[str], now: datetime | None = None) -> dict[str, list[float]]:
    """Key -> cached vector for the keys that are cached; marks them used (at most once a day)."""
    now = now or utcnow()
    found: dict[str, list[float]] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = list(keys[start : start + KEY_CHUNK])
        rows = session.execute(
            select(TextEmbedding.key, TextEmbedding.vector, TextEmbedding.used_at).where(
                TextEmbedding.key.in_(chunk)
            )
        ).all()
        stale = []
        for key, blob, used_at in rows:
            found[str(key)] = from_bytes(blob).tolist()
            if used_at is None or used_at < now - USE_REFRESH:
                stale.append(str(key))
        if stale:
            session.execute(update(TextEmbedding).where(TextEmbedding.key.in_(stale)).values(used_at=now))
    return found


def store(session: Session, model_id: str, rows: Sequence[tuple[str, Sequence[float]]]) -> None:
    """Insert (key, vector) rows under ``model_id``; keys already there (another worker) are left alone."""
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    for start in range(0, len(rows), KEY_CHUNK):
        chunk = rows[start : start + KEY_CHUNK]
        values = [
            {
                "key": key,
                "model_id": model_id,
                "dim": len(vector),
                "vector": to_bytes(vector),
                "created_at": now,
                "used_at": now,
            }
            for key, vector in chunk
        ]
        session.execute(builder(TextEmbedding).values(values).on_conflict_do_nothing(index_elements=["key"]))


def cached_encoder(encoder: TextEncoder, model_id: str, session_factory: SessionFactory) -> TextEncoder:
    """``encoder`` behind the cache: only texts not cached under ``model_id`` reach it. None from the
    encoder (model unavailable) is passed on when anything was missing."""

    def encode(texts: Sequence[str]) -> Sequence[Sequence[float]] | None:
        keys = [cache_key(model_id, t) for t in texts]
        distinct = list(dict.fromkeys(keys))
        with session_factory() as session, session.begin():
            vectors = lookup(session, distinct)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in vectors}
        if missing:
            encoded = encoder(list(missing.values()))
            if encoded is None:
                return None
            # float32 as stored: a document gets the same vector from a hit as from a miss.
            new = [(k, from_bytes(to_bytes(vec)).tolist()) for k, vec in zip(missing, encoded, strict=True)]
            with session_factory() as session, session.begin():
                store(session, model_id, new)
            vectors.update(new)
        return [vectors[k] for k in keys]

    return encode


def prune(session: Session, max_age: timedelta = MAX_AGE, limit: int = PRUNE_BATCH) -> int:
    """Delete up to ``limit`` entries unused for ``max_age``; returns how many."""
    cutoff = utcnow() - max_age
    old = select(TextEmbedding.key).where(TextEmbedding.used_at < cutoff).limit(limit)
    keys = list(session.scalars(old))
    removed = 0
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        result = session.execute(delete(TextEmbedding).where(TextEmbedding.key.in_(chunk)))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
