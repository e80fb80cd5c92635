"""Media kinds: video poster + 720p H.264 rendition against the ``ffmpeg`` command line on the same file,
and camera RAW thumbnail and print rendition per 24 MP RAW (a synthetic DNG when no real one is given).

``python -m bench --only media [--quick]``: the clip is 1 minute of 1080p (10 s with ``--quick``), made once
by ffmpeg's test source and cached in ``bench/.cache``. Both sides run niced, one after the other, with
FFmpeg's default threading; the portal side is ``poster_frame`` + ``transcode`` (PyAV, libx264 veryfast
CRF 23, AAC 128k, faststart), the CLI side is ``ffmpeg -ss`` for the poster and the same encoder settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from bench.common import CACHE, print_table, write_results
from portal.media import avmedia, avtranscode, deliver, render
from portal.media.presets import BUILTIN

MAX_PIXELS = 200_000_000


def _clip(seconds: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"clip-1080p-{seconds}s.mp4"
    if not path.is_file():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "192k", str(path)],
            check=True,
        )  # fmt: skip
    return path


def _ffmpeg_side(clip: Path, work: Path, seconds: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", str(seconds * 0.4), "-i", str(clip), "-frames:v", "1",
         "-vf", "scale=-2:720", str(work / "poster.jpg")],
        check=True,
    )  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-vf", "scale=-2:720", "-c:v", "libx264",
         "-preset", avtranscode.VIDEO_PRESET, "-crf", avtranscode.VIDEO_CRF, "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(work / "cli.mp4")],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def _portal_side(clip: Path, work: Path) -> float:
    start = time.perf_counter()
    render.render_from_base(avmedia.poster_frame(clip, 1280, MAX_PIXELS))
    avtranscode.transcode(clip, work / "portal.mp4", max_height=720)
    return time.perf_counter() - start


def video_bench(seconds: int) -> dict[str, Any]:
    """Poster + 720p rendition of a 1080p clip: the portal (PyAV) against the ffmpeg command line."""
    clip = _clip(seconds)
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        work = Path(tmp)
        cli = _ffmpeg_side(clip, work, seconds)
        ours = _portal_side(clip, work)
        sizes = ((work / "portal.mp4").stat().st_size, (work / "cli.mp4").stat().st_size)
    return {
        "case": f"poster + 720p H.264 of {seconds} s 1080p30",
        "portal_s": round(ours, 2),
        "ffmpeg_cli_s": round(cli, 2),
        "ratio": round(ours / cli, 2),
        "target_ratio": 1.3,
        "portal_mb": round(sizes[0] / 1e6, 2),
        "cli_mb": round(sizes[1] / 1e6, 2),
    }


def _dng(path: Path, width: int = 6000, height: int = 4000) -> Path:
    """A synthetic 24 MP RGGB DNG (12-bit data, deflate-free) that LibRaw develops."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:height, 0:width]
    cfa = ((x / width) * 3000 + (y / height) * 800 + 200).astype(np.uint16)
    cfa += rng.integers(0, 60, (height, width), dtype=np.uint16)
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    tags = [
        (50706, "B", 4, (1, 4, 0, 0), True),
        (50708, "s", 0, "Assetport Synthetic", True),
        (33421, "H", 2, (2, 2), True),
        (33422, "B", 4, (0, 1, 1, 2), True),
        (50717, "I", 1, 4095, True),
        (50721, "2i", 9, identity, True),
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),
    ]
    tifffile.imwrite(path, cfa, photometric=32803, extratags=tags)
    return path


def raw_bench(source: Path | None, runs: int) -> list[dict[str, Any]]:
    """Thumbnail (thumb + preview) and print rendition (16-bit TIFF, full size) per 24 MP RAW file."""
    with tempfile.TemporaryDirectory(prefix="bench-raw-") as tmp:
        path = source or _dng(Path(tmp) / "synthetic-24mp.dng")
        rows = []
        for name, step in (
            ("thumb + preview", lambda: render.render_previews(path, max_pixels=MAX_PIXELS)),
            ("print TIFF 16-bit", lambda: _print(path, Path(tmp) / "print.tif")),
        ):
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)
            rows.append({
                "case": f"RAW {name} ({'given' if source else 'synthetic DNG'}, 24 MP)",
                "median_s": round(sorted(times)[len(times) // 2], 2),
                "runs": runs,
            })  # fmt: skip
    return rows


def _print(path: Path, out: Path) -> None:
    with out.open("wb") as fh:
        deliver.render_preset(path, BUILTIN["print"], fh, max_pixels=MAX_PIXELS)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the media benchmarks, print their tables and write ``bench/results/media.json``."""
    if hasattr(os, "nice"):
        os.nice(10)
    rows: list[dict[str, Any]] = []
    if shutil.which("ffmpeg"):
        video = video_bench(10 if quick else 60)
        print_table("Video: poster + 720p rendition, portal (PyAV) vs ffmpeg CLI", [video])
        rows.append(video)
    else:
        print("ffmpeg is not installed: the video comparison is skipped")
    given = os.environ.get("BENCH_RAW_FILE")
    raw_rows = raw_bench(Path(given) if given else None, 1 if quick else 3)
    print_table("Camera RAW per 24 MP file", raw_rows)
    rows.extend(raw_rows)
    print(f"results: {write_results('media', rows, quick=quick)}")
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
