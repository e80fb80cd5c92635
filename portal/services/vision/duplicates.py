"""Near-duplicates: flag an asset whose image is almost the same as an older one, merge it in as a new
version of that one (or keep both), and the report of clusters for managers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from indexer.engines.base import SearchEngine
from indexer.query import PortalQuery
from models import (
    Asset,
    AssetEmbedding,
    AssetProduct,
    AssetStatus,
    AssetVersion,
    DuplicateFlag,
    Role,
)
from models.base import utcnow
from models.vision import DuplicateState
from portal.errors import Conflict, NotFound
from portal.services.governance import audit
from portal.services.governance.fields import Field, require_write
from portal.services.governance.policy import Viewer, require_role
from portal.services.search import sync as search_sync
from tagging.similarity import cluster_pairs, near_duplicate_threshold


def duplicate_threshold(model_id: str, configured: float = 0.0) -> float:
    """Cosine similarity from which two images of this model count as the same picture: the configured
    value (``ASSETPORT_VISION_DUPLICATE_THRESHOLD``) or the model's calibrated default."""
    return configured if configured > 0 else near_duplicate_threshold(model_id)


@dataclass(frozen=True)
class Candidate:
    """A new vector looking for its nearest older asset."""

    asset_id: int
    vector: NDArray[np.float32]


def nearest_older(
    engine: SearchEngine,
    batch: Sequence[Candidate],
    threshold: float,
    earlier: Sequence[Candidate] = (),
) -> dict[int, tuple[int, float]]:
    """For each candidate, the most similar OTHER asset with a smaller id (the earlier upload) at or above
    ``threshold``: from the index (staff view: everything), and from the batch itself plus ``earlier``
    (the same job's previous batches), whose vectors may not be indexed yet; those two by one matrix
    product. Returns asset id -> (similar asset id, score)."""
    if not batch:
        return {}
    pool = [*batch, *earlier]
    pool_ids = np.array([c.asset_id for c in pool], dtype=np.int64)
    sims = np.stack([c.vector for c in batch]) @ np.stack([c.vector for c in pool]).T
    found: dict[int, tuple[int, float]] = {}
    for row, cand in enumerate(batch):
        keep = (pool_ids < cand.asset_id) & (sims[row] >= threshold)
        scored = [(int(i), float(s)) for i, s in zip(pool_ids[keep], sims[row][keep], strict=True)]
        scored += [
            (i, s) for i, s in _indexed_neighbours(engine, cand) if i < cand.asset_id and s >= threshold
        ]
        if scored:
            found[cand.asset_id] = max(scored, key=lambda pair: (pair[1], -pair[0]))
    return found


def _indexed_neighbours(engine: SearchEngine, cand: Candidate) -> list[tuple[int, float]]:
    """The candidate's five nearest indexed assets (staff view) with their cosine similarity."""
    query = PortalQuery(vector=tuple(cand.vector.tolist()), facets=(), size=5, viewer_role="admin")
    try:
        hits = engine.search(query).hits
    except ValueError:
        return []  # the index holds another model's vectors (mid switch): only the job's own vectors count
    return [(h.id, float(h.score)) for h in hits if h.score is not None]


def flag_many(session: Session, near: dict[int, tuple[int, float]], model_id: str) -> int:
    """Record each near-duplicate (asset id -> (similar asset id, score)) once per pair, in either
    direction; a decided pair is never reopened, a vanished similar asset is skipped, and so is a pair
    linked to different article numbers (similar pictures of different products, e.g. colour variants).
    Three queries for the whole batch, whatever its size. Returns the number of flags now open."""
    if not near:
        return 0
    similar_ids = {similar for similar, _score in near.values()}
    alive = set(session.scalars(select(Asset.id).where(Asset.id.in_(similar_ids))))
    ids = set(near) | similar_ids
    numbers = article_numbers(session, sorted(ids))
    existing = {
        frozenset((row.asset_id, row.similar_asset_id)): row
        for row in session.scalars(
            select(DuplicateFlag).where(
                DuplicateFlag.asset_id.in_(ids), DuplicateFlag.similar_asset_id.in_(ids)
            )
        )
    }
    opened = 0
    for asset_id, (similar_id, score) in sorted(near.items()):
        if similar_id not in alive:
            continue
        mine, theirs = numbers[asset_id], numbers[similar_id]
        if mine and theirs and not (mine & theirs):
            continue
        pair = frozenset((asset_id, similar_id))
        row = existing.get(pair)
        if row is None:
            row = DuplicateFlag(
                asset_id=asset_id,
                similar_asset_id=similar_id,
                score=score,
                model_id=model_id,
                state=DuplicateState.OPEN.value,
            )
            session.add(row)
            existing[pair] = row
        elif row.state == DuplicateState.OPEN.value:
            row.score = score
        opened += row.state == DuplicateState.OPEN.value
    return opened


def article_numbers(session: Session, asset_ids: Sequence[int]) -> dict[int, set[str]]:
    """The article numbers each asset is linked to (model-code links and unlinked assets: none)."""
    out: dict[int, set[str]] = {i: set() for i in asset_ids}
    if asset_ids:
        rows = session.execute(
            select(AssetProduct.asset_id, AssetProduct.article_number).where(
                AssetProduct.asset_id.in_(list(asset_ids)), AssetProduct.article_number.is_not(None)
            )
        )
        for asset_id, number in rows:
            if number:
                out[asset_id].add(number)
    return out


def different_products(session: Session, asset_id: int, other_ids: Sequence[int]) -> set[int]:
    """Those of ``other_ids`` linked to other article numbers than ``asset_id`` (both linked, no number
    in common): similar pictures of different products, never to be merged."""
    numbers = article_numbers(session, [asset_id, *other_ids])
    mine = numbers[asset_id]
    return {o for o in other_ids if mine and numbers[o] and not (mine & numbers[o])}


def open_flags(session: Session, asset_id: int) -> list[tuple[DuplicateFlag, Asset]]:
    """Open flags of an asset with the asset it resembles, most similar first."""
    rows = session.execute(
        select(DuplicateFlag, Asset)
        .join(Asset, Asset.id == DuplicateFlag.similar_asset_id)
        .where(DuplicateFlag.asset_id == asset_id, DuplicateFlag.state == DuplicateState.OPEN.value)
        .order_by(DuplicateFlag.score.desc())
    )
    return [(f, a) for f, a in rows]


def _open_flag(session: Session, flag_id: int) -> DuplicateFlag:
    row = session.get(DuplicateFlag, flag_id)
    if row is None:
        raise NotFound("duplicate flag not found")
    if row.state != DuplicateState.OPEN.value:
        raise Conflict(f"this duplicate was already {row.state}")
    return row


def keep(session: Session, viewer: Viewer, flag_id: int, *, ip: str | None = None) -> DuplicateFlag:
    """Keep both assets: the flag is closed and not raised again for this pair."""
    require_role(viewer, Role.EDITOR)
    row = _open_flag(session, flag_id)
    row.state, row.decided_by_id, row.decided_at = DuplicateState.KEPT.value, viewer.user_id, utcnow()
    audit.record(
        session,
        "duplicate.kept",
        actor_id=viewer.user_id,
        asset_id=row.asset_id,
        ip=ip,
        similar_to=row.similar_asset_id,
        score=round(row.score, 3),
    )
    return row


def merge(session: Session, viewer: Viewer, flag_id: int, *, ip: str | None = None) -> int:
    """Move the flagged asset's current file in as a new current version of the asset it resembles, then
    delete the flagged asset (its audit trail stays). An approved target goes back to review while its
    approved version stays what partners get. Returns the target asset id."""
    require_role(viewer, Role.EDITOR)
    row = _open_flag(session, flag_id)
    source, target = session.get(Asset, row.asset_id), session.get(Asset, row.similar_asset_id)
    if source is None or target is None or source.current_version_id is None:
        raise NotFound("one of the two assets no longer exists")
    if different_products(session, source.id, [target.id]):
        raise Conflict(
            "these assets show different products (their article numbers differ): keep both instead"
        )
    # The target gains a version, the source goes away: both must be writable (not archived, say).
    require_write(viewer, target, Field.VERSION)
    require_write(viewer, source, Field.METADATA)
    version = session.get(AssetVersion, source.current_version_id)
    assert version is not None
    # What an undo needs to give the source back (``portal.services.vision.unmerge``).
    undo = snapshot(source, target, version)
    number = (
        session.scalar(select(func.max(AssetVersion.number)).where(AssetVersion.asset_id == target.id)) or 0
    ) + 1
    # Through the relationships, so the source's loaded collections never still hold the moved version
    # when the source is deleted (its other versions go with it).
    source.current_version = None
    session.flush()
    version.asset = target
    version.number = number
    version.comment = f"merged from asset #{source.id} ({source.title})"
    target.current_version = version
    session.execute(
        update(AssetEmbedding).where(AssetEmbedding.version_id == version.id).values(asset_id=target.id)
    )
    if target.status == AssetStatus.APPROVED.value:
        target.status = AssetStatus.IN_REVIEW.value
    row.state, row.decided_by_id, row.decided_at = DuplicateState.MERGED.value, viewer.user_id, utcnow()
    detail = {"score": round(row.score, 3), "version": number}
    audit.record(
        session,
        "duplicate.merged_in",
        actor_id=viewer.user_id,
        asset_id=target.id,
        ip=ip,
        target=f"#{source.id} {source.title}",
        undo=undo,
        **detail,
    )
    audit.record(
        session,
        "duplicate.merged_away",
        actor_id=viewer.user_id,
        asset_id=source.id,
        ip=ip,
        target=f"#{target.id} {target.title}",
        **detail,
    )
    session.flush()
    session.delete(source)
    search_sync.assets_changed(session, [source.id, target.id])
    return target.id


def snapshot(source: Asset, target: Asset, version: AssetVersion) -> dict[str, object]:
    """The merged-away asset and the target's previous state, as plain values for the audit event."""
    return {
        "source_id": source.id,
        "version_id": version.id,
        "version_number": version.number,
        "version_comment": version.comment,
        "target_previous_version_id": target.current_version_id,
        "target_previous_status": target.status,
        "title": source.title,
        "description": source.description,
        "rights_note": source.rights_note,
        "usage_restrictions": source.usage_restrictions,
        "visibility": source.visibility,
        "original_filename": source.original_filename,
        "media_kind": source.media_kind,
        "creator": source.creator,
        "copyright": source.copyright,
        "uploaded_by_id": source.uploaded_by_id,
        "tags": [[t.tag, t.source] for t in source.tags],
        "links": [link.key for link in source.links],
    }


@dataclass(frozen=True)
class Cluster:
    """Assets that are near-duplicates of each other (connected by open flags), best score first."""

    asset_ids: list[int]
    titles: dict[int, str]
    score: float
    flags: list[int]


def clusters(session: Session, limit: int = 200) -> list[Cluster]:
    """Open near-duplicate flags grouped into clusters (connected components), strongest first."""
    flags = list(
        session.scalars(select(DuplicateFlag).where(DuplicateFlag.state == DuplicateState.OPEN.value))
    )
    by_asset: dict[int, list[DuplicateFlag]] = {}
    for f in flags:
        by_asset.setdefault(f.asset_id, []).append(f)
        by_asset.setdefault(f.similar_asset_id, []).append(f)
    groups = {
        members[0]: list({f.id: f for a in members for f in by_asset[a]}.values())
        for members in cluster_pairs((f.asset_id, f.similar_asset_id) for f in flags)
    }
    ids = {i for f in flags for i in (f.asset_id, f.similar_asset_id)}
    titles = (
        {i: t for i, t in session.execute(select(Asset.id, Asset.title).where(Asset.id.in_(ids)))}
        if ids
        else {}
    )
    out = []
    for members in groups.values():
        assets = sorted({i for f in members for i in (f.asset_id, f.similar_asset_id)})
        out.append(
            Cluster(
                assets,
                {i: titles.get(i, f"#{i}") for i in assets},
                max(f.score for f in members),
                [f.id for f in sorted(members, key=lambda f: -f.score)],
            )
        )
    out.sort(key=lambda c: (-c.score, c.asset_ids[0]))
    return out[:limit]
