"""Columnar, memory-mapped copies of the filter, facet, sort and word fields of the embedded index.

A ``Columns`` part holds a set of documents in rows ordered by id: numpy arrays for ids, dates and sort
ranks, one ``KeywordColumn`` per facetable field (values coded against a sorted vocabulary, so code order
is value order), ``WordPostings`` (which rows contain each word, in any text field), the documents and
their unit vectors. Filters and words become boolean row masks and facet counts are ``bincount`` calls,
which is what makes disjunctive facets cheap: each facet is counted over "base mask AND the other facets'
filters" without asking the text index again. Parts are written by ``embedded_build.ColumnsBuilder``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.engines.embedded_meaning import MeaningVectors, load_meaning
from indexer.engines.embedded_vectors import Compact, load_compact, open_full_vectors

IntArray = npt.NDArray[np.int64]
FEW_VALUES = 3
SPARSE = 8  # below 1 row in SPARSE, facet counting gathers the rows' entries
BoolArray = npt.NDArray[np.bool_]


@dataclass
class KeywordColumn:
    """One facetable field. Single-valued: ``dense[row]`` is the row's value code (-1 for none).
    Multi-valued: ``codes[i]`` is a value of row ``rows[i]``, entries sorted by row, a row's entries being
    ``row_ptr[row]:row_ptr[row + 1]``.
    """

    vocab: list[str]
    codes: npt.NDArray[np.int32]
    rows: npt.NDArray[np.int32] | None = None
    dense: npt.NDArray[np.int32] | None = None
    row_ptr: IntArray | None = None
    _index: dict[str, int] | None = field(default=None, repr=False)

    def code(self, value: str) -> int | None:
        """The code of a value, or None when no row has it."""
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.vocab)}
        return self._index.get(value)

    def mask(self, values: Sequence[str], n: int) -> BoolArray:
        """Rows having any of ``values``."""
        codes = [c for c in (self.code(v) for v in values) if c is not None]
        if self.dense is not None and len(codes) <= FEW_VALUES:
            out = np.zeros(n, dtype=bool)
            for code in codes:  # a few comparisons beat a gather through a lookup table
                out |= self.dense == code
            return out
        wanted = np.zeros(len(self.vocab) + 1, dtype=bool)  # the extra slot stands for "no value" (-1)
        wanted[codes] = True
        if self.dense is not None:
            return wanted[self.dense]
        out = np.zeros(n, dtype=bool)
        assert self.rows is not None
        out[self.rows[wanted[self.codes]]] = True
        return out

    def counts(self, mask: BoolArray, idx: IntArray | None = None) -> IntArray:
        """Per code, how many rows under ``mask`` have that value (``idx``: the same rows as indices)."""
        size = len(self.vocab)
        if self.dense is not None:
            picked = self.dense[idx] if idx is not None else self.dense[mask]
            # Shifted by one so "no value" (-1) lands in a bucket that is dropped.
            return np.bincount(picked + 1, minlength=size + 1)[1:].astype(np.int64)
        if idx is not None and self.row_ptr is not None and len(idx) * SPARSE < len(mask):
            # Few rows: gather just their entries instead of testing every entry of the column.
            starts = self.row_ptr[idx]
            lengths = self.row_ptr[idx + 1] - starts
            ends = np.cumsum(lengths)
            positions = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(
                starts - ends + lengths, lengths
            )
            return np.bincount(self.codes[positions], minlength=size).astype(np.int64)
        assert self.rows is not None
        return np.bincount(self.codes[mask[self.rows]], minlength=size).astype(np.int64)


@dataclass
class WordPostings:
    """Per word (sorted vocabulary), the rows whose text fields contain it: ``rows[ptr[c]:ptr[c + 1]]``."""

    vocab: list[str]
    ptr: IntArray
    rows: npt.NDArray[np.int32]
    _index: dict[str, int] | None = field(default=None, repr=False)
    _by_length: dict[int, list[str]] | None = field(default=None, repr=False)

    def code(self, word: str) -> int | None:
        """The code of a word (or postings key), None when no row has it."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.vocab)}
        return self._index.get(word)

    def by_length(self) -> dict[int, list[str]]:
        """Plain words without digits (the typo candidates), grouped by length; built once per part."""
        if self._by_length is None:
            groups: dict[int, list[str]] = {}
            for word in self.vocab:
                if word.isalpha() and word.isascii():
                    groups.setdefault(len(word), []).append(word)
            self._by_length = groups
        return self._by_length

    def mask(self, words: Sequence[str], n: int) -> BoolArray:
        """Rows containing every one of ``words`` (no words: no rows)."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.vocab)}
        spans = []
        for word in words:
            code = self._index.get(word)
            if code is None:
                return np.zeros(n, dtype=bool)
            spans.append(self.rows[self.ptr[code] : self.ptr[code + 1]])
        if not spans:
            return np.zeros(n, dtype=bool)
        spans.sort(key=len)  # start from the rarest word
        out = np.zeros(n, dtype=bool)
        out[spans[0]] = True
        for rows in spans[1:]:
            other = np.zeros(n, dtype=bool)
            other[rows] = True
            out &= other
        return out


@dataclass
class Columns:
    """A part of the embedded index: rows sorted by id, with their columns, documents and vectors."""

    ids: IntArray
    created: IntArray
    expire: npt.NDArray[np.float64]  # +inf when rights never expire
    name_rank: npt.NDArray[np.int32]  # position of the row in (name_sort, id) order
    keywords: dict[str, KeywordColumn]
    words: WordPostings
    vec_pos: IntArray  # row -> row of ``vectors``, -1 without a vector
    vectors: npt.NDArray[np.float32] | None
    docs: DocSource
    names_path: Path | None = None
    _names: list[str] | None = field(default=None, repr=False)
    compact: Compact | None = None  # projected vectors for the candidate scan (big parts only)
    meaning: MeaningVectors | None = None  # text vectors (meaning search)

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self.ids)

    def names(self) -> list[str]:
        """Each row's name sort key (loaded on first use: only a "name" sort merged with a tail needs it)."""
        if self._names is None:
            assert self.names_path is not None
            self._names = json.loads(self.names_path.read_text(encoding="utf-8"))
        return self._names

    def rows_of(self, ids: IntArray) -> tuple[IntArray, BoolArray]:
        """Row of each id and whether it is in this part."""
        if not self.n:
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        pos = np.searchsorted(self.ids, ids)
        pos = np.minimum(pos, self.n - 1)
        return pos.astype(np.int64), self.ids[pos] == ids

    def doc(self, row: int) -> dict[str, Any]:
        """The stored document of a row (without its vector)."""
        return self.docs.get(row)

    def vector(self, row: int) -> npt.NDArray[np.float32] | None:
        """The unit vector of a row, if it has one."""
        pos = int(self.vec_pos[row])
        if pos < 0 or self.vectors is None:
            return None
        return np.asarray(self.vectors[pos], dtype=np.float32)


class DocSource:
    """Documents by row: a JSON-lines file with byte offsets (base) or a list (tail)."""

    def __init__(
        self,
        path: Path | None = None,
        start: IntArray | None = None,
        end: IntArray | None = None,
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        self._items = items
        self._start = start
        self._end = end
        self._path = path
        self._file: Any = None

    def get(self, row: int) -> dict[str, Any]:
        """The document of a row."""
        if self._items is not None:
            return dict(self._items[row])
        assert self._path is not None and self._start is not None and self._end is not None
        if self._file is None:
            self._file = open(self._path, "rb")  # noqa: SIM115 - kept open for the part's lifetime
        start, end = int(self._start[row]), int(self._end[row])
        data: dict[str, Any] = json.loads(os.pread(self._file.fileno(), end - start, start))
        return data

    def close(self) -> None:
        """Close the underlying file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class LazyDoc(Mapping[str, Any]):
    """A row's stored document, read and decoded on first use: a fused search (meaning, hybrid) takes a
    window of hits from each list and shows only a page of them, so most documents are never read."""

    __slots__ = ("_doc", "_row", "_source")

    def __init__(self, source: DocSource, row: int) -> None:
        self._source = source
        self._row = row
        self._doc: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = self._source.get(self._row)
        return self._doc

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        return repr(self._load())


def unit_vector(values: Sequence[float], dim: int | None) -> npt.NDArray[np.float32]:
    """A vector scaled to length 1 (cosine becomes a dot product); checks the dimension."""
    vec = np.asarray(values, dtype=np.float32)
    if vec.ndim != 1 or not len(vec):
        raise ValueError("a vector must be a flat, non-empty list of numbers")
    if dim is not None and len(vec) != dim:
        raise ValueError(f"vector has {len(vec)} dimensions, the index has {dim}")
    # What ``np.linalg.norm`` computes for a flat float vector, without its dispatch overhead.
    norm = float(np.sqrt(vec.dot(vec)))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("a vector must be finite and not all zeros")
    return vec / norm


def load_columns(directory: Path) -> Columns:
    """Open a part written by ``ColumnsBuilder`` (arrays memory-mapped, shared between processes)."""
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))

    def arr(name: str) -> Any:
        """A saved array, memory-mapped."""
        return np.load(directory / f"{name}.npy", mmap_mode="r").view(np.ndarray)

    keywords: dict[str, KeywordColumn] = {}
    for spec in meta["fields"]:
        codes = arr(f"{spec['file']}.codes")
        if spec["dense"]:
            keywords[spec["name"]] = KeywordColumn(spec["vocab"], codes, None, codes)
        else:
            rows, ptr = arr(f"{spec['file']}.rows"), arr(f"{spec['file']}.ptr")
            keywords[spec["name"]] = KeywordColumn(spec["vocab"], codes, rows, None, ptr)
    vocab = json.loads((directory / "words.json").read_text(encoding="utf-8"))
    words = WordPostings(vocab, arr("words.ptr"), arr("words.rows"))
    vectors = None
    if meta["vectors"] and meta["dim"]:
        shape = (meta["vectors"], meta["dim"])
        vectors = open_full_vectors(directory / "vectors.f32", *shape)
    docs = DocSource(directory / "docs.jsonl", arr("doc_start"), arr("doc_end"))
    return Columns(
        arr("ids"),
        arr("created"),
        arr("expire"),
        arr("name_rank"),
        keywords,
        words,
        arr("vec_pos"),
        vectors,
        docs,
        directory / "names.json",
        compact=load_compact(directory) if vectors is not None else None,
        meaning=load_meaning(directory, int(meta["n"])),
    )
