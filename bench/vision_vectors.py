"""Find-similar on compact vectors at 100,000 and 1,000,000 assets: p95 latency of the embedded engine's
kNN core (filter mask, 64-d compact scan, exact float32 re-rank of the candidates, top 24), recall@24
against the exact float32 answer, and the resident memory of a fresh process that serves the queries.

The vectors are synthetic, 1,280-d (the packaged model's width) and shaped like image embeddings: clusters
in a space whose variance decays with a power law over the dimensions (isotropic noise would have no
structure for any compact form to keep; the engine then scans exactly). Each size runs in its own
subprocesses: one writes the part's files (vectors.f32 + compact files, as the engine's builder does),
one serves the queries and reports its RSS before the exact recall pass touches the full matrix.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from indexer.engines.embedded_search import FULL_PRODUCT_SHARE
from indexer.engines.embedded_vectors import best_positions, build_compact, load_compact, open_full_vectors

DIM = 1280
CLUSTERS = 2_000
BLOCK = 50_000


def realistic_vectors(n: int, seed: int = 5) -> np.ndarray:
    """``n`` unit vectors in clusters with a power-law spectrum (float32), generated block by block."""
    rng = np.random.default_rng(seed)
    scales = (1.0 / np.arange(1, DIM + 1) ** 0.75).astype(np.float32)
    centres = rng.standard_normal((CLUSTERS, DIM), dtype=np.float32) * scales
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        block = centres[rng.integers(0, CLUSTERS, m)]
        block += 0.6 * rng.standard_normal((m, DIM), dtype=np.float32) * scales
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + m] = block
    return out


def write_part(folder: Path, n: int) -> dict[str, Any]:
    """The part's vector files for ``n`` assets; build time of the compact form."""
    vectors = realistic_vectors(n)
    vectors.tofile(folder / "vectors.f32")
    del vectors
    full = np.memmap(folder / "vectors.f32", dtype=np.float32, mode="r", shape=(n, DIM))
    started = time.perf_counter()
    energy = build_compact(folder, full.view(np.ndarray))
    return {"energy": energy, "compact_build_s": round(time.perf_counter() - started, 1)}


def _rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process from /proc (``VmRSS``; ``RssAnon``: heap, no mapped files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(folder: Path, n: int, runs: int) -> dict[str, Any]:
    """Timed queries on the memory-mapped part (fresh process), then recall against exact."""
    compact = load_compact(folder)
    assert compact is not None, "the synthetic vectors must get a compact form"
    vectors = open_full_vectors(folder / "vectors.f32", n, DIM)
    rng = np.random.default_rng(3)
    visible = rng.random(n) < 0.6  # a partner-like filter: 60 % of the assets
    refs = rng.choice(np.flatnonzero(visible), size=runs, replace=False)
    times, found = [], []
    for ref in [*refs[:5].tolist(), *refs.tolist()]:  # five untimed warm-up queries first
        started = time.perf_counter()
        mask = visible.copy()
        mask[ref] = False
        positions = np.flatnonzero(mask)
        query = np.asarray(vectors[ref], dtype=np.float32)
        chosen, sims = best_positions(compact, vectors, positions, query, 24, FULL_PRODUCT_SHARE)
        top = positions[chosen[np.argsort(-sims, kind="stable")[:24]]]
        times.append(time.perf_counter() - started)
        found.append(top)
    times, found = times[5:], found[5:]
    rss, anon = _rss_mb(), _rss_mb("RssAnon")
    checked = min(runs, 20)
    queries = np.stack([np.asarray(vectors[r]) for r in refs[:checked]])
    exact = np.empty((n, checked), dtype=np.float32)
    for start in range(0, n, BLOCK):
        exact[start : start + BLOCK] = vectors[start : start + BLOCK] @ queries.T
    recalls = []
    for j, ref in enumerate(refs[:checked].tolist()):
        col = np.where(visible, exact[:, j], -2.0)
        col[ref] = -2.0
        truth = np.argpartition(-col, 24)[:24]
        recalls.append(len(set(truth.tolist()) & set(found[j].tolist())) / 24)
    ordered = sorted(times)
    return {
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "median_ms": round(1000 * ordered[len(ordered) // 2], 1),
        "recall": round(float(np.mean(recalls)), 4),
        "rss_mb": round(rss, 1),
        "anon_mb": round(anon, 1),
        "compact_mb": round(compact.nbytes / 2**20, 1),
    }


def _child(action: str, folder: Path, n: int, runs: int) -> dict[str, Any]:
    extra = ", int(sys.argv[3])" if runs else ""
    code = (
        "import json, sys; from pathlib import Path; from bench import vision_vectors as v; "
        f"print(json.dumps(v.{action}(Path(sys.argv[1]), int(sys.argv[2]){extra})))"
    )
    args = [sys.executable, "-c", code, str(folder), str(n)] + ([str(runs)] if runs else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows for 100k and 1M assets (``quick``: 20k and 100k)."""
    rows: list[dict[str, Any]] = []
    for n, target in ((20_000, 20), (100_000, 60)) if quick else ((100_000, 20), (1_000_000, 60)):
        with tempfile.TemporaryDirectory(prefix="assetport-vectors-bench-") as tmp:
            built = _child("write_part", Path(tmp), n, 0)
            served = _child("serve", Path(tmp), n, 50 if quick else 200)
        label = f"{n:,} assets, {DIM}-d"
        rows += [
            {
                "measure": f"find similar kNN core, compact 64-d scan + exact re-rank, top 24, {label}",
                "value": served["p95_ms"],
                "unit": "ms p95",
                "target": f"<= {target} ms",
            },
            {
                "measure": "  recall@24 vs exact float32",
                "value": served["recall"],
                "unit": "",
                "target": ">= 0.98",
            },
            {
                "measure": f"  process RSS serving the queries (of which anonymous {served['anon_mb']} MB; "
                f"compact matrix {served['compact_mb']} MB)",
                "value": served["rss_mb"],
                "unit": "MB",
                "target": "<= 2048 MB" if n >= 1_000_000 else "-",
            },
            {
                "measure": f"  compact form build (energy kept {built['energy']:.2f})",
                "value": built["compact_build_s"],
                "unit": "s",
                "target": "-",
            },
        ]
    return rows
