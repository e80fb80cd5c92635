"""Text ("meaning") vectors of the embedded engine: the packaged text model's embedding of each document's
product and metadata text, kept beside the image vectors of a part in the same compact form.

A part's text vectors live in its ``meaning/`` folder: ``vectors.f32`` (unit float32 rows, memory-mapped),
``pos.npy`` (row -> vector row, -1 without one), ``meta.json`` and, for big parts, the compact projection of
``embedded_vectors`` (64-d scan, exact re-rank of the candidates). The in-memory tail keeps them as an
array. A meaning query keeps the rows at least ``PortalQuery.min_score`` similar among the best
candidates, so weak matches never reach totals, facets or pages.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.engines.embedded_vectors import (
    Compact,
    best_positions,
    build_compact,
    exact_similarities,
    load_compact,
    open_full_vectors,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
FOLDER = "meaning"
FULL_PRODUCT_SHARE = 0.1


@dataclass
class MeaningVectors:
    """A part's text vectors: ``pos[row]`` indexes ``vectors`` (-1: the row has none)."""

    pos: IntArray
    vectors: F32 | None
    compact: Compact | None = None

    @property
    def dim(self) -> int | None:
        """Vector length (None without vectors)."""
        return None if self.vectors is None else int(self.vectors.shape[1])

    def vector(self, row: int) -> F32 | None:
        """The unit text vector of a row, if it has one."""
        pos = int(self.pos[row]) if row < len(self.pos) else -1
        if pos < 0 or self.vectors is None:
            return None
        return np.asarray(self.vectors[pos], dtype=np.float32)

    def similar(self, rows: IntArray, query: F32, wanted: int, floor: float) -> tuple[IntArray, FloatArray]:
        """Of ``rows``, those at least ``floor`` similar to ``query`` among the best candidates for
        ``wanted`` hits (every row when the part is small), with their exact cosines."""
        if self.vectors is None or not len(rows) or query.shape[0] != self.vectors.shape[1]:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        rows = rows[self.pos[rows] >= 0]
        positions = self.pos[rows]
        if self.compact is not None:
            chosen, sims = best_positions(
                self.compact, self.vectors, positions, query, wanted, FULL_PRODUCT_SHARE, floor
            )
        else:
            chosen = np.arange(len(rows))
            sims = exact_similarities(self.vectors, positions, query, FULL_PRODUCT_SHARE)
        keep = sims >= floor
        return rows[chosen[keep]], sims[keep]


def empty_meaning(n: int) -> MeaningVectors:
    """No text vectors for ``n`` rows."""
    return MeaningVectors(np.full(n, -1, dtype=np.int64), None)


class MeaningBuilder:
    """Collects the text vectors of a part being built, row by row (``finish`` orders them like the rows)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / FOLDER if directory is not None else None
        self.dim: int | None = None
        self._pos = array("q")
        self._count = 0
        self._rows: list[F32] = []
        self._file: Any = None
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self.directory / "vectors.f32", "wb")  # noqa: SIM115 - closed in finish()

    def add(self, vector: Any) -> None:
        """The text vector of the next row (None: it has none); a vector of another length is skipped."""
        if vector is None:
            self._pos.append(-1)
            return
        unit = np.asarray(vector, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(unit))
        if not len(unit) or not np.isfinite(norm) or norm == 0 or (self.dim and len(unit) != self.dim):
            self._pos.append(-1)
            return
        unit = unit / norm
        self.dim = len(unit)
        self._pos.append(self._count)
        self._count += 1
        if self._file is not None:
            self._file.write(unit.tobytes())
        else:
            self._rows.append(unit)

    def finish(self, keep: IntArray) -> MeaningVectors:
        """The part's text vectors for the rows ``keep`` (original row numbers, in final order)."""
        pos = np.frombuffer(self._pos, dtype=np.int64).copy() if len(self._pos) else np.zeros(0, np.int64)
        pos = pos[keep] if len(pos) else np.full(len(keep), -1, dtype=np.int64)
        if self.directory is None:
            vectors = np.vstack(self._rows).astype(np.float32) if self._rows else None
            return MeaningVectors(pos, vectors)
        self.abort()
        np.save(self.directory / "pos.npy", pos)
        meta: dict[str, Any] = {"vectors": self._count, "dim": self.dim}
        if self._count and self.dim:
            full = np.memmap(
                self.directory / "vectors.f32", dtype=np.float32, mode="r", shape=(self._count, self.dim)
            )
            meta["compact_energy"] = build_compact(self.directory, full.view(np.ndarray))
            del full
        (self.directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        return load_meaning(self.directory.parent, len(keep))

    def abort(self) -> None:
        """Close the vector file (after a failure the caller removes the directory)."""
        if self._file is not None and not self._file.closed:
            self._file.close()


def load_meaning(directory: Path, n: int) -> MeaningVectors:
    """A written part's text vectors (none for a part from before they existed: a reindex adds them)."""
    folder = directory / FOLDER
    if not (folder / "meta.json").exists():
        return empty_meaning(n)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    pos = np.load(folder / "pos.npy", mmap_mode="r").view(np.ndarray)
    if not meta.get("vectors") or not meta.get("dim"):
        return MeaningVectors(pos, None)
    vectors = open_full_vectors(folder / "vectors.f32", int(meta["vectors"]), int(meta["dim"]))
    return MeaningVectors(pos, vectors, load_compact(folder))


def restrict(
    meaning: MeaningVectors | None, base: BoolArray, query: F32, wanted: int, floor: float
) -> tuple[BoolArray, IntArray, FloatArray]:
    """``base`` narrowed to the rows similar enough to ``query`` (see ``MeaningVectors.similar``), with
    those rows (ascending) and their cosines."""
    out = np.zeros(len(base), dtype=bool)
    if meaning is None:
        return out, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    rows, sims = meaning.similar(np.flatnonzero(base), query, wanted, floor)
    out[rows] = True
    return out, rows, sims


def scores_of(rows: IntArray, sims: FloatArray, idx: IntArray) -> FloatArray:
    """The cosines of ``idx`` (a subset of the ascending ``rows``)."""
    return sims[np.searchsorted(rows, idx)] if len(idx) else np.zeros(0, dtype=np.float64)
