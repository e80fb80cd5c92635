"""Writing columnar parts: ``ColumnsBuilder`` streams documents into a ``Columns`` part.

A part goes either into a directory (the large, immutable "base" written by a rebuild or a compaction:
numpy arrays, ``docs.jsonl`` with byte offsets, raw float32 vectors) or stays in memory (the small "tail" of
recent changes each reader builds from the tail log). Documents may arrive in any order and repeat: rows are
sorted by id at the end, the last document of an id winning, and values and words are re-coded in sorted
order so that code order is value order.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.engines.embedded_analysis import Analyzers, DocFields, doc_fields
from indexer.engines.embedded_columns import (
    Columns,
    DocSource,
    IntArray,
    KeywordColumn,
    WordPostings,
    load_columns,
    unit_vector,
)
from indexer.engines.embedded_meaning import MeaningBuilder
from indexer.engines.embedded_vectors import build_compact
from indexer.schema import (
    NAME_SORT_FIELD,
    TEXT_VECTOR_FIELD,
    VECTOR_FIELD,
    prepare_document,
)


class _Coded:
    """(row, code) pairs of one field, with codes in arrival order."""

    def __init__(self) -> None:
        self.rows = array("i")
        self.codes = array("i")
        self.index: dict[str, int] = {}

    def add(self, row: int, values: Any) -> None:
        """Record that ``row`` has each of ``values`` (distinct)."""
        index, codes = self.index, self.codes
        for value in values:
            code = index.get(value)
            if code is None:
                code = index[value] = len(index)
            codes.append(code)
        self.rows.extend([row] * len(values))

    def finish(self, new_row: IntArray) -> tuple[list[str], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """(sorted vocabulary, rows, codes) with rows renumbered and dropped rows removed."""
        rows = new_row[_np(self.rows, np.int32)].astype(np.int32) if len(self.rows) else np.zeros(0, np.int32)
        codes = _np(self.codes, np.int32)
        alive = rows >= 0
        rows, codes = rows[alive], codes[alive]
        arrival = list(self.index)
        order = sorted(range(len(arrival)), key=arrival.__getitem__)
        recode = np.empty(len(arrival), dtype=np.int32)
        recode[np.asarray(order, dtype=np.int64)] = np.arange(len(arrival), dtype=np.int32)
        return [arrival[i] for i in order], rows, recode[codes] if len(codes) else codes


class ColumnsBuilder:
    """Streams documents into a part (into ``directory`` when given, else in memory)."""

    def __init__(
        self, directory: Path | None = None, dim: int | None = None, analyzers: Analyzers | None = None
    ) -> None:
        self.directory = directory
        self.dim = dim
        self._analyzers = analyzers or Analyzers()
        self._ids = array("q")
        self._created = array("q")
        self._expire = array("d")
        self._names: list[str] = []
        self._fields: dict[str, _Coded] = {}
        self._words = _Coded()
        self._vec_pos = array("q")
        self._vec_count = 0
        self._vectors: list[npt.NDArray[np.float32]] = []
        self._items: list[dict[str, Any]] = []
        self._doc_start = array("q")
        self._doc_end = array("q")
        self._docs_file: Any = None
        self._vec_file: Any = None
        self._meaning = MeaningBuilder(directory)
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._docs_file = open(directory / "docs.jsonl", "wb")  # noqa: SIM115 - closed in finish()
            self._vec_file = open(directory / "vectors.f32", "wb")  # noqa: SIM115 - closed in finish()

    def add(
        self,
        raw: Mapping[str, Any],
        vector: npt.NDArray[np.float32] | None = None,
        text_vector: npt.NDArray[np.float32] | None = None,
        fields: DocFields | None = None,
    ) -> None:
        """Add one document (a later one with the same id replaces it); ``vector`` and ``text_vector`` stand
        in for missing fields (compaction passes stored unit vectors without a round trip through lists);
        ``fields``: the document's ``doc_fields`` when already worked out.
        """
        doc = prepare_document(raw)
        vector = doc.pop(VECTOR_FIELD, vector)
        self._meaning.add(doc.pop(TEXT_VECTOR_FIELD, text_vector))
        row = len(self._ids)
        self._ids.append(doc["id"])
        self._created.append(int(doc.get("created_at") or 0))
        expire = doc.get("rights_expire_at")
        self._expire.append(math.inf if expire is None else float(expire))
        self._names.append(doc[NAME_SORT_FIELD])
        fields = fields or doc_fields(doc)
        for name, values in fields.keywords.items():
            coded = self._fields.get(name)
            if coded is None:
                coded = self._fields[name] = _Coded()
            coded.add(row, values)
        self._words.add(row, self._analyzers.doc_terms(doc, fields))
        self._add_vector(vector)
        stored = {k: v for k, v in doc.items() if k != NAME_SORT_FIELD}
        if self._docs_file is not None:
            line = json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self._doc_start.append(self._docs_file.tell())
            self._docs_file.write(line + b"\n")
            self._doc_end.append(self._docs_file.tell() - 1)
        else:
            self._items.append(stored)

    def _add_vector(self, vector: Any) -> None:
        if vector is None:
            self._vec_pos.append(-1)
            return
        unit = unit_vector(vector, self.dim)
        self.dim = len(unit)
        self._vec_pos.append(self._vec_count)
        self._vec_count += 1
        if self._vec_file is not None:
            self._vec_file.write(unit.tobytes())
        else:
            self._vectors.append(unit)

    def finish(self) -> Columns:
        """Sort, de-duplicate, write (for a directory) and return the part."""
        ids_in = _np(self._ids, np.int64)
        order = np.argsort(ids_in, kind="stable")
        sorted_ids = ids_in[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = sorted_ids[1:] != sorted_ids[:-1]  # keep the last document of each id
        keep = order[last]
        n = len(keep)
        new_row = np.full(len(ids_in), -1, dtype=np.int64)
        new_row[keep] = np.arange(n)
        names = [self._names[i] for i in keep.tolist()]
        ids = ids_in[keep]
        name_order = sorted(range(n), key=lambda r: (names[r], int(ids[r])))
        name_rank = np.empty(n, dtype=np.int32)
        name_rank[np.asarray(name_order, dtype=np.int64)] = np.arange(n, dtype=np.int32)
        arrays: dict[str, np.ndarray] = {
            "ids": ids,
            "created": _np(self._created, np.int64)[keep],
            "expire": _np(self._expire, np.float64)[keep],
            "name_rank": name_rank,
            "vec_pos": _np(self._vec_pos, np.int64)[keep],
        }
        keywords = {name: _keyword_column(coded, new_row, n) for name, coded in sorted(self._fields.items())}
        words = _postings(self._words, new_row)
        meaning = self._meaning.finish(keep)
        if self.directory is None:
            vectors = np.vstack(self._vectors).astype(np.float32) if self._vectors else None
            docs = DocSource(items=[self._items[i] for i in keep.tolist()])
            return Columns(
                ids,
                arrays["created"],
                arrays["expire"],
                name_rank,
                keywords,
                words,
                arrays["vec_pos"],
                vectors,
                docs,
                None,
                names,
                meaning=meaning,
            )
        arrays["doc_start"] = _np(self._doc_start, np.int64)[keep]
        arrays["doc_end"] = _np(self._doc_end, np.int64)[keep]
        return self._write(arrays, keywords, words, names)

    def _write(
        self,
        arrays: dict[str, np.ndarray],
        keywords: dict[str, KeywordColumn],
        words: WordPostings,
        names: list[str],
    ) -> Columns:
        directory = self.directory
        assert directory is not None
        self._docs_file.close()
        self._vec_file.close()
        arrays["words.ptr"] = words.ptr
        arrays["words.rows"] = words.rows
        for name, values in arrays.items():
            np.save(directory / f"{name}.npy", values)
        fields = []
        for number, (name, column) in enumerate(keywords.items()):
            np.save(directory / f"kw{number}.codes.npy", column.codes)
            if column.rows is not None and column.row_ptr is not None:
                np.save(directory / f"kw{number}.rows.npy", column.rows)
                np.save(directory / f"kw{number}.ptr.npy", column.row_ptr)
            fields.append(
                {
                    "name": name,
                    "file": f"kw{number}",
                    "dense": column.dense is not None,
                    "vocab": column.vocab,
                }
            )
        (directory / "words.json").write_text(json.dumps(words.vocab, ensure_ascii=False), encoding="utf-8")
        (directory / "names.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
        energy = None
        if self._vec_count and self.dim:
            full = np.memmap(
                directory / "vectors.f32", dtype=np.float32, mode="r", shape=(self._vec_count, self.dim)
            )
            energy = build_compact(directory, full.view(np.ndarray))
            del full
        meta = {
            "n": len(arrays["ids"]),
            "dim": self.dim,
            "vectors": self._vec_count,
            "fields": fields,
            "compact_energy": energy,
        }
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return load_columns(directory)

    def abort(self) -> None:
        """Close files after a failure (the caller removes the directory)."""
        for handle in (self._docs_file, self._vec_file):
            if handle is not None and not handle.closed:
                handle.close()
        self._meaning.abort()


def _np(values: array[Any], dtype: type) -> np.ndarray:
    if not len(values):
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(values, dtype=dtype).copy()


def _keyword_column(coded: _Coded, new_row: IntArray, n: int) -> KeywordColumn:
    vocab, rows, codes = coded.finish(new_row)
    # Replaced documents may leave values no row has any more; they count 0 and are never shown.
    if len(rows) == 0 or np.bincount(rows, minlength=n).max() <= 1:
        dense = np.full(n, -1, dtype=np.int32)
        dense[rows] = codes
        return KeywordColumn(vocab, dense, None, dense)
    order = np.argsort(rows, kind="stable")
    row_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=row_ptr[1:])
    return KeywordColumn(vocab, codes[order].astype(np.int32), rows[order].astype(np.int32), None, row_ptr)


def _postings(coded: _Coded, new_row: IntArray) -> WordPostings:
    vocab, rows, codes = coded.finish(new_row)
    order = np.lexsort((rows, codes))
    ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=len(vocab)), out=ptr[1:])
    return WordPostings(vocab, ptr, rows[order].astype(np.int32))


def empty_columns() -> Columns:
    """A part with no rows."""
    return ColumnsBuilder().finish()
