"""Vision pipeline with a tiny random CLIP on real databases and the embedded engine: vectors stored and
indexed, tag suggestions with thresholds, accept/reject, near-duplicates and merge, model switch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from indexer.query import PortalQuery
from models import (
    Asset,
    AssetEmbedding,
    AssetTag,
    AuditEvent,
    DuplicateFlag,
    Rendition,
    Role,
    TagSuggestion,
)
from models.vision import DuplicateState, SuggestionState
from portal.jobs.bootstrap import build_runtime
from portal.jobs.registry import run_task
from portal.media.seeds import PreviewSeeds
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.services.catalog.ingest import ingest_file
from portal.services.governance.policy import Viewer
from portal.services.vision import duplicates as vision_duplicates
from portal.services.vision import tags as vision_tags
from portal.services.vision.model import embedder
from portal.services.vision.pipeline import decode_image, embed_versions, select_for_tagging
from portal.settings import Settings
from tests.vision_fixtures import picture, tiny_clip_overrides


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tiny CLIP's config and weights live for this test run."""
    return tmp_path_factory.mktemp("tiny-clip")


def make_rt(tmp_path: Path, database_url: str, clip_dir: Path, seed: int = 0, **extra: Any) -> Runtime:
    """A runtime with the tiny CLIP (eager jobs, strict near-duplicate threshold for a random model)."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        secret_key="t",
        jobs_eager=True,
        vision_duplicate_threshold=0.999,
        **tiny_clip_overrides(clip_dir, seed),
        **extra,
    )
    return build_runtime(settings, start_workers=False)


@pytest.fixture
def vrt(tmp_path: Path, database_url: str, clip_dir: Path) -> Iterator[Runtime]:
    """A runtime on SQLite and PostgreSQL with vision on."""
    rt = make_rt(tmp_path, database_url, clip_dir)
    yield rt
    rt.close()


def manager(rt: Runtime) -> Viewer:
    """A real manager account (decisions reference the user)."""
    with rt.db.transaction() as session:
        user = create_user(session, f"m{id(rt)}@example.com", "correct horse battery staple", "manager")
        return Viewer(user.id, Role.MANAGER)


def ingest(rt: Runtime, tmp_path: Path, name: str, kind: str, size: tuple[int, int] = (240, 180)) -> int:
    result = ingest_file(rt, picture(tmp_path / "in" / name, kind, size))
    assert result.asset_id is not None, result.error
    return result.asset_id


def test_ingest_stores_unit_vectors_and_indexes_them(vrt: Runtime, tmp_path: Path) -> None:
    ids = [ingest(vrt, tmp_path, "a.png", "red"), ingest(vrt, tmp_path, "b.png", "rect")]
    model = embedder(vrt.settings)
    with vrt.db.session() as session:
        rows = list(session.scalars(select(AssetEmbedding)))
    assert sorted(r.asset_id for r in rows) == ids
    for row in rows:
        assert row.model_id == model.model_id and row.dim == 32
        assert np.linalg.norm(row.array()) == pytest.approx(1.0, abs=1e-5)
    hits = vrt.search().search(PortalQuery(similar_to=ids[0], viewer_role="admin", facets=())).hits
    assert [h.id for h in hits] == [ids[1]]
    # Running the job again changes nothing (no second row, same vectors).
    with vrt.db.session() as session:
        versions = [int(session.get(Asset, i).current_version_id or 0) for i in ids]  # type: ignore[union-attr]
    assert embed_versions(vrt, model, versions) == 0
    assert run_task(vrt, "vision.embed", {"version_ids": [999999]}) == 0


def test_thresholds_decide_what_is_suggested(vrt: Runtime, tmp_path: Path) -> None:
    boss = manager(vrt)
    with vrt.db.transaction() as session:
        vision_tags.save_tag(session, boss, "always", group="object", threshold=0.0, prompts=["a thing"])
        vision_tags.save_tag(session, boss, "never", group="colour", threshold=1.0, prompts=["red"])
    asset_id = ingest(vrt, tmp_path, "a.png", "red")
    with vrt.db.session() as session:
        items = vision_tags.suggestions(session, asset_id)
    assert [(s.tag, s.model_id) for s in items] == [("always", embedder(vrt.settings).model_id)]
    assert 0.0 < items[0].score <= 1.0


def test_accept_makes_an_auto_tag_that_is_indexed_and_reject_sticks(vrt: Runtime, tmp_path: Path) -> None:
    boss = manager(vrt)
    with vrt.db.transaction() as session:
        vision_tags.save_tag(session, boss, "studio shot", group="setting", threshold=0.0)
        vision_tags.save_tag(session, boss, "outdoor", group="object", threshold=0.0)
    asset_id = ingest(vrt, tmp_path, "a.png", "red")
    with vrt.db.session() as session:
        by_tag = {s.tag: s.id for s in vision_tags.suggestions(session, asset_id)}
    with vrt.db.transaction() as session:
        vision_tags.decide(session, boss, by_tag["studio shot"], True)
        vision_tags.decide(session, boss, by_tag["outdoor"], False)
    with vrt.db.session() as session:
        tags = {
            (t.tag, t.source) for t in session.scalars(select(AssetTag).where(AssetTag.asset_id == asset_id))
        }
        states = {t: st for t, st in session.execute(select(TagSuggestion.tag, TagSuggestion.state))}
    assert tags == {("studio shot", "auto")}
    assert states == {"studio shot": SuggestionState.ACCEPTED, "outdoor": SuggestionState.REJECTED}
    found = vrt.search().search(PortalQuery(filters={"auto_tags": ("studio shot",)}, viewer_role="admin"))
    assert found.ids == [asset_id]
    # Re-tagging suggests neither again: one is a tag now, the other was rejected.
    with vrt.db.session() as session:
        version_id = int(session.get(Asset, asset_id).current_version_id or 0)  # type: ignore[union-attr]
    embed_versions(vrt, embedder(vrt.settings), [version_id], retag=True)
    with vrt.db.session() as session:
        assert vision_tags.suggestions(session, asset_id) == []


def test_near_duplicate_is_flagged_and_merged_as_a_version(vrt: Runtime, tmp_path: Path) -> None:
    boss = manager(vrt)
    original = ingest(vrt, tmp_path, "shoe.png", "rect")
    other = ingest(vrt, tmp_path, "noise.png", "noise")
    copy = ingest(vrt, tmp_path, "shoe-small.jpg", "rect", size=(120, 90))
    with vrt.db.session() as session:
        flags = list(session.scalars(select(DuplicateFlag)))
    assert [(f.asset_id, f.similar_asset_id) for f in flags] == [(copy, original)]
    assert flags[0].score >= 0.999 and other not in (flags[0].asset_id, flags[0].similar_asset_id)
    with vrt.db.session() as session:
        assert [c.asset_ids for c in vision_duplicates.clusters(session)] == [[original, copy]]
    with vrt.db.transaction() as session:
        assert vision_duplicates.merge(session, boss, flags[0].id) == original
    with vrt.db.session() as session:
        assert session.get(Asset, copy) is None
        target = session.get(Asset, original)
        assert target is not None
        assert [v.number for v in target.versions] == [1, 2]
        assert target.current_version is not None and target.current_version.number == 2
        assert target.current_version.original_filename == "shoe-small.jpg"
        actions = set(
            session.scalars(select(AuditEvent.action).where(AuditEvent.asset_id.in_([original, copy])))
        )
        assert session.get(DuplicateFlag, flags[0].id) is None  # went with the merged asset
    assert {"duplicate.merged_in", "duplicate.merged_away"} <= actions
    assert copy not in vrt.search().search(PortalQuery(viewer_role="admin")).ids


def test_keep_closes_the_flag(vrt: Runtime, tmp_path: Path) -> None:
    boss = manager(vrt)
    ingest(vrt, tmp_path, "a.png", "rect")
    ingest(vrt, tmp_path, "b.jpg", "rect", size=(120, 90))
    with vrt.db.transaction() as session:
        flag_id = session.scalars(select(DuplicateFlag.id)).one()
        vision_duplicates.keep(session, boss, flag_id)
    with vrt.db.session() as session:
        assert session.get(DuplicateFlag, flag_id).state == DuplicateState.KEPT  # type: ignore[union-attr]
        assert vision_duplicates.clusters(session) == []
        kept = session.get(DuplicateFlag, flag_id)
        assert kept is not None
        first, second = kept.similar_asset_id, kept.asset_id
    # Found again later (a re-tag), in either direction: the decision stands; a vanished asset is skipped.
    with vrt.db.transaction() as session:
        assert vision_duplicates.flag_many(session, {second: (first, 0.99)}, "m") == 0
        assert vision_duplicates.flag_many(session, {first: (second, 0.99)}, "m") == 0
        assert vision_duplicates.flag_many(session, {second: (987654, 0.99)}, "m") == 0
    with vrt.db.session() as session:
        assert [(f.asset_id, f.state) for f in session.scalars(select(DuplicateFlag))] == [
            (second, DuplicateState.KEPT)
        ]


def test_one_decode_thread_embeds_every_batch(vrt: Runtime, tmp_path: Path) -> None:
    """With ASSETPORT_VISION_THREADS=1 (or one CPU) the decode pool has one thread: the job must still
    finish (a batch task waiting on tasks of its own pool used to hang it for good)."""
    for i, kind in enumerate(("red", "rect", "noise")):
        ingest(vrt, tmp_path, f"one-thread-{i}.png", kind)
    with vrt.db.session() as session:
        version_ids = [v for v in session.scalars(select(Asset.current_version_id)) if v is not None]
    vrt.settings.vision_threads = 1
    model = embedder(vrt.settings)
    stored: list[int] = []
    worker = threading.Thread(
        target=lambda: stored.append(embed_versions(vrt, model, version_ids, retag=True, batch=2)),
        daemon=True,  # a hang must fail the test, not keep the run alive
    )
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the vision job hangs with one decode thread"
    assert stored == [3]


def test_model_switch_re_embeds_everything(tmp_path: Path, database_url: str, clip_dir: Path) -> None:
    first = make_rt(tmp_path, database_url, clip_dir, seed=0)
    ids = [ingest(first, tmp_path, "a.png", "red"), ingest(first, tmp_path, "b.png", "noise")]
    old_model = embedder(first.settings).model_id
    first.close()
    second = make_rt(tmp_path, database_url, clip_dir, seed=1)
    try:
        new_model = embedder(second.settings).model_id
        assert new_model != old_model
        assert run_task(second, "vision.check", {}) == "switch"
        with second.db.session() as session:
            by_model = session.execute(select(AssetEmbedding.model_id, AssetEmbedding.asset_id)).all()
        assert sorted(a for m, a in by_model if m == new_model) == ids
        assert run_task(second, "vision.check", {}) == "current"
        hits = second.search().search(PortalQuery(similar_to=ids[0], viewer_role="admin")).ids
        assert hits == [ids[1]]
        # The CLI's selection: nothing missing, both embedded.
        assert select_for_tagging(second, new_model, missing=True, embedded=False) == []
        assert len(select_for_tagging(second, new_model, missing=False, embedded=True)) == 2
    finally:
        second.close()


class _CountingFrames(PreviewSeeds):
    """The runtime's frame handoff, counting the frames the vision job actually took."""

    def __init__(self) -> None:
        super().__init__(capacity=48)
        self.hits = 0

    def take(self, sha256: str) -> Image.Image | None:
        frame = super().take(sha256)
        self.hits += frame is not None
        return frame


def test_vision_job_uses_the_decoded_preview_frame(vrt: Runtime, tmp_path: Path) -> None:
    """Decode once: in one process the vision job embeds the frame the preview was encoded from instead of
    decoding the preview again, and the vector equals the one from the decoded preview JPEG."""
    frames = _CountingFrames()
    vrt.vision_frames = frames
    asset_id = ingest(vrt, tmp_path, "photo.jpg", "noise", size=(2400, 1800))
    assert frames.hits == 1 and len(frames) == 0
    with vrt.db.session() as session:
        version_id = session.get(Asset, asset_id).current_version_id  # type: ignore[union-attr]
        stored = session.scalars(select(AssetEmbedding).where(AssetEmbedding.version_id == version_id)).one()
        preview = session.scalars(
            select(Rendition).where(Rendition.version_id == version_id, Rendition.preset == "preview")
        ).one()
    from_jpeg = embedder(vrt.settings).embed_images([decode_image(vrt, preview.sha256)])[0]
    assert frames.hits == 1  # nothing left to take: that one decoded the JPEG
    assert float(np.dot(stored.array(), from_jpeg)) >= 0.999
