"""Stored image vectors: writing them, reading them back for the index, and finding what still needs one.

Vectors are float32 bytes per (version, model). The index carries the vector of each asset's current
version under the ACTIVE model only, so a model switch never mixes vector spaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, delete, insert, select
from sqlalchemy.orm import Session

from indexer.sync import VectorLoader
from models import Asset, AssetEmbedding, AssetVersion, PreviewState
from portal.services.vision.model import active_model_id, vision_enabled
from portal.settings import Settings

# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
ID_CHUNK = 500


def to_bytes(vector: Sequence[float] | NDArray[np.float32]) -> bytes:
    """A vector as little-endian float32 bytes (what the database keeps)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> NDArray[np.float32]:
    """The vector of stored bytes."""
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def store_embeddings(
    session: Session, model_id: str, rows: Sequence[tuple[int, int, NDArray[np.float32]]]
) -> int:
    """Insert or replace the vectors of many versions under one model, as (asset id, version id, vector):
    one DELETE and one multi-row INSERT per chunk instead of a lookup per version (the tagging job)."""
    for start in range(0, len(rows), ID_CHUNK):
        chunk = rows[start : start + ID_CHUNK]
        session.execute(
            delete(AssetEmbedding).where(
                AssetEmbedding.model_id == model_id,
                AssetEmbedding.version_id.in_([int(v) for _, v, _ in chunk]),
            )
        )
        session.execute(
            insert(AssetEmbedding),
            [
                {
                    "asset_id": int(asset_id),
                    "version_id": int(version_id),
                    "model_id": model_id,
                    "dim": int(vector.shape[-1]),
                    "vector": to_bytes(vector),
                }
                for asset_id, version_id, vector in chunk
            ],
        )
    return len(rows)


def current_vectors(
    session: Session, asset_ids: Sequence[int], model_id: str
) -> dict[int, NDArray[np.float32]]:
    """Asset id -> vector of its current version under ``model_id`` (assets without one are left out)."""
    out: dict[int, NDArray[np.float32]] = {}
    ids = sorted({int(i) for i in asset_ids})
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        rows = session.execute(
            select(AssetEmbedding.asset_id, AssetEmbedding.vector)
            .join(
                Asset,
                and_(
                    Asset.id == AssetEmbedding.asset_id, Asset.current_version_id == AssetEmbedding.version_id
                ),
            )
            .where(AssetEmbedding.model_id == model_id, AssetEmbedding.asset_id.in_(chunk))
        )
        for asset_id, blob in rows:
            out[int(asset_id)] = from_bytes(blob)
    return out


def loader_for(model_id: str) -> VectorLoader:
    """A ``VectorLoader`` for index sync: the current version's vector under ``model_id``."""

    def load(session: Session, asset_ids: Sequence[int]) -> Mapping[int, Sequence[float]]:
        return {k: v.tolist() for k, v in current_vectors(session, asset_ids, model_id).items()}

    return load


def index_vector_loader(settings: Settings) -> VectorLoader | None:
    """The loader search sync and ``reindex`` pass along, or None when vision is off (no vectors)."""
    if not vision_enabled(settings):
        return None
    model_id = active_model_id(settings)
    return loader_for(model_id) if model_id else None


def versions_to_embed(session: Session, model_id: str, after_id: int = 0, limit: int = 256) -> list[int]:
    """Current versions with a ready preview and no vector under ``model_id``, by id. Versions whose
    preview is pending are embedded when it is built; failed ones can never be decoded, so they are not
    asked for again (else every start-up check would re-queue them)."""
    embedded = select(AssetEmbedding.version_id).where(AssetEmbedding.model_id == model_id)
    query = (
        select(AssetVersion.id)
        .join(Asset, Asset.current_version_id == AssetVersion.id)
        .where(
            AssetVersion.id > after_id,
            AssetVersion.id.not_in(embedded),
            AssetVersion.preview_state == PreviewState.READY.value,
        )
        .order_by(AssetVersion.id)
        .limit(limit)
    )
    return [int(i) for i in session.scalars(query)]


def current_version_ids(session: Session, after_id: int = 0, limit: int = 256) -> list[int]:
    """Every asset's current version id, by id (for ``assetport tag --all``)."""
    query = (
        select(Asset.current_version_id)
        .where(Asset.current_version_id.is_not(None), Asset.current_version_id > after_id)
        .order_by(Asset.current_version_id)
        .limit(limit)
    )
    return [int(i) for i in session.scalars(query) if i is not None]


def stale_model_ids(session: Session, model_id: str) -> list[str]:
    """Model ids of stored vectors other than the active one (left over from a model switch)."""
    query = select(AssetEmbedding.model_id).where(AssetEmbedding.model_id != model_id).distinct()
    return sorted(str(m) for m in session.scalars(query))


def drop_vectors(session: Session, model_ids: Sequence[str]) -> int:
    """Remove vectors of old models (after the switch has re-embedded everything)."""
    if not model_ids:
        return 0
    result = session.execute(delete(AssetEmbedding).where(AssetEmbedding.model_id.in_(list(model_ids))))
    return int(getattr(result, "rowcount", 0) or 0)
