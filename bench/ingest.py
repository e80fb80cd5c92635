"""Ingest throughput: the whole pipeline (hash, probe, store, rows, links, thumbnails and previews).

The foundation rows run with the vision model off, as that issue defines the pipeline; one more row runs
the same files with the packaged vision model on, whose embedding and tagging jobs then share the cores
(the vision benchmark measures those jobs on their own).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from bench.common import CACHE, fresh_runtime
from portal.services.catalog.ingest import collect_files, ingest_paths
from portal.services.catalog.products import import_products

DEMO = Path(__file__).parent.parent / "portal" / "demo" / "catalog"
TWELVE_MP = (4000, 3000)


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


def run_ingest(files: list[Path], *, with_products: bool = False, vision: str = "off") -> dict[str, Any]:
    """Ingest files into a fresh embedded instance; time until every job (previews, index sync and, with
    vision on, embedding and tagging) is done."""
    with fresh_runtime(vision_model=vision) as rt:
        if with_products:
            import_products(rt.db, DEMO / "products.csv")
        started = time.perf_counter()
        results = ingest_paths(rt, files)
        stored = time.perf_counter()
        rt.queue.join()
        done = time.perf_counter()
    ok = sum(1 for r in results if r.ok)
    total = done - started
    return {
        "files": len(files),
        "ingested": ok,
        "seconds": round(total, 2),
        "images_per_s": round(ok / total, 2),
        "store_phase_s": round(stored - started, 2),
        "preview_tail_s": round(done - stored, 2),
        "mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
    }


def bench(count: int = 200) -> list[dict[str, Any]]:
    """Both ingest scenarios of the foundation issue."""
    demo = run_ingest(collect_files([DEMO / "images"]), with_products=True)
    jpegs = generated_jpegs(count)
    big = run_ingest(jpegs)
    tagged = run_ingest(jpegs, vision="packaged")
    return [
        {"scenario": "demo catalogue PNGs", **demo, "target_per_s": "-"},
        {"scenario": f"{count} x 12 MP JPEG", **big, "target_per_s": 15},
        {"scenario": f"{count} x 12 MP JPEG, vision on", **tagged, "target_per_s": 15},
    ]
