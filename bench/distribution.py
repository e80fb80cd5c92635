"""Distribution benchmarks: web-preset renditions vs ``vipsthumbnail``, ZIP packaging vs ``zip -0 -r``,
and the peak memory of a 100 MB vs a 1 GB package (each built in its own process, RSS from ``wait4``).

``python -m bench --only distribution [--quick]``; quick mode uses 20 MB / 200 MB packages and fewer
images, the full run 100 MB / 1 GB.
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

from bench.common import print_table, write_results
from bench.ingest import generated_jpegs

MB = 1_000_000


# --- renditions --------------------------------------------------------------------------------------


def rendition_bench(count: int, rounds: int = 3) -> dict[str, Any]:
    """Seconds per 12 MP JPEG for the ``web`` preset (2048 px sRGB JPEG) vs vipsthumbnail, one thread each.

    Ours and vips alternate for a few rounds and the best round of each counts, so that other load on a
    shared machine does not decide the ratio."""
    files = generated_jpegs(count)
    with tempfile.TemporaryDirectory(prefix="assetport-bench-rend-") as tmp:
        _ours(files[:1], Path(tmp))  # warm-up: imports, ICC, codecs
        ours, vips = [], []
        for _round in range(rounds):
            ours.append(_ours(files, Path(tmp)))
            vips.append(_vips(files, Path(tmp)))
    best_ours, best_vips = min(ours), min(vips)
    return {
        "scenario": f"web preset, {count} x 12 MP JPEG (best of {rounds})",
        "ours_s_per_image": round(best_ours / count, 3),
        "vips_s_per_image": round(best_vips / count, 3),
        "time_ratio_ours_vs_vips": round(best_ours / best_vips, 2),
        "target": "<= 2.0",
    }


def _ours(files: list[Path], out_dir: Path) -> float:
    from portal.media.deliver import render_preset
    from portal.media.presets import BUILTIN

    started = time.perf_counter()
    for i, path in enumerate(files):
        with open(out_dir / f"ours_{i}.jpg", "wb") as out:
            render_preset(path, BUILTIN["web"], out)
    return time.perf_counter() - started


def _vips(files: list[Path], out_dir: Path) -> float:
    # One process for all files (no per-file start-up cost), one worker thread like ours.
    env = {**os.environ, "VIPS_CONCURRENCY": "1"}
    command = ["vipsthumbnail", *map(str, files), "-s", "2048", "-o", f"{out_dir}/vips_%s.jpg[Q=85]"]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env)
    return time.perf_counter() - started


# --- packages ----------------------------------------------------------------------------------------


def _source_files(folder: Path, total_bytes: int) -> list[Path]:
    """Distinct JPEG files adding up to ``total_bytes``: cached 12 MP JPEGs, each copy made unique by a few
    bytes after the JPEG end marker (decoders ignore them; the store and the ZIP see different files)."""
    base = generated_jpegs(12)
    folder.mkdir(parents=True, exist_ok=True)
    files, size, i = [], 0, 0
    while size < total_bytes:
        source = base[i % len(base)]
        target = folder / f"P-{i:05d}_1.jpg"
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.write(f"\n{i}\n".encode())
        size += target.stat().st_size
        files.append(target)
        i += 1
    return files


def _instance(root: Path, files: list[Path]) -> Path:
    """An instance with one released asset per file, each linked to its own product."""
    from models import Asset, AssetProduct, AssetVersion, Product
    from portal.jobs.bootstrap import build_runtime
    from portal.settings import Settings

    instance = root / "instance"
    rt = build_runtime(
        Settings(instance_dir=instance, secret_key="bench", jobs_eager=True), start_workers=False
    )
    rt.db.upgrade()
    try:
        with rt.db.transaction() as session:
            for path in files:
                blob = rt.blobs.put_file(path)
                number = path.stem.rsplit("_", 1)[0]
                session.add(Product(article_number=number, name=f"Bench {number}"))
                asset = Asset(
                    title=number, original_filename=path.name, media_kind="image", status="approved"
                )
                asset.visibility = "partner"
                session.add(asset)
                session.flush()
                version = AssetVersion(
                    asset_id=asset.id, number=1, sha256=blob.sha256, size_bytes=blob.size,
                    original_filename=path.name, mime_type="image/jpeg", format="JPEG",
                )  # fmt: skip
                session.add(version)
                session.flush()
                asset.current_version_id = asset.approved_version_id = version.id
                session.add(AssetProduct(asset_id=asset.id, article_number=number, source="filename"))
        return instance
    finally:
        rt.close()


def _make_package(instance: Path, numbers: list[str]) -> int:
    from models import Role
    from portal.jobs.bootstrap import build_runtime
    from portal.services.distribution import packages
    from portal.services.governance.policy import Viewer
    from portal.settings import Settings

    rt = build_runtime(
        Settings(instance_dir=instance, secret_key="bench", jobs_eager=True), start_workers=False
    )
    try:
        with rt.db.transaction() as session:
            return packages.create_package(
                session, Viewer(None, Role.ADMIN), lines=numbers, presets=["original"], enqueue=False
            ).id
    finally:
        rt.close()


def _run_child(instance: Path, package_id: int) -> tuple[float, float]:
    """Build a package in a fresh process; (build seconds, peak RSS in MB) of that process."""
    timing = instance.parent / f"build-{package_id}.txt"
    command = [sys.executable, "-m", "bench.distribution", "child", str(instance), str(package_id)]
    subprocess.run(command, cwd=Path(__file__).parent.parent, check=True)
    # The build time inside the worker process (workers are long-running: interpreter start-up excluded)
    # and the child's own high-water mark. Not wait4's ru_maxrss: Linux carries the parent's peak across
    # fork and exec into it, so after a large benchmark every child would report the parent's size.
    seconds, peak_kb = timing.read_text().split()
    return float(seconds), float(peak_kb) / 1024


def _peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM) in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(instance: str, package_id: str) -> None:
    from portal.jobs.bootstrap import build_runtime
    from portal.services.distribution import packages
    from portal.settings import Settings

    settings = Settings(instance_dir=Path(instance), secret_key="bench", jobs_eager=True)
    rt = build_runtime(settings, start_workers=False)
    try:
        started = time.perf_counter()
        status = packages.build(rt, int(package_id))
        seconds = time.perf_counter() - started
        (Path(instance).parent / f"build-{package_id}.txt").write_text(f"{seconds} {_peak_rss_kb()}")
        if status != "done":
            sys.exit(1)
    finally:
        rt.close()


def _zip_reference(root: Path) -> float:
    """Seconds for ``zip -0 -r`` of the source folder, plus an fsync of the archive: ours is fsynced
    before it is offered for download, so both are timed until the bytes are on disk."""
    target = root / "ref.zip"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(["zip", "-0", "-r", "-q", str(target), "src"], cwd=root, check=True)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - started


def package_bench(small_bytes: int, large_bytes: int) -> list[dict[str, Any]]:
    """ZIP throughput against ``zip -0 -r`` on the same files, and peak memory of both package sizes."""
    with tempfile.TemporaryDirectory(prefix="assetport-bench-zip-") as tmp:
        root = Path(tmp)
        files = _source_files(root / "src", large_bytes)
        instance = _instance(root, files)
        numbers = [p.stem.rsplit("_", 1)[0] for p in files]
        small_count, acc = 0, 0
        while acc < small_bytes:
            acc += files[small_count].stat().st_size
            small_count += 1
        rows: list[dict[str, Any]] = []
        zip_seconds = float("inf")
        for label, count in (("small", small_count), ("large", len(files))):
            seconds, rss = float("inf"), 0.0
            # The large package alternates with zip, best of three each: the page cache and the disk
            # are shared with everything else on the machine.
            for _ in range(3 if label == "large" else 1):
                package_id = _make_package(instance, numbers[:count])
                took, peak = _run_child(instance, package_id)
                seconds, rss = min(seconds, took), max(rss, peak)
                for built in (instance / "packages").glob("*"):
                    built.unlink()  # a gigabyte each: keep the disk (and its cache) for the next round
                if label == "large":
                    zip_seconds = min(zip_seconds, _zip_reference(root))
            size = sum(f.stat().st_size for f in files[:count])
            rows.append(
                {
                    "package": label,
                    "files": count,
                    "mb": round(size / MB),
                    "seconds": round(seconds, 2),
                    "mb_per_s": round(size / MB / seconds, 1),
                    "peak_rss_mb": round(rss, 1),
                }
            )
    large, small = rows[1], rows[0]
    return [
        {
            "scenario": f"ZIP of {large['mb']} MB JPEGs (stored; both fsynced; best of 3)",
            "ours_mb_per_s": large["mb_per_s"],
            "zip_mb_per_s": round(large["mb"] / zip_seconds, 1),
            "throughput_ratio": round(zip_seconds / large["seconds"], 2),
            "target": ">= 0.8",
        },
        {
            "scenario": f"peak RSS {small['mb']} MB vs {large['mb']} MB package",
            "ours_mb_per_s": small["mb_per_s"],
            "zip_mb_per_s": f"{small['peak_rss_mb']} MB vs {large['peak_rss_mb']} MB",
            "throughput_ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 2),
            "target": "< 1.5 (memory ratio)",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run every distribution benchmark, print the tables and write ``bench/results/distribution.json``."""
    rendition = rendition_bench(4 if quick else 12)
    print_table("Web-preset renditions vs vipsthumbnail (12 MP JPEG, one thread each)", [rendition])
    sizes = (20 * MB, 200 * MB) if quick else (100 * MB, 1000 * MB)
    zip_rows = package_bench(*sizes)
    print_table("Packages: streamed ZIP vs zip -0 -r, and peak memory (separate processes)", zip_rows)
    rows = [rendition, *zip_rows]
    print(f"results: {write_results('distribution', rows, quick=quick)}")
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        _child(sys.argv[2], sys.argv[3])
    else:
        run(quick="--quick" in sys.argv)
