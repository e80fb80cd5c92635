"""What makes ingest with vision on fast stays correct: the vision store never stalls an upload on
SQLite's lock, the class mapping is cached on disk by what it depends on, the cheaper pixel statistics
give the very same numbers, and the job's threads follow ASSETPORT_VISION_THREADS."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from models import Asset, AssetEmbedding, OutboxItem
from portal.runtime import Runtime
from portal.services.catalog.ingest import ingest_file
from portal.services.vision import duplicates as vision_duplicates
from portal.services.vision.pipeline import Item, _store, decode_threads
from tagging import classmap, pixels
from tagging.autotag import Prepared, Tagger
from tagging.vocabulary import DEFAULT_VOCABULARY, Tag
from tests.vision_fixtures import picture

DEMO = Path(__file__).resolve().parents[2] / "portal" / "demo" / "catalog" / "images"


def test_vision_store_takes_the_write_turn_before_its_bulk_writes(sqlite_rt: Runtime, tmp_path: Path) -> None:
    """An upload holding this process's write turn while the vision store starts must not end in a
    stall until SQLite's busy timeout ("database is locked"): the store waits for the turn first."""
    rt = sqlite_rt
    result = ingest_file(rt, picture(tmp_path / "in" / "a.png", "red"))
    assert result.asset_id is not None and result.version_id is not None
    holding, store_wrote = threading.Event(), threading.Event()

    @event.listens_for(rt.db.engine, "before_cursor_execute")
    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM ASSET_EMBEDDING"):
            store_wrote.set()

    @event.listens_for(rt.db.sessionmaker, "before_flush")
    def pause(session: Any, *_args: Any) -> None:
        # Registered after models.db's own hook: the upload holds the write turn here, not yet SQLite's
        # lock. It lets the store go first (up to a second), as a busy machine's scheduler may.
        if session.info.get("upload"):
            holding.set()
            store_wrote.wait(1.0)

    errors: list[OperationalError] = []

    def upload() -> None:
        try:
            with rt.db.transaction() as session:
                session.info["upload"] = True
                session.add(OutboxItem(task="test.noop", args={}))
                session.flush()
        except OperationalError as exc:  # "database is locked": recorded for the assertion below
            errors.append(exc)

    vector = np.zeros(8, np.float32)
    vector[0] = 1.0
    item = Item(result.version_id, result.asset_id, Prepared(None, None))
    candidate = vision_duplicates.Candidate(result.asset_id, vector)
    started = time.monotonic()
    writer = threading.Thread(target=upload)
    writer.start()
    assert holding.wait(10)
    stored = _store(rt, "test:model", [item], [candidate], [[("red", 0.9)]], [])
    writer.join(60)
    assert not errors, errors
    assert stored == 1
    assert time.monotonic() - started < 15  # SQLite's busy timeout is 30 s
    with rt.db.session() as session:
        assert session.scalars(select(AssetEmbedding.asset_id)).all() == [result.asset_id]
        assert session.get(Asset, result.asset_id) is not None


def test_class_mapping_cache_is_keyed_by_what_it_depends_on(tmp_path: Path, monkeypatch: Any) -> None:
    """The cached file is read back instead of recomputed; a changed prompt is another key; an
    unreadable file is computed again (and replaced)."""
    calls: list[int] = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(6, dtype=np.float32).reshape(2, 3)

    monkeypatch.setattr(classmap, "_memory", {})
    key = classmap._key("map", [["chair", "object", ["a chair"]]])
    first = classmap._cached(key, tmp_path, compute)
    assert (tmp_path / f"classmap.{key}.npy").exists() and len(calls) == 1
    monkeypatch.setattr(classmap, "_memory", {})  # a new process: only the file is left
    again = classmap._cached(key, tmp_path, compute)
    assert len(calls) == 1 and np.array_equal(first, again)
    assert classmap._key("map", [["chair", "object", ["an armchair"]]]) != key
    monkeypatch.setattr(classmap, "_memory", {})
    (tmp_path / f"classmap.{key}.npy").write_bytes(b"not numpy")
    assert np.array_equal(classmap._cached(key, tmp_path, compute), first) and len(calls) == 2
    monkeypatch.setattr(classmap, "_memory", {})
    classmap._cached(key, tmp_path, compute)
    assert len(calls) == 2  # the rewritten file is good again


def _colour_shares_direct(image: Image.Image, names: list[str]) -> np.ndarray:
    """The colour statistic as first written: a (pixels x references x 3) difference."""
    rgb, alpha = pixels._thumbnail(image)
    chosen = rgb[pixels.foreground_mask(rgb, alpha)]
    refs = np.array(list(pixels.REFERENCE_COLOURS.values()), dtype=np.float32)
    nearest = np.argmin(((chosen[:, None, :] - refs[None, :, :]) ** 2).sum(axis=2), axis=1)
    counts = np.bincount(nearest, minlength=len(refs)) / len(chosen)
    index = {name: i for i, name in enumerate(pixels.REFERENCE_COLOURS)}
    return np.array([counts[index[n]] if n in index else 0.0 for n in names], dtype=np.float32)


@pytest.mark.parametrize("name", sorted(p.name for p in DEMO.glob("*.png"))[:12])
def test_cheaper_pixel_statistics_give_the_same_numbers(name: str) -> None:
    """One shared downscale and the matrix-product colour distance: identical scores, not just close."""
    with Image.open(DEMO / name) as img:
        image = img.convert("RGBA")
    names = list(pixels.REFERENCE_COLOURS)
    assert np.array_equal(pixels.colour_shares(image, names), _colour_shares_direct(image, names))
    small = pixels.small_copy(image)
    assert np.array_equal(pixels.colour_shares(small, names), pixels.colour_shares(image, names))
    assert pixels.background_scores(small) == pixels.background_scores(image)
    tagger = Tagger.__new__(Tagger)  # the statistics need only the vocabulary
    tagger.vocabulary = [*DEFAULT_VOCABULARY, Tag("teal", [], 0.3, "colour")]
    row = tagger._pixel_scores(image)
    colours = [i for i, t in enumerate(tagger.vocabulary) if t.group == "colour"]
    expected = _colour_shares_direct(image, [tagger.vocabulary[i].name for i in colours])
    assert np.array_equal(row[colours], expected)


def test_decode_threads_follow_vision_threads(sqlite_rt: Runtime) -> None:
    sqlite_rt.settings.vision_threads = 1
    assert decode_threads(sqlite_rt) == 1
    sqlite_rt.settings.vision_threads = 3
    assert decode_threads(sqlite_rt) == 3
    sqlite_rt.settings.vision_threads = 64
    assert decode_threads(sqlite_rt) == 4
