"""Decode once under load: ingest waits for room in the bounded cache of decoded preview bases while the
preview jobs are taking them, so a burst of uploads that outruns its preview jobs costs no second decode."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from models import AssetVersion, PreviewState
from portal.jobs.bootstrap import build_runtime
from portal.media.seeds import PreviewSeeds
from portal.services.catalog.ingest import ingest_paths
from portal.settings import Settings


class _CountingSeeds(PreviewSeeds):
    """The runtime's seed cache, counting the bases the preview jobs took."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity=capacity)
        self.hits = 0

    def take(self, sha256: str) -> Image.Image | None:
        base = super().take(sha256)
        self.hits += base is not None
        return base


def _photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        rng = random.Random(i)
        small = Image.new("RGB", (8, 6))
        small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48)])
        path = folder / f"photo_{i}.jpg"
        small.resize((1600, 1200), Image.Resampling.BICUBIC).save(path, quality=85)
        paths.append(path)
    return paths


def test_a_burst_of_uploads_builds_every_preview_from_its_verifying_decode(
    tmp_path: Path, sqlite_url: str
) -> None:
    # A cache of one entry and three ingest threads: without waiting for room, most bases were refused
    # and their preview jobs decoded the files again.
    settings = Settings(instance_dir=tmp_path / "instance", database_url=sqlite_url, secret_key="t")
    rt = build_runtime(settings)
    try:
        rt.db.upgrade()
        seeds = _CountingSeeds(capacity=1)
        rt.preview_seeds = seeds
        results = ingest_paths(rt, _photos(tmp_path / "in", 12), workers=3)
        rt.queue.join()
        assert all(r.ok and r.created for r in results)
        assert seeds.hits == 12 and len(seeds) == 0
        with rt.db.session() as session:
            states = session.scalars(select(AssetVersion.preview_state)).all()
        assert states == [PreviewState.READY] * 12
    finally:
        rt.close()
