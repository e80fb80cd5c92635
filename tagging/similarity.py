"""Vector similarity helpers: cosine top-k, near-duplicate thresholds and duplicate clusters."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from tagging.base import normalize_rows

K = TypeVar("K", bound=Hashable)

# Cosine above which two images count as near-duplicates, per model family. Calibrated on the demo
# catalogue (see tests/integration/test_vision_packaged.py): for the packaged model, re-encoded (JPEG q40,
# lowest 0.956), half-size (lowest 0.951) and mirrored copies of a picture score above 0.95, and so do
# only 4 of ~1,000 pairs of distinct demo pictures, all of different products (different article
# numbers, which are never flagged); other views of one product stay below (highest 0.947). CLIP's figure
# is the value commonly used for ViT-B image embeddings; recalibrate when real weights are available.
NEAR_DUPLICATE_THRESHOLDS = {"packaged": 0.95, "clip": 0.95}
DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.95


def near_duplicate_threshold(model_id: str) -> float:
    """The default near-duplicate cosine threshold for a model id such as ``packaged:efficientnet-lite0``."""
    family = model_id.split(":", 1)[0]
    return NEAR_DUPLICATE_THRESHOLDS.get(family, DEFAULT_NEAR_DUPLICATE_THRESHOLD)


def top_k(
    query: NDArray[np.floating], matrix: NDArray[np.floating], k: int, *, exclude: Sequence[int] = ()
) -> list[tuple[int, float]]:
    """The ``k`` rows of ``matrix`` most cosine-similar to ``query`` as ``(row, score)``, best first;
    ties broken by row number; rows in ``exclude`` are skipped. Rows need not be normalised."""
    if k <= 0 or len(matrix) == 0:
        return []
    q = normalize_rows(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
    scores = normalize_rows(matrix) @ q
    if exclude:
        scores[list(exclude)] = -np.inf
    k = min(k, len(scores))
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
    return [(int(i), float(scores[i])) for i in ranked if np.isfinite(scores[i])]


def pairs_above(
    matrix: NDArray[np.floating], threshold: float, *, block: int = 2048
) -> list[tuple[int, int, float]]:
    """Every pair ``(i, j, cosine)`` with ``i < j`` whose cosine is at least ``threshold``, computed in
    row blocks so memory stays bounded for large collections."""
    unit = normalize_rows(matrix)
    found: list[tuple[int, int, float]] = []
    for start in range(0, len(unit), block):
        sims = unit[start : start + block] @ unit.T
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if i < c:
                found.append((i, c, float(sims[r, c])))
    return found


def cluster_pairs(pairs: Iterable[tuple[K, K]]) -> list[list[K]]:
    """Connected components (union-find) of the given pairs, each sorted, largest cluster first."""
    parent: dict[K, K] = {}

    def find(x: K) -> K:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving keeps the trees flat
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    groups: dict[K, list[K]] = {}
    for item in parent:
        groups.setdefault(find(item), []).append(item)
    clusters = [sorted(g, key=_sort_key) for g in groups.values()]
    return sorted(clusters, key=lambda g: (-len(g), _sort_key(g[0])))


def near_duplicate_clusters(
    ids: Sequence[K], matrix: NDArray[np.floating], threshold: float
) -> list[list[K]]:
    """Clusters of ids (``ids[i]`` belongs to row ``i``) linked by cosine >= ``threshold``; singletons
    are left out."""
    if len(ids) != len(matrix):
        raise ValueError(f"{len(ids)} ids for {len(matrix)} vectors")
    return cluster_pairs((ids[i], ids[j]) for i, j, _ in pairs_above(matrix, threshold))


def _sort_key(item: object) -> tuple[int, float, str]:
    # Mixed id types sort deterministically: numbers by value first, everything else by text.
    if isinstance(item, int | float):
        return (0, float(item), "")
    return (1, 0.0, str(item))
