"""Similarity helpers: top-k, pairs, clusters, thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from tagging.similarity import (
    cluster_pairs,
    near_duplicate_clusters,
    near_duplicate_threshold,
    pairs_above,
    top_k,
)


def test_top_k_orders_by_cosine_with_stable_ties() -> None:
    matrix = np.array([[1, 0], [0, 1], [2, 0], [1, 1], [-1, 0]], dtype=np.float32)
    result = top_k(np.array([1.0, 0.0]), matrix, 3)
    assert [i for i, _ in result] == [0, 2, 3]  # rows 0 and 2 tie at 1.0: lower row first
    assert result[0][1] == pytest.approx(1.0) and result[2][1] == pytest.approx(np.sqrt(0.5))
    assert [i for i, _ in top_k(np.array([1.0, 0.0]), matrix, 2, exclude=[0])] == [2, 3]
    assert len(top_k(np.array([1.0, 0.0]), matrix, 50)) == 5
    assert top_k(np.array([1.0, 0.0]), matrix[:0], 3) == [] and top_k(np.array([1.0, 0]), matrix, 0) == []


def test_pairs_and_clusters_over_blocks() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(6, 16))
    matrix = np.concatenate([base, base[[0, 0, 3]] + 0.01 * rng.normal(size=(3, 16))])
    pairs = pairs_above(matrix, 0.99, block=4)
    assert {(i, j) for i, j, _ in pairs} == {(0, 6), (0, 7), (6, 7), (3, 8)}
    assert all(i < j and s >= 0.99 for i, j, s in pairs)
    ids = [f"a{i}" for i in range(9)]
    assert near_duplicate_clusters(ids, matrix, 0.99) == [["a0", "a6", "a7"], ["a3", "a8"]]
    with pytest.raises(ValueError):
        near_duplicate_clusters(ids[:3], matrix, 0.99)


def test_cluster_pairs_union_find() -> None:
    assert cluster_pairs([(5, 3), (3, 9), (1, 2), (7, 7)]) == [[3, 5, 9], [1, 2], [7]]
    assert cluster_pairs([]) == []


def test_thresholds_per_model_family() -> None:
    assert 0.8 < near_duplicate_threshold("packaged:efficientnet-lite0") < 1
    assert 0.8 < near_duplicate_threshold("clip:ViT-B-32:laion2b_s34b_b79k") < 1
    assert near_duplicate_threshold("other") == near_duplicate_threshold("unknown:x")
