"""CLIP through open-clip-torch: images and texts into one unit-vector space.

Weights come from a hub tag (downloaded once into ``cache_dir`` where a network allows, afterwards read
from that cache) or from a local checkpoint file. Loading is lazy and locked; preprocessing (PIL -> tensor,
the model's own transform) is separate from the batched forward pass, so callers may prepare images on
other threads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import socket
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# First on purpose: compat makes torchvision importable before open_clip pulls it in.
from tagging import compat

# isort: split
import numpy as np
import open_clip
import torch
from PIL import Image

from tagging import ort
from tagging.base import ModelUnavailable, Vectors, chunks, flatten_rgb, normalize_rows

log = logging.getLogger(__name__)

_WEIGHT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".ckpt")
_HF_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


class ClipEmbedder:
    """An ``Embedder`` over an open_clip model (``model_name`` e.g. ``ViT-B-32``; ``pretrained`` a hub tag
    such as ``laion2b_s34b_b79k`` or a checkpoint path). ``load()`` raises ``ModelUnavailable``."""

    supports_text = True

    def __init__(
        self,
        model_name: str,
        pretrained: str,
        threads: int = 0,
        cache_dir: str | None = None,
        runtime: str = "onnx",
    ) -> None:
        self.model_name = model_name
        self.runtime = runtime
        self._image_graph: ort.OrtGraph | None = None
        self._text_graph: ort.OrtGraph | None = None
        self.pretrained = pretrained
        self.threads = threads
        self.cache_dir = cache_dir
        self.batch_size = 32
        self.selection_note = ""
        self._lock = threading.Lock()
        self._model: Any = None
        self._preprocess: Callable[[Image.Image], torch.Tensor] | None = None
        self._tokenizer: Callable[[list[str]], torch.Tensor] | None = None
        self._weights_id: str | None = None
        self._dim: int | None = None

    # -- identity -------------------------------------------------------------------------------------
    @property
    def is_local_file(self) -> bool:
        """True when ``pretrained`` names a checkpoint file rather than a hub tag."""
        return _looks_like_path(self.pretrained)

    @property
    def model_id(self) -> str:
        """``clip:<model>:<tag>`` or, for a local file, ``clip:<model>:<sha256 of the file, 12 hex>``."""
        if self._weights_id is None:
            self._weights_id = _file_sha12(self.pretrained) if self.is_local_file else self.pretrained
        return f"clip:{self.model_name}:{self._weights_id}"

    @property
    def dim(self) -> int:
        """The joint embedding width (from the model config, without loading weights)."""
        if self._dim is None:
            cfg = open_clip.get_model_config(self.model_name)
            if not cfg:
                raise ModelUnavailable(f"unknown CLIP model {self.model_name!r}")
            self._dim = int(cfg["embed_dim"])
        return self._dim

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._model is not None

    # -- loading --------------------------------------------------------------------------------------
    def load(self) -> ClipEmbedder:
        """Load model, transform and tokenizer once (thread-safe); raises ``ModelUnavailable``."""
        if self._model is not None:
            return self
        with self._lock:
            if self._model is None:
                self._load_locked()
        return self

    def _load_locked(self) -> None:
        if not open_clip.get_model_config(self.model_name):
            raise ModelUnavailable(f"unknown CLIP model {self.model_name!r}")
        weights, extra = self._resolve_weights()
        compat.bound_threads(self.threads)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                self.model_name, pretrained=weights, cache_dir=self.cache_dir, **extra
            )
            tokenizer = open_clip.get_tokenizer(self.model_name, cache_dir=self.cache_dir)
        except (RuntimeError, OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as exc:
            # a corrupt or foreign checkpoint surfaces as any of these from torch.load / load_state_dict
            raise ModelUnavailable(f"CLIP {self.model_name} weights {self.pretrained!r}: {exc}") from exc
        model.eval()
        if self.runtime == "onnx":
            self._image_graph, self._text_graph = self._onnx_graphs(model, weights, tokenizer)
        self._preprocess, self._tokenizer, self._model = preprocess, tokenizer, model
        log.info(
            "loaded CLIP %s (%s) on %s, %d threads",
            self.model_name,
            self.model_id,
            self.inference_runtime,
            torch.get_num_threads(),
        )

    @property
    def inference_runtime(self) -> str:
        """``onnx`` when the image tower runs in ONNX Runtime, else ``torch``."""
        return "onnx" if self._image_graph is not None else "torch"

    def _onnx_graphs(
        self, model: Any, weights: str, tokenizer: Callable[[list[str]], torch.Tensor]
    ) -> tuple[ort.OrtGraph | None, ort.OrtGraph | None]:
        """Both towers exported (once, cached by model id and weights hash) and opened in ONNX Runtime;
        (None, None) keeps torch."""
        size = model.visual.image_size
        height, width = (size, size) if isinstance(size, int) else size
        towers = (
            ("image", _Tower(model, "encode_image"), (torch.zeros(2, 3, height, width),)),
            ("text", _Tower(model, "encode_text"), (tokenizer(["a photo", "two"]),)),
        )
        graphs: list[ort.OrtGraph] = []
        try:
            for part, tower, example in towers:
                graphs.append(
                    ort.prepare_graph(
                        weights=weights,
                        cache_dir=self.cache_dir,
                        model_id=self.model_id,
                        part=part,
                        build=lambda path, t=tower, e=example, p=part: ort.export_once(  # type: ignore[misc]
                            path, t, e, [p], ["embedding"]
                        ),
                        threads=self.threads,
                    )
                )
        except ort.OrtUnavailable as exc:
            log.warning("CLIP: ONNX Runtime unavailable (%s); running on torch", exc)
            return None, None
        finally:
            model.eval()
        return graphs[0], graphs[1]

    def _resolve_weights(self) -> tuple[str, dict[str, Any]]:
        """A local path to the weights plus the tag's preprocessing options; never waits on a dead network."""
        if self.is_local_file:
            if not Path(self.pretrained).is_file():
                raise ModelUnavailable(f"CLIP checkpoint {self.pretrained} does not exist")
            return self.pretrained, {}
        cfg = open_clip.get_pretrained_cfg(self.model_name, self.pretrained)
        if not cfg:
            known = ", ".join(open_clip.list_pretrained_tags_by_model(self.model_name)) or "none"
            raise ModelUnavailable(
                f"unknown pretrained tag {self.pretrained!r} for CLIP {self.model_name} (known: {known})"
            )
        return self._fetch(cfg), _preprocess_options(cfg)

    def _fetch(self, cfg: dict[str, Any]) -> str:
        cached = _cached_weights(cfg, self.cache_dir)
        if cached:
            return cached
        # huggingface_hub retries a dead connection for a minute; probe first so ``auto`` falls back fast.
        if not _hub_reachable():
            raise ModelUnavailable(
                f"CLIP weights {self.model_name}/{self.pretrained} are not cached and the hub is unreachable"
            )
        try:
            path = open_clip.download_pretrained(cfg, cache_dir=self.cache_dir)
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelUnavailable(f"downloading CLIP weights {self.pretrained!r} failed: {exc}") from exc
        if not path:
            raise ModelUnavailable(f"no download source for CLIP weights {self.pretrained!r}")
        return str(path)

    # -- inference ------------------------------------------------------------------------------------
    def preprocess(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """The model's own transform applied to each image (transparency flattened onto white), stacked."""
        self.load()
        assert self._preprocess is not None
        return torch.stack([self._preprocess(flatten_rgb(img)) for img in images])

    def embed_tensor(self, batch: torch.Tensor) -> Vectors:
        """Unit image vectors for an already preprocessed batch (one forward pass)."""
        self.load()
        if self._image_graph is not None:
            return normalize_rows(self._image_graph.run({"image": batch.float().numpy()})[0])
        with torch.inference_mode():
            features = self._model.encode_image(batch)
        return normalize_rows(features.float().numpy())

    def embed_images(self, images: Sequence[Image.Image]) -> Vectors:
        """One unit vector per image, computed in batches of ``batch_size``."""
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self.embed_tensor(self.preprocess(part)) for part in chunks(images, self.batch_size)]
        return np.concatenate(parts)

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text through the model's tokenizer and text tower."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        assert self._tokenizer is not None
        parts = []
        for part in chunks(list(texts), self.batch_size * 4):
            tokens = self._tokenizer(list(part))
            if self._text_graph is not None:
                parts.append(self._text_graph.run({"text": tokens.numpy()})[0].astype(np.float32))
                continue
            with torch.inference_mode():
                parts.append(self._model.encode_text(tokens).float().numpy())
        return normalize_rows(np.concatenate(parts))

    @property
    def logit_scale(self) -> float:
        """CLIP's learned temperature (``exp(logit_scale)``, 100 for trained models)."""
        self.load()
        return float(self._model.logit_scale.exp().item())

    def describe(self) -> str:
        """One line for the admin page."""
        return (
            f"CLIP {self.model_name} ({self.model_id}), {self.dim}-d, text search enabled, "
            f"runs on {self.inference_runtime}"
        )


class _Tower(torch.nn.Module):
    """One of CLIP's towers (``encode_image`` or ``encode_text``) as a module, for the export."""

    def __init__(self, model: Any, method: str) -> None:
        super().__init__()
        self.model = model
        self.method = method

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The tower's unnormalised embedding."""
        out: torch.Tensor = getattr(self.model, self.method)(x)
        return out


def _looks_like_path(value: str) -> bool:
    return os.sep in value or "/" in value or value.lower().endswith(_WEIGHT_SUFFIXES)


@cache
def _file_sha12(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ModelUnavailable(f"CLIP checkpoint {path} cannot be read: {exc}") from exc
    return digest.hexdigest()[:12]


def _preprocess_options(cfg: dict[str, Any]) -> dict[str, Any]:
    """A tag's own preprocessing and activation settings, which a plain path would lose."""
    options: dict[str, Any] = {"force_quick_gelu": bool(cfg.get("quick_gelu", False))}
    for key, arg in (
        ("mean", "image_mean"),
        ("std", "image_std"),
        ("interpolation", "image_interpolation"),
        ("resize_mode", "image_resize_mode"),
    ):
        if cfg.get(key) is not None:
            options[arg] = cfg[key]
    return options


def _cached_weights(cfg: dict[str, Any], cache_dir: str | None) -> str | None:
    """The already downloaded weights file for a pretrained config, or None."""
    if cfg.get("file"):
        return str(cfg["file"])
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub.rstrip("/"), "")
        candidates = [filename] if filename else list(_HF_FILES)
        if filename.endswith((".bin", ".pth")):
            candidates.insert(0, filename[:-4] + ".safetensors")
        for name in candidates:
            found = try_to_load_from_cache(repo, name, cache_dir=cache_dir)
            if isinstance(found, str):
                return found
        return None
    url = cfg.get("url", "")
    if url:
        target = Path(cache_dir or os.path.expanduser("~/.cache/clip")) / os.path.basename(url)
        return str(target) if target.is_file() else None
    return None


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False
