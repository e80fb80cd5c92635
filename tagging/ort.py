"""ONNX Runtime inference for the vision models (the packaged EfficientNet-Lite0, CLIP's image and text
towers): each graph is exported once from the loaded torch weights and cached on disk, keyed by model id
and a hash of the weights file (and this module's export recipe), so a new checkpoint or model gets a new
file; later loads only open an ONNX Runtime session on it. torch stays for the export and as the fallback
when ONNX Runtime is missing or the export fails.

Sessions run with ``intra_op_num_threads`` bounded like torch's pool (``ASSETPORT_VISION_THREADS``, else
the CPU count capped at 8), one inter-op thread and no spin-waiting (``open_session``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

RUNTIMES = ("onnx", "torch")
# Part of every cache key: bump when the export recipe (wrappers, opset, axes) changes.
EXPORT_RECIPE = "r1"
OPSET = 17
_export_lock = threading.Lock()


class OrtUnavailable(RuntimeError):
    """ONNX Runtime is not installed, or the graph could not be exported or opened."""


def thread_count(threads: int = 0) -> int:
    """``threads`` when > 0, else the CPU count capped at 8 (the rule torch's pool follows too)."""
    return threads if threads > 0 else max(1, min(os.cpu_count() or 1, 8))


def weights_hash(path: str | Path) -> str:
    """16 hex digits of the SHA-256 of a weights file (remembered per path, size and mtime)."""
    stat = Path(path).stat()
    return _file_hash(str(path), stat.st_size, stat.st_mtime_ns)


@cache
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def cache_folder(weights: str | Path, cache_dir: str | None = None) -> Path:
    """Where exported graphs live: an ``onnx`` folder next to the weights file (shared by every instance
    using those weights), else ``<cache_dir>/onnx``, else ``~/.cache/assetport/onnx`` (the first that
    can be written)."""
    candidates = [Path(weights).resolve().parent / "onnx"]
    candidates += [Path(cache_dir) / "onnx"] if cache_dir else []
    candidates.append(Path.home() / ".cache" / "assetport" / "onnx")
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise OrtUnavailable("no writable folder for exported ONNX graphs")


def graph_path(folder: Path, model_id: str, part: str, weights: str) -> Path:
    """The cache file of one graph: model id, part (``image``/``text``), weights hash and recipe."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:80]
    return folder / f"{slug}.{part}.{weights}.{EXPORT_RECIPE}.onnx"


def export_once(
    path: Path,
    module: Any,
    example: tuple[Any, ...],
    inputs: Sequence[str],
    outputs: Sequence[str],
    axes: Mapping[str, Mapping[int, str]] | None = None,
) -> Path:
    """Export ``module`` (eval mode) to ``path`` unless it exists: the legacy TorchScript exporter with a
    dynamic batch axis (or the dynamic ``axes`` given per input/output name), written to a temporary file
    and renamed, so readers never see half a graph."""
    if path.exists():
        return path
    with _export_lock:
        if path.exists():
            return path
        import torch

        dynamic = {name: dict(axes[name]) for name in axes} if axes is not None else None
        dynamic = dynamic or {name: {0: "batch"} for name in (*inputs, *outputs)}
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        os.close(fd)
        was_training = bool(getattr(module, "training", False))
        try:
            module.eval()
            # Grad mode on: under no_grad, nn.MultiheadAttention takes a fused fast path (CLIP's towers)
            # that has no ONNX export.
            with torch.enable_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the legacy exporter's deprecation notices
                torch.onnx.export(
                    module,
                    example,
                    tmp,
                    dynamo=False,
                    input_names=list(inputs),
                    output_names=list(outputs),
                    dynamic_axes=dynamic,
                    opset_version=OPSET,
                )
            os.replace(tmp, path)
        except Exception as exc:  # the exporter raises many kinds; every one means "use torch"
            raise OrtUnavailable(f"exporting {path.name} failed: {exc}") from exc
        finally:
            module.train(was_training)  # the exporter leaves the module in its own mode
            if os.path.exists(tmp):
                os.unlink(tmp)
        log.info("exported ONNX graph %s", path)
    return path


class OrtGraph:
    """One exported graph in an ONNX Runtime CPU session (opened lazily under a lock, thread-safe)."""

    def __init__(self, path: Path, threads: int = 0) -> None:
        self.path = path
        self.threads = thread_count(threads)
        self._lock = threading.Lock()
        self._session: Any = None

    def session(self) -> Any:
        """The ONNX Runtime session, opened on first use; raises ``OrtUnavailable``."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = open_session(self.path, self.threads)
        return self._session

    def run(self, feeds: Mapping[str, NDArray[Any]]) -> list[NDArray[np.float32]]:
        """All outputs of one forward pass, as numpy arrays."""
        return [np.asarray(out) for out in self.session().run(None, dict(feeds))]


def open_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session on ``path`` with ``threads`` intra-op threads and full graph
    optimisation; raises ``OrtUnavailable`` when ONNX Runtime is missing or rejects the file."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise OrtUnavailable("onnxruntime is not installed") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = thread_count(threads)
    options.inter_op_num_threads = 1
    # No busy-waiting between operators: on a machine whose cores are shared with ingest (decode, previews)
    # and other processes, spinning pool threads burn CPU the rest of the pipeline needs; measured on the
    # packaged model at batch 32 with 2 threads, 60 -> 44 CPU ms per image at better throughput.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for corrupt graphs
        raise OrtUnavailable(f"ONNX Runtime cannot open {path.name}: {exc}") from exc


def prepare_graph(
    *,
    weights: str | Path,
    cache_dir: str | None,
    model_id: str,
    part: str,
    build: Callable[[Path], Path],
    threads: int,
) -> OrtGraph:
    """Export (once) and open the graph of ``part``; ``build(path)`` exports it to ``path``. Raises
    ``OrtUnavailable`` (the caller keeps torch)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise OrtUnavailable("onnxruntime is not installed") from exc
    try:
        digest = weights_hash(weights)
    except OSError as exc:
        raise OrtUnavailable(f"cannot hash weights {weights}: {exc}") from exc
    path = graph_path(cache_folder(weights, cache_dir), model_id, part, digest)
    try:
        graph = OrtGraph(build(path), threads)
        graph.session()
    except OrtUnavailable:
        if not path.exists():
            raise
        log.warning("cached ONNX graph %s cannot be opened; exporting it again", path)
        path.unlink(missing_ok=True)
        graph = OrtGraph(build(path), threads)
        graph.session()
    return graph


def softmax(logits: NDArray[np.float32]) -> NDArray[np.float32]:
    """Row-wise softmax in float32."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True), dtype=np.float32)
