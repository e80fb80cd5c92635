"""The embedding and tagging pipeline: decode a batch of versions (preview rendition, else the original),
one model pass for vectors and tag scores, then one transaction storing vectors, suggestions and
near-duplicate flags and recording the index sync.

Three stages overlap so the model is never idle waiting for the rest: decode threads read the next
batch AND run the model's preprocessing on it (resize to the model input, pixel statistics; Pillow and
numpy release the GIL); the calling thread runs the forward passes; one store thread looks up
near-duplicates and writes the previous batch (bulk statements, one transaction per batch).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from models import Asset, AssetEmbedding, AssetVersion, Rendition
from portal.runtime import Runtime
from portal.services.search import sync as search_sync
from portal.services.vision import duplicates as vision_duplicates
from portal.services.vision import store as vision_store
from portal.services.vision import tags as vision_tags
from tagging.autotag import Analysis, Prepared, Tagger, tagger_for
from tagging.base import Embedder, Vectors, chunks
from tagging.ort import thread_count

log = logging.getLogger(__name__)
BATCH = 32
DECODE_THREADS = 4
# The rendition the model looks at: big enough for 224-384 px models, far cheaper than the original.
SOURCE_PRESET = "preview"
# The longest edge of what the model is given: the preview rendition's, so a preview needs no rescale of
# its own (a 1280 -> 1024 bicubic pass cost more CPU than the model's whole preprocessing).
MODEL_VIEW_EDGE = 1280
# Previous batches of the same job compared for near-duplicates in memory: their index sync may still
# be on its way; older ones are in the index.
RECENT_BATCHES = 8
Scored = list[tuple[str, float]]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Item:
    """One decoded and preprocessed version on its way through the model."""

    version_id: int
    asset_id: int
    prepared: Prepared


def _scored(result: Analysis) -> tuple[Vectors, list[Scored]]:
    vectors = np.asarray(result.vectors, dtype=np.float32)
    return vectors, [[(s.tag, s.score) for s in row] for row in result.suggestions]


def pending_versions(rt: Runtime, model_id: str, version_ids: Sequence[int], retag: bool) -> list[int]:
    """The given versions that exist, are their asset's current version and (unless ``retag``) have no
    vector under this model yet: the rest is a no-op."""
    ids = sorted({int(i) for i in version_ids})
    out: list[int] = []
    with rt.db.session() as session:
        for start in range(0, len(ids), vision_store.ID_CHUNK):
            chunk = ids[start : start + vision_store.ID_CHUNK]
            current = set(
                session.scalars(select(Asset.current_version_id).where(Asset.current_version_id.in_(chunk)))
            )
            done: set[int] = set()
            if not retag:
                done = set(
                    session.scalars(
                        select(AssetEmbedding.version_id).where(
                            AssetEmbedding.version_id.in_(chunk), AssetEmbedding.model_id == model_id
                        )
                    )
                )
            out += [i for i in chunk if i in current and i not in done]
    return out


def _sources(rt: Runtime, version_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """(version id, asset id, blob sha) per version: the preview rendition when built, else the original."""
    with rt.db.session() as session:
        rows = session.execute(
            select(AssetVersion.id, AssetVersion.asset_id, AssetVersion.sha256, Rendition.sha256)
            .outerjoin(
                Rendition, (Rendition.version_id == AssetVersion.id) & (Rendition.preset == SOURCE_PRESET)
            )
            .where(AssetVersion.id.in_(list(version_ids)))
            .order_by(AssetVersion.id)
        ).all()
    return [(int(v), int(a), preview or original) for v, a, original, preview in rows]


def decode_image(rt: Runtime, sha: str) -> Image.Image:
    """A blob decoded the way the model sees it: reduced-scale JPEG decode, EXIF-rotated, at most 1280 px,
    RGB (RGBA when transparent). Raises what Pillow raises for files that are no images.

    Decode once: when the preview job of this process left the frame it encoded this preview from
    (``rt.vision_frames``), that frame is used instead of decoding the JPEG again."""
    frame = rt.vision_frames.take(sha)
    if frame is not None:
        return model_view(frame)
    with Image.open(rt.blobs.path_for(sha)) as img:
        img.draft("RGB", (768, 768))  # JPEG originals: decode at a reduced scale
        img.load()
        return model_view(ImageOps.exif_transpose(img))


def model_view(image: Image.Image) -> Image.Image:
    """An upright decoded image scaled to at most ``MODEL_VIEW_EDGE`` px (in place), RGB (RGBA when
    transparent). A preview (or the frame it was encoded from) is already that small and is used as it
    is: the model's own preprocessing scales it to its input size in one step."""
    image.thumbnail((MODEL_VIEW_EDGE, MODEL_VIEW_EDGE))
    mode = "RGBA" if "A" in image.getbands() else "RGB"
    return image if image.mode == mode else image.convert(mode)


def decode_versions(rt: Runtime, version_ids: Sequence[int]) -> list[tuple[int, int, Image.Image]]:
    """(version id, asset id, image) of each version that has an image, as the job decodes them (for
    callers that time or test the model on exactly the job's inputs)."""
    out = []
    for version_id, asset_id, sha in _sources(rt, version_ids):
        image = _try_decode(version_id, partial(decode_image, rt, sha))
        if image is not None:
            out.append((version_id, asset_id, image))
    return out


def _try_decode(version_id: int, decode: Callable[[], Image.Image]) -> Image.Image | None:
    try:
        return decode()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        # Documents without a preview, broken files: nothing to embed, and not an error of the job.
        log.info("version %s has no image to embed: %s", version_id, exc)
        return None


def _decode(rt: Runtime, tagger: Tagger, source: tuple[int, int, str]) -> Item | None:
    version_id, asset_id, sha = source
    image = _try_decode(version_id, partial(decode_image, rt, sha))
    return None if image is None else Item(version_id, asset_id, tagger.prepare(image))


def _submit_batch(
    rt: Runtime, tagger: Tagger, pool: ThreadPoolExecutor, version_ids: Sequence[int]
) -> list[Future[Item | None]]:
    """Queue one decode + preprocess task per version of a batch on the decode pool. Submitted from the
    calling thread: a pool task that waited for other tasks of its own pool would deadlock a pool of
    one thread (``ASSETPORT_VISION_THREADS=1``, a 1-CPU machine)."""
    return [pool.submit(_decode, rt, tagger, source) for source in _sources(rt, version_ids)]


def _collect(futures: Sequence[Future[Item | None]]) -> list[Item]:
    """The decoded items of a submitted batch, in order (versions without an image left out)."""
    return [item for item in (future.result() for future in futures) if item is not None]


def embed_versions(
    rt: Runtime,
    model: Embedder,
    version_ids: Sequence[int],
    *,
    retag: bool = False,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> int:
    """Embed and tag these versions (missing or already done ones are skipped unless ``retag``); returns
    how many were stored. Safe to run twice: vectors are upserted, pending suggestions replaced."""
    todo = pending_versions(rt, model.model_id, version_ids, retag)
    if not todo:
        return 0
    with rt.db.session() as session:
        tagger = tagger_for(model, vision_tags.active_tags(session))
    batches = chunks(todo, batch)
    recent: deque[list[vision_duplicates.Candidate]] = deque(maxlen=RECENT_BATCHES)
    stored = 0
    with (
        ThreadPoolExecutor(decode_threads(rt), thread_name_prefix="assetport-decode") as pool,
        ThreadPoolExecutor(1, thread_name_prefix="assetport-vision-store") as writer,
    ):
        ahead = _submit_batch(rt, tagger, pool, batches[0])
        writing: tuple[Future[int], int] | None = None
        for index, chunk in enumerate(batches):
            items = _collect(ahead)
            if index + 1 < len(batches):
                ahead = _submit_batch(rt, tagger, pool, batches[index + 1])
            vectors, scored = _scored(tagger.analyze_prepared([it.prepared for it in items]))
            # One batch in the store thread at a time: it writes while the model runs the next batch.
            stored += _finish(writing, progress)
            earlier = [c for previous in recent for c in previous]
            candidates = [vision_duplicates.Candidate(it.asset_id, vectors[i]) for i, it in enumerate(items)]
            recent.append(candidates)
            future = writer.submit(_store, rt, model.model_id, items, candidates, scored, earlier)
            writing = (future, len(chunk))
        stored += _finish(writing, progress)
    return stored


def decode_threads(rt: Runtime) -> int:
    """Decode/preprocess threads of one job: ``DECODE_THREADS``, bounded like the model's own pool by
    ``ASSETPORT_VISION_THREADS`` (else the CPU count): more only queue for the same cores."""
    return max(1, min(DECODE_THREADS, thread_count(rt.settings.vision_threads)))


def _finish(writing: tuple[Future[int], int] | None, progress: Progress | None) -> int:
    """Wait for a batch's store; report its progress; how many it stored."""
    if writing is None:
        return 0
    future, size = writing
    done = future.result()
    if progress is not None:
        progress(size)
    return done


def _store(
    rt: Runtime,
    model_id: str,
    items: list[Item],
    candidates: list[vision_duplicates.Candidate],
    scored: list[Scored],
    earlier: list[vision_duplicates.Candidate],
) -> int:
    """Near-duplicate lookup and one transaction with every write of a batch (bulk statements)."""
    if not items:
        return 0
    threshold = vision_duplicates.duplicate_threshold(model_id, rt.settings.vision_duplicate_threshold)
    near = vision_duplicates.nearest_older(rt.search(), candidates, threshold, earlier)
    with rt.db.transaction() as session:
        alive = set(session.scalars(select(Asset.id).where(Asset.id.in_([it.asset_id for it in items]))))
        keep = [i for i, it in enumerate(items) if it.asset_id in alive]  # deleted while we worked: skip
        # Take this process's turn to write first (the ORM flush of the sync's outbox row does: see
        # ``models.db``), then the bulk statements. The other way round they would hold SQLite's write
        # lock while waiting for that turn, and a writer holding the turn (an upload) waits for SQLite's
        # lock: both stall until the busy timeout, and the upload fails with "database is locked".
        search_sync.assets_changed(session, sorted(alive))
        session.flush()
        vision_store.store_embeddings(
            session, model_id, [(items[i].asset_id, items[i].version_id, candidates[i].vector) for i in keep]
        )
        vision_tags.store_suggestions_many(session, model_id, {items[i].asset_id: scored[i] for i in keep})
        vision_duplicates.flag_many(session, {a: near[a] for a in alive & set(near)}, model_id)
    return len(keep)


def select_for_tagging(rt: Runtime, model_id: str, *, missing: bool, embedded: bool) -> list[int]:
    """Current versions without a vector under ``model_id`` (``missing``), with one (``embedded``), or
    both (``assetport tag``: default missing; ``--retag`` embedded; ``--all`` both)."""
    out: list[int] = []
    after = 0
    while True:
        with rt.db.session() as session:
            ids = vision_store.current_version_ids(session, after_id=after, limit=2000)
            if not ids:
                return out
            have = set(
                session.scalars(
                    select(AssetEmbedding.version_id).where(
                        AssetEmbedding.version_id.in_(ids), AssetEmbedding.model_id == model_id
                    )
                )
            )
        out += [i for i in ids if (i in have and embedded) or (i not in have and missing)]
        after = ids[-1]
