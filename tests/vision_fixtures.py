"""A tiny random CLIP for tests: registered with open_clip under its own name, weights written to a file.

``tiny_clip_overrides(folder)`` returns settings overrides (``vision_model="clip"``, the model name and the
checkpoint path); the weights are deterministic (fixed seed), so the same folder gives the same model id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# First on purpose: makes torchvision importable before open_clip pulls it in.
from tagging import compat  # noqa: F401

# isort: split
import open_clip
import torch

TINY_CLIP = "assetport-tiny-clip"
TINY_CONFIG: dict[str, Any] = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def register_tiny_clip(folder: Path) -> None:
    """Make ``TINY_CLIP`` known to open_clip (idempotent)."""
    if open_clip.get_model_config(TINY_CLIP):
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(path)


def build_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """Write the tiny model's random weights (fixed seed) to ``folder`` and return the checkpoint path."""
    register_tiny_clip(folder)
    path = folder / f"tiny-clip-{seed}.pt"
    if not path.exists():
        torch.manual_seed(seed)
        model = open_clip.create_model(TINY_CLIP, pretrained=None)
        torch.save(model.state_dict(), path)
    return path


def tiny_clip_overrides(folder: Path, seed: int = 0) -> dict[str, Any]:
    """Settings overrides that make the portal use the tiny CLIP."""
    return {
        "vision_model": "clip",
        "clip_model": TINY_CLIP,
        "clip_pretrained": str(build_tiny_clip(folder, seed)),
        # The tiny CLIP's random weights give any text a high score: the explicit vision features are tested
        # here, meaning search (on by default with a vision model) in tests/integration/test_meaning_*.py.
        "search_meaning": "off",
    }


def picture(path: Path, kind: str, size: tuple[int, int] = (240, 180)) -> Path:
    """Write a small test picture: ``red`` (solid with a square), ``rect`` (green rectangle on white),
    ``noise`` (random pixels, fixed seed). The suffix picks the format."""
    import numpy as np
    from PIL import Image, ImageDraw

    if kind == "noise":
        rng = np.random.default_rng(7)
        img = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    else:
        img = Image.new("RGB", size, "red" if kind == "red" else "white")
        draw = ImageDraw.Draw(img)
        w, h = size
        box = [w // 10, h // 8, w * 6 // 10, h * 6 // 8]
        draw.rectangle(box, fill="yellow" if kind == "red" else "green")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
