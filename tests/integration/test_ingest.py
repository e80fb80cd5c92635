"""Ingest against real databases and a real blob store: the format zoo, duplicates, rejections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from models import Asset, AssetVersion, AuditEvent, OutboxItem, PreviewState, Product, Rendition
from portal.runtime import Runtime
from portal.services.catalog.ingest import collect_files, ingest_file, ingest_paths, safe_filename
from tests.helpers import ZOO, count, stored_blobs, zoo_manifest

GOOD = [r for r in zoo_manifest() if r["file"].startswith("good/")]
BAD = [r for r in zoo_manifest() if r["file"].startswith("bad/")]


@pytest.mark.parametrize("row", GOOD, ids=[r["file"] for r in GOOD])
def test_every_good_file_is_ingested_with_correct_metadata(sqlite_rt: Runtime, row: dict) -> None:
    _check_good_file(sqlite_rt, row)


@pytest.mark.parametrize("name", ["good/pil_sample_cmyk.jpg", "good/pug.heic", "good/xmp_test.jpg"])
def test_good_files_on_both_databases(rt: Runtime, name: str) -> None:
    _check_good_file(rt, next(r for r in GOOD if r["file"] == name))


def _check_good_file(rt: Runtime, row: dict) -> None:
    path = ZOO / row["file"]
    result = ingest_file(rt, path, path.name)
    assert result.ok and result.created, result.error
    with rt.db.session() as session:
        version = session.scalars(select(AssetVersion).where(AssetVersion.id == result.version_id)).one()
        if row["size"]:
            assert (version.width, version.height) == row["size"]
        if row["mode"]:
            assert version.color_mode == row["mode"]
        if row["frames"]:
            assert version.frames == int(row["frames"])
        # Previews ran (eagerly) through the outbox: every good image gets both.
        assert version.preview_state == PreviewState.READY, version.preview_error
        presets = set(session.scalars(select(Rendition.preset).where(Rendition.version_id == version.id)))
        assert presets == {"thumb", "preview"}
        assert session.scalars(select(OutboxItem.done_at)).all()[0] is not None


@pytest.mark.parametrize("row", BAD, ids=[r["file"] for r in BAD])
def test_bad_files_are_rejected_cleanly_or_stored_correctly(rt: Runtime, row: dict) -> None:
    path = ZOO / row["file"]
    result = ingest_file(rt, path, path.name)
    if result.ok:
        # Only acceptable when the file fully decodes within the pixel limit; then metadata must be right.
        assert row["kind"] != "bomb", "decompression bombs must always be rejected"
        with Image.open(path) as im:
            im.load()
            _, version = _version(rt, result.version_id)
            assert (version.width, version.height) == im.size
        return
    assert result.error and len(result.error) > 10
    assert 400 <= result.status < 500
    assert count(rt.db, Asset) == 0
    assert count(rt.db, AssetVersion) == 0
    assert stored_blobs(rt.blobs.root) == []


def test_bombs_always_rejected(rt: Runtime) -> None:
    for row in BAD:
        if row["kind"] == "bomb":
            result = ingest_file(rt, ZOO / row["file"])
            assert not result.ok
            assert "bomb" in (result.error or "").lower() or "too large" in (result.error or "").lower()


def test_same_bytes_twice_is_one_asset(rt: Runtime, tmp_path: Path) -> None:
    src = ZOO / "good" / "hopper.jpg"
    copy = tmp_path / "another-name.jpg"
    shutil.copy(src, copy)
    first = ingest_file(rt, src)
    second = ingest_file(rt, copy)
    assert first.created and not second.created
    assert second.asset_id == first.asset_id and second.status == 200
    assert count(rt.db, Asset) == 1
    blobs = stored_blobs(rt.blobs.root)
    originals = [b for b in blobs if b.name == rt.blobs.hash_file(src)]
    assert len(originals) == 1


def test_hostile_file_names_are_neutralised(rt: Runtime) -> None:
    result = ingest_file(rt, ZOO / "good" / "hopper.jpg", "../../etc/\x00pass\u202ewd.jpg")
    assert result.ok
    assert result.filename == safe_filename("../../etc/\x00pass\u202ewd.jpg")
    assert "/" not in result.filename and "\x00" not in result.filename
    with rt.db.session() as session:
        asset = session.get(Asset, result.asset_id)
        assert asset is not None and asset.original_filename == result.filename
    assert not (rt.blobs.root.parent / "etc").exists()


def test_unknown_article_number_rejects_and_stores_nothing(rt: Runtime) -> None:
    result = ingest_file(rt, ZOO / "good" / "hopper.jpg", link_keys=["NOPE-404"])
    assert not result.ok and result.status == 404
    assert "NOPE-404" in (result.error or "")
    assert count(rt.db, Asset) == 0
    assert stored_blobs(rt.blobs.root) == []


def test_filename_links_and_late_product(rt: Runtime, tmp_path: Path) -> None:
    with rt.db.transaction() as session:
        session.add(Product(article_number="404.038.96", name="Lamp", model_code="lamp-x"))
    early = tmp_path / "404.038.96_1.jpg"
    shutil.copy(ZOO / "good" / "hopper.jpg", early)
    late = tmp_path / "777123_2.png"
    shutil.copy(ZOO / "good" / "hopper_mask.png", late)
    r1 = ingest_file(rt, early)
    r2 = ingest_file(rt, late)
    assert r1.linked == ["404.038.96"]
    assert r2.ok and r2.linked == []
    from portal.services.catalog import linking
    from portal.services.catalog.products import upsert_product

    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "777123", "name": "Late product"})
        linking.link_pending_assets(session, ["777123"], [])
    with rt.db.session() as session:
        assert linking.article_numbers_for_asset(session, r2.asset_id or 0) == ["777123"]


def test_folder_with_bad_files_goes_on(rt: Runtime) -> None:
    files = collect_files([ZOO / "good", ZOO / "bad"])
    picked = [f for f in files if f.suffix in {".jpg", ".png", ".gif"}]
    results = ingest_paths(rt, picked)
    assert len(results) == len(picked)
    good = [r for r, f in zip(results, picked, strict=True) if f.parent.name == "good"]
    assert all(r.ok for r in good)
    assert any(not r.ok for r in results)
    assert count(rt.db, Asset) == sum(1 for r in results if r.ok and r.created)


def test_upload_writes_audit_event(rt: Runtime) -> None:
    result = ingest_file(rt, ZOO / "good" / "flower.webp", ip="10.0.0.1")
    with rt.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.asset_id == result.asset_id)).all()
        assert [e.action for e in events] == ["asset.uploaded"]
        assert events[0].detail["format"] == "WEBP"


def test_embedded_metadata_and_private_gps(rt: Runtime) -> None:
    result = ingest_file(rt, ZOO / "good" / "exif_gps.jpg")
    _, version = _version(rt, result.version_id)
    # This file's GPS block is garbage (latitude 4294967295, no refs): kept private, never published.
    assert any(key.startswith("gps") for key in version.private)
    assert not any(key.startswith("gps") for key in version.embedded)


def _version(rt: Runtime, version_id: int | None) -> tuple[Asset, AssetVersion]:
    with rt.db.session() as session:
        version = session.get(AssetVersion, version_id)
        assert version is not None
        asset = session.get(Asset, version.asset_id)
        assert asset is not None
        return asset, version
