"""Ingest throughput: the whole pipeline (hash, probe, store, rows, links, thumbnails and previews).

The foundation rows run with the vision model off, as that issue defines the pipeline; one more row runs
the same files with the packaged vision model on, whose embedding and tagging jobs then share the cores
(the vision benchmark measures those jobs on their own). Both 12 MP runs report CPU time per image and
per-stage timings (``bench.stages``), which a machine shared with other work disturbs less than images/s.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from bench.common import CACHE, fresh_runtime
from bench.stages import StageClock, patched, process_cpu
from portal.services.catalog.ingest import collect_files, ingest_paths
from portal.services.catalog.products import import_products
from portal.services.vision.model import embedder

DEMO = Path(__file__).parent.parent / "portal" / "demo" / "catalog"
TWELVE_MP = (4000, 3000)
# Other 12 MP JPEGs ingested (untimed) before each timed 12 MP run: see ``run_ingest``.
WARM_UP = 16


def generated_jpegs(count: int = 200, size: tuple[int, int] = TWELVE_MP) -> list[Path]:
    """Deterministic photo-like 12-megapixel JPEGs (smooth shading, shapes, fine grain), cached on disk."""
    folder = CACHE / f"jpeg-{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"bench_{i:04d}.jpg" for i in range(count)]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(
            f"generating {len(missing)} test JPEGs of {size[0]}x{size[1]} (cached in {folder}) ...",
            file=sys.stderr,
        )
        base = _base_texture(size)
        for path in missing:
            _make_jpeg(base, int(path.stem.split("_")[1]), path)
    return paths


def _base_texture(size: tuple[int, int]) -> Image.Image:
    rng = random.Random(12)
    small = Image.new("RGB", (40, 30))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(40 * 30)])
    shading = small.resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, 18).convert("RGB")
    return Image.blend(shading, grain, 0.12)


def _make_jpeg(base: Image.Image, seed: int, path: Path) -> None:
    rng = random.Random(seed)
    img = base.rotate(rng.choice([0, 180]))
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(12):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(80, 900)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(
            (x - r, y - r // 2, x + r, y + r // 2), fill=colour
        )
    img = img.filter(ImageFilter.SMOOTH)
    tmp = path.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=90, dpi=(300, 300))
    tmp.replace(path)


# Stage -> the function whose calls make it (wrapped while an ingest runs; see ``bench.stages``).
STAGES = {
    "decode (ingest: verify + preview base)": "portal.services.catalog.ingest:probe_with_base",
    "preview (encode thumb + preview)": "portal.jobs.previews:render_from_base",
    "preview (decode again: seed missed)": "portal.jobs.previews:_render_file",
    "vision: input (frame hand-off / decode)": "portal.services.vision.pipeline:decode_image",
    "vision: preprocess (resize, pixel stats)": "tagging.autotag:Tagger.prepare",
    "vision: forward + tag scores": "tagging.autotag:Tagger.analyze_prepared",
    "vision: dup lookup": "portal.services.vision.duplicates:nearest_older",
    "vision: dup lookup + DB writes": "portal.services.vision.pipeline:_store",
    "index sync (all jobs)": "portal.jobs.search:sync_assets",
}


def run_ingest(
    files: list[Path],
    *,
    with_products: bool = False,
    vision: str = "off",
    stages: StageClock | None = None,
    warm_up: list[Path] | None = None,
) -> dict[str, Any]:
    """Ingest files into a fresh embedded instance; time until every job (previews, index sync and, with
    vision on, embedding and tagging) is done. The model is loaded before timing (a server loads it once
    at start-up). ``cpu_ms_per_image`` is the process's CPU time (every thread) per image: less
    sensitive to other load on the machine than images/s.

    ``warm_up``: other files ingested first, untimed, into an instance of their own, so the timed run
    sees a process that has ingested before (text model loaded, ONNX Runtime's buffers and SQLAlchemy's
    statement caches filled), as a server does after its first uploads: a bulk import's pace."""
    if warm_up:
        with fresh_runtime(vision_model=vision) as rt:
            ingest_paths(rt, warm_up)
            rt.queue.join()
    with fresh_runtime(vision_model=vision) as rt:
        if vision != "off":
            embedder(rt.settings)
        if with_products:
            import_products(rt.db, DEMO / "products.csv")
        with patched(stages or StageClock(), STAGES if stages is not None else {}):
            cpu, started = process_cpu(), time.perf_counter()
            results = ingest_paths(rt, files)
            stored = time.perf_counter()
            rt.queue.join()
            done = time.perf_counter()
            cpu = process_cpu() - cpu
    ok = sum(1 for r in results if r.ok)
    total = done - started
    return {
        "files": len(files),
        "ingested": ok,
        "seconds": round(total, 2),
        "images_per_s": round(ok / total, 2),
        "cpu_ms_per_image": round(1000 * cpu / max(1, ok), 1),
        "store_phase_s": round(stored - started, 2),
        "preview_tail_s": round(done - stored, 2),
        "mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
    }


def stage_rows(clock: StageClock, images: int) -> list[dict[str, Any]]:
    """The clock's rows with the DB writes split from the duplicate lookup they include."""
    rows = {row["stage"]: row for row in clock.rows(images)}
    both, dup = rows.pop("vision: dup lookup + DB writes", None), rows.get("vision: dup lookup")
    if both is not None:
        rows["vision: DB writes"] = {
            **both,
            "stage": "vision: DB writes",
            **{
                k: round(both[k] - (dup[k] if dup else 0), 2 if k == "busy_s" else 1)
                for k in ("busy_s", "wall_ms_per_image", "thread_cpu_ms_per_image")
            },
        }
    order = [name if "+ DB" not in name else "vision: DB writes" for name in STAGES]
    return [rows[name] for name in order if name in rows]


def vision_pair(count: int = 200) -> dict[str, Any]:
    """The same 12 MP JPEGs ingested with vision off and on in one run (each after a warm-up ingest of
    ``WARM_UP`` other JPEGs), with per-stage timings of both."""
    both = generated_jpegs(count + WARM_UP)
    jpegs, warm = both[:count], both[count:]
    off_clock, on_clock = StageClock(), StageClock()
    off = run_ingest(jpegs, stages=off_clock, warm_up=warm)
    on = run_ingest(jpegs, vision="packaged", stages=on_clock, warm_up=warm)
    rows = [
        {"scenario": f"{count} x 12 MP JPEG, vision off", **off, "target_per_s": 15},
        {"scenario": f"{count} x 12 MP JPEG, vision on (packaged)", **on, "target_per_s": 15},
    ]
    ratio = {
        "on_vs_off_images_per_s": round(on["images_per_s"] / off["images_per_s"], 2),
        "vision_cpu_ms_per_image": round(on["cpu_ms_per_image"] - off["cpu_ms_per_image"], 1),
        # What the CPU time allows on this machine's cores if nothing else ran on them.
        "on_cpu_bound_images_per_s": round(
            1000 * (os.cpu_count() or 1) / max(1.0, on["cpu_ms_per_image"]), 1
        ),
    }
    return {
        "rows": rows,
        "ratio": ratio,
        "stages_off": stage_rows(off_clock, count),
        "stages_on": stage_rows(on_clock, count),
    }


def bench(count: int = 200) -> dict[str, Any]:
    """Both ingest scenarios of the foundation issue, and the 12 MP JPEGs again with vision on."""
    demo = run_ingest(collect_files([DEMO / "images"]), with_products=True)
    pair = vision_pair(count)
    pair["rows"].insert(0, {"scenario": "demo catalogue PNGs", **demo, "target_per_s": "-"})
    return pair
