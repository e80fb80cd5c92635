"""Trust holes 5 and 13: corrupt PNGs are refused; temp files of interrupted uploads are cleaned."""

from __future__ import annotations

import os
import struct
import time
import zlib
from pathlib import Path

import pytest

from portal.errors import RejectedFile
from portal.jobs.bootstrap import build_runtime
from portal.jobs.registry import run_task
from portal.media.probe import probe_file
from portal.runtime import Runtime
from portal.services.catalog.ingest import ingest_file
from portal.settings import Settings
from tests.gov_helpers import png


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        out.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def _build(chunks: list[tuple[bytes, bytes]], lie: int = 0, bad_crc: bytes = b"") -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == bad_crc:
            crc ^= 0x1
        length = len(body) + (lie if kind == b"IDAT" else 0)
        out += struct.pack(">I4s", length, kind) + body + struct.pack(">I", crc)
    return out


def test_hole_05_png_with_bad_idat_crc_or_lying_length_is_refused(rt: Runtime, tmp_path: Path) -> None:
    good = png(tmp_path, 5, size=(40, 30)).read_bytes()
    chunks = _chunks(good)
    assert probe_file(tmp_path / "image-5.png", 10**8).format == "PNG"
    cases = {
        "crc.png": _build(chunks, bad_crc=b"IDAT"),
        "lying.png": _build(chunks, lie=-4),
        "longer.png": _build(chunks, lie=8),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(RejectedFile, match="corrupt PNG"):
            probe_file(path, 10**8)
        result = ingest_file(rt, path, name)
        assert not result.ok and result.error and "corrupt" in result.error, (name, result)


def test_hole_13_interrupted_upload_temp_files_are_cleaned(tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(
        instance_dir=tmp_path / "instance", database_url=sqlite_url, secret_key="t", jobs_eager=True
    )
    tmp_dir = settings.resolved_storage_dir / "tmp"
    tmp_dir.mkdir(parents=True)
    old = time.time() - 2 * settings.tmp_max_age_seconds

    def leftover(name: str, age: float) -> Path:
        folder = tmp_dir / name
        folder.mkdir()
        (folder / "upload").write_bytes(b"x" * 100)
        for p in (folder / "upload", folder):
            os.utime(p, (age, age))
        return folder

    killed = leftover("upload-killed", old)
    loose = tmp_dir / "up-killed"
    loose.write_bytes(b"y")
    os.utime(loose, (old, old))
    running = leftover("upload-running", time.time())
    rt = build_runtime(settings, start_workers=False)
    try:
        assert not killed.exists() and not loose.exists(), "start-up keeps leftovers of a killed upload"
        assert running.exists(), "an upload in progress lost its temp file"
        later = leftover("upload-later", old)
        assert run_task(rt, "blobs.clean_tmp", {}) == 1
        assert not later.exists() and running.exists()
    finally:
        rt.close()
