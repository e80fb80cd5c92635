"""Compact vectors in the embedded engine: a big part scans a 64-d projection, re-ranks its candidates
exactly, and find-similar keeps recall@24 >= 0.98 against the exact float32 answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.engines import embedded_vectors, open_engine
from indexer.engines.embedded_vectors import best_positions, build_compact, load_compact
from indexer.query import PortalQuery

DIM = 256


def realistic(n: int, seed: int = 1) -> np.ndarray:
    """Unit vectors with a decaying spectrum and clusters, as image embeddings have (not isotropic)."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((DIM, DIM)))[0].astype(np.float32)
    scales = (1.0 / np.arange(1, DIM + 1) ** 0.9).astype(np.float32)
    centres = rng.standard_normal((40, DIM)).astype(np.float32) * scales
    coords = centres[rng.integers(0, 40, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32) * scales
    vectors = coords @ basis.T
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _recall(got: list[int], exact: list[int]) -> float:
    return len(set(got) & set(exact)) / len(exact)


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compact parts from 1,000 rows and 200 candidates, so a test-sized index exercises the path."""
    monkeypatch.setattr(embedded_vectors, "COMPACT_MIN_ROWS", 1_000)
    monkeypatch.setattr(embedded_vectors, "MIN_CANDIDATES", 200)


def test_candidate_scan_recall_against_exact(tmp_path: Path) -> None:
    vectors = realistic(30_000)
    energy = build_compact(tmp_path, vectors)
    assert energy is not None and energy >= embedded_vectors.MIN_ENERGY
    compact = load_compact(tmp_path)
    assert compact is not None and compact.vectors.shape == (30_000, embedded_vectors.COMPACT_DIM)
    assert compact.nbytes * 4 == vectors.nbytes  # 256-d -> 64-d
    positions = np.arange(0, 30_000, 2)  # a filter: every other row
    recalls = []
    for q in realistic(50, seed=9):
        chosen, sims = best_positions(compact, vectors, positions, q, 24, 0.1)
        got = positions[chosen[np.argsort(-sims)[:24]]].tolist()
        exact_sims = vectors[positions] @ q
        exact = positions[np.argsort(-exact_sims)[:24]].tolist()
        recalls.append(_recall(got, exact))
        assert np.allclose(sims, exact_sims[chosen], atol=1e-5)  # candidates carry exact cosines
    assert np.mean(recalls) >= 0.98


def test_isotropic_vectors_get_no_projection(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((25_000, DIM)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    assert build_compact(tmp_path, noise) is None
    assert load_compact(tmp_path) is None


def test_engine_find_similar_uses_compact_part_and_keeps_recall(
    tmp_path: Path, small_thresholds: None
) -> None:
    vectors = realistic(3_000, seed=4)
    engine = open_engine(f"embedded://{tmp_path / 'index'}")
    engine.rebuild(
        {"id": i + 1, "title": f"asset {i}", "status": "approved", "vector": v.tolist()}
        for i, v in enumerate(vectors)
    )
    assert list((tmp_path / "index").rglob("compact.vectors.npy"))
    recalls = []
    for ref in (5, 77, 1234, 2999):
        result = engine.search(PortalQuery(similar_to=ref, size=24, facets=(), viewer_role="admin"))
        sims = vectors @ vectors[ref - 1]
        sims[ref - 1] = -2
        exact = (np.argsort(-sims, kind="stable")[:24] + 1).tolist()
        got = [hit.id for hit in result.hits]
        assert len(got) == 24
        recalls.append(_recall(got, exact))
        scores = [hit.score for hit in result.hits]
        assert scores == sorted(scores, reverse=True)
        assert np.allclose(scores, [sims[i - 1] for i in got], atol=1e-5)  # exact re-ranked scores
        page2 = engine.search(PortalQuery(similar_to=ref, size=24, page=2, facets=(), viewer_role="admin"))
        assert not set(got) & {hit.id for hit in page2.hits}
    engine.close()
    assert np.mean(recalls) >= 0.98


def test_bounds_prune_the_rerank_and_keep_the_exact_answer(tmp_path: Path) -> None:
    # Text-model-like vectors: most energy in the projection, so the bounds are tight and few rows are read.
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.standard_normal((DIM, DIM)))[0].astype(np.float32)
    scales = np.where(np.arange(DIM) < 48, 1.0, 0.02).astype(np.float32)
    vectors = (rng.standard_normal((30_000, DIM)).astype(np.float32) * scales) @ basis.T
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert build_compact(tmp_path, vectors) is not None
    compact = load_compact(tmp_path)
    assert compact is not None
    positions = np.arange(1, 30_000, 3)
    for q in vectors[[5, 50, 500]]:
        exact = vectors[positions] @ q
        for floor in (None, 0.2):
            chosen, sims = best_positions(compact, vectors, positions, q, 50, 0.1, floor)
            assert len(chosen) < embedded_vectors.candidate_count(50)  # pruned below the fixed count
            assert np.allclose(sims, exact[chosen], atol=1e-5)
            wanted = np.argsort(-exact, kind="stable")[:50]
            if floor is not None:
                wanted = wanted[exact[wanted] >= floor]
            assert set(wanted.tolist()) <= set(chosen.tolist())  # every row of the exact answer is there
