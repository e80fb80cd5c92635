"""The one interface every vision model implements, and the configuration that picks one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Vectors = NDArray[np.float32]
T = TypeVar("T")


@runtime_checkable
class Embedder(Protocol):
    """Turns images (and, when supported, texts) into unit vectors of one fixed dimension.

    ``model_id`` names model and weights (e.g. ``clip:ViT-B-32:laion2b_s34b_b79k`` or
    ``packaged:efficientnet-lite0``); stored vectors carry it, so a model switch is detectable.
    """

    @property
    def model_id(self) -> str:
        """Stable identifier of model and weights."""
        ...

    @property
    def dim(self) -> int:
        """Length of every vector."""
        ...

    @property
    def supports_text(self) -> bool:
        """True when ``embed_texts`` maps text into the image vector space (CLIP does)."""
        ...

    def embed_images(self, images: Sequence[Image.Image]) -> Vectors:
        """One L2-normalised float32 row per image (shape ``(len(images), dim)``)."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text; raises ``TextNotSupported`` when not supported."""
        ...


class TextNotSupported(RuntimeError):
    """The model does not embed text into its image space."""


class ModelUnavailable(RuntimeError):
    """The model or its weights cannot be loaded (unknown name or tag, missing file, no network and not
    cached, corrupt checkpoint). ``load_embedder`` catches it to fall back to the packaged model."""


def flatten_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """The image as RGB with any transparency composited onto ``background`` (white), so a cut-out product
    on transparency and the same product on white look alike to every model."""
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "RGBa"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` cut into consecutive slices of at most ``size``."""
    size = max(1, size)
    return [items[i : i + size] for i in range(0, len(items), size)]


def normalize_rows(matrix: NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    m = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


@dataclass(frozen=True)
class VisionConfig:
    """Which model to load: ``kind`` is ``auto|clip|packaged|off``; CLIP's model name and pretrained tag
    or local checkpoint path; a thread bound for torch and ONNX Runtime; a cache folder for downloaded
    weights (and exported ONNX graphs); ``runtime`` ``onnx`` (default, torch as fallback) or ``torch``."""

    kind: str = "auto"
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    threads: int = 0
    cache_dir: str | None = None
    runtime: str = "onnx"
