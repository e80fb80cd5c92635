"""The embedded search engine: tantivy for words, numpy columns for filters, facets, sorting and vectors.

Nothing to start: the index lives in a directory (``instance/index/`` by default). One process writes at a
time (a file lock; the job worker in practice); any number of processes read without locking and switch
to a new state cheaply when the writer publishes one (they re-read only the small tail of recent changes).
A rebuild writes a complete new index directory and swaps the ``CURRENT`` pointer to it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.analysis import Analysis
from indexer.engines import embedded_store as store
from indexer.engines.embedded_analysis import Analyzers, doc_fields
from indexer.engines.embedded_build import ColumnsBuilder, empty_columns
from indexer.engines.embedded_columns import Columns, load_columns, unit_vector
from indexer.engines.embedded_match import Expanded, expand
from indexer.engines.embedded_search import Part, evaluate
from indexer.engines.embedded_text import TextIndex, TextWriter
from indexer.fusion import hybrid_search
from indexer.query import PortalQuery, SearchResult
from indexer.schema import VECTOR_FIELD, prepare_document

MIN_COMPACT = 1000
MAX_COMPACT = 5000
# A reader turns each batch of new tail records into a small part of its own (cost: the batch, not the whole
# tail); past this many parts it folds them into one.
MAX_TAIL_PARTS = 8


@dataclass
class _Snapshot:
    """What one reader sees: an index directory at one state."""

    directory: Path | None
    state: store.State | None
    text: TextIndex | None
    base: Columns
    tail_docs: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    tail: list[Columns] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)

    def finish(self, changes: Mapping[int, dict[str, Any] | None] | None = None) -> _Snapshot:
        """Add a tail part for ``changes`` (already in ``tail_docs``; None: all of them) and work out which
        row of which part is live for every id: the newest part wins, deleted ids have none.
        """
        dim = self.state.dim if self.state else None
        if changes is None or len(self.tail) >= MAX_TAIL_PARTS:
            self.tail, changes = [], self.tail_docs
        puts = [doc for doc in changes.values() if doc is not None]
        if puts:
            builder = ColumnsBuilder(dim=dim, analyzers=self.text.analyzers if self.text else None)
            for doc in puts:
                builder.add(doc)
            self.tail = [*self.tail, builder.finish()]
        live = np.fromiter((i for i, d in self.tail_docs.items() if d is not None), dtype=np.int64)
        changed = np.fromiter(self.tail_docs, dtype=np.int64, count=len(self.tail_docs))
        parts = []
        claimed = np.zeros(0, dtype=np.int64)
        for cols in reversed(self.tail):
            alive = np.isin(cols.ids, live) & ~np.isin(cols.ids, claimed)
            claimed = np.concatenate([claimed, cols.ids[alive]])
            parts.append(Part(cols, alive))
        base_alive = ~np.isin(self.base.ids, changed) if len(changed) else np.ones(self.base.n, dtype=bool)
        self.parts = [Part(self.base, base_alive), *reversed(parts)]
        return self

    def count(self) -> int:
        """Live documents."""
        return sum(int(part.alive.sum()) for part in self.parts)

    def vector_of(self, asset_id: int) -> npt.NDArray[np.float32] | None:
        """The stored unit vector of an asset, if indexed with one."""
        for part in reversed(self.parts):  # the tail wins over the base
            rows, found = part.cols.rows_of(np.asarray([asset_id], dtype=np.int64))
            if found[0] and part.alive[rows[0]]:
                return part.cols.vector(int(rows[0]))
        return None


class EmbeddedEngine:
    """A search index in a local directory (see ``embedded_store`` for the layout)."""

    def __init__(self, root: Path | str, analysis: Analysis | None = None) -> None:
        self.root = Path(root)
        self.analyzers = Analyzers(analysis)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._snap = _Snapshot(None, None, None, empty_columns()).finish()
        self._signature: tuple[Any, ...] | None = None
        self._directory: Path | None = None

    # --- reading -------------------------------------------------------------------------------------

    def _snapshot(self) -> _Snapshot:
        """The current snapshot, reloaded when the writer has published a new state."""
        # Two stat calls per search; files are read only when one of them changed.
        pointer = store.file_signature(self.root / store.CURRENT)
        if self._signature is not None and self._signature[0] == pointer:
            directory = self._directory
        else:
            current = store.read_current(self.root)
            directory = self.root / current if current else None
        signature = (pointer, store.file_signature(directory / store.STATE) if directory else None)
        if signature == self._signature:
            return self._snap
        with self._lock:
            if signature != self._signature:
                self._snap = self._load(directory)
                self._signature, self._directory = signature, directory
            return self._snap

    def _load(self, directory: Path | None) -> _Snapshot:
        if directory is None or not (directory / store.STATE).exists():
            return _Snapshot(None, None, None, empty_columns()).finish()
        state = store.read_state(directory)
        old = self._snap
        if old.directory == directory and old.state is not None and old.text is not None:
            text = old.text
            if (
                old.state.base == state.base
                and old.state.tail == state.tail
                and old.state.tail_bytes <= state.tail_bytes
            ):
                # Same base and tail: read only what was appended since.
                tail_docs = dict(old.tail_docs)
                start = old.state.tail_bytes
                base = old.base
            else:
                tail_docs, start, base = {}, 0, load_columns(directory / state.base)
        else:
            text = TextIndex(directory / store.TEXT_DIR, analysis=self.analyzers.analysis)
            tail_docs, start, base = {}, 0, load_columns(directory / state.base)
        changes: dict[int, dict[str, Any] | None] = {}
        for record in store.read_tail(directory / state.tail, start, state.tail_bytes):
            changes[int(record["id"])] = record.get("doc") if record["op"] == "put" else None
        tail_docs.update(changes)
        text.reload()
        snap = _Snapshot(directory, state, text, base, tail_docs)
        if start and base is old.base:
            snap.tail = list(old.tail)
            return snap.finish(changes)
        return snap.finish()

    def search(self, q: PortalQuery) -> SearchResult:
        """Run a query (text and vector together are fused by reciprocal rank)."""
        if q.text and q.has_vector:
            return hybrid_search(self.search, q)
        snap = self._snapshot()
        if snap.text is None:
            return SearchResult(0, [], {name: [] for name in q.facets})
        vector: npt.NDArray[np.float32] | None = None
        if q.vector is not None:
            # Text vectors have the text model's length, checked per part (a mismatch finds nothing).
            dim = snap.state.dim if snap.state and q.vector_field == VECTOR_FIELD else None
            vector = unit_vector(q.vector, dim)
        elif q.similar_to is not None:
            vector = snap.vector_of(q.similar_to)
            if vector is None:
                return SearchResult(0, [], {name: [] for name in q.facets})
        return evaluate(snap.parts, q, self._expand(snap, q.text, q.synonyms), vector, snap.text)

    def expand(self, text: str, synonyms: Mapping[str, Sequence[str]] | None = None) -> Expanded | None:
        """The query words of ``text`` expanded against the current index (None without words)."""
        return self._expand(self._snapshot(), text, synonyms)

    def _expand(
        self, snap: _Snapshot, text: str, synonyms: Mapping[str, Sequence[str]] | None
    ) -> Expanded | None:
        if not text:
            return None
        plan = self.analyzers.plan(text, synonyms)
        return expand(plan, [part.cols.words for part in snap.parts])

    def count(self) -> int:
        """Number of documents."""
        return self._snapshot().count()

    def set_synonyms(self, rules: Sequence[str]) -> bool:
        """Nothing to compile: this engine applies the synonym list's expansions at query time
        (``PortalQuery.synonyms``, see ``plan``). Always False (nothing changed in the index)."""
        return False

    def refresh(self) -> None:
        """Pick up the writer's latest state now."""
        with self._lock:
            self._signature = None
        self._snapshot()

    def close(self) -> None:
        """Drop the open index (files are closed as their objects go away)."""
        with self._lock:
            for part in self._snap.parts:
                part.cols.docs.close()
            self._snap = _Snapshot(None, None, None, empty_columns()).finish()
            self._signature = None

    # --- writing -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[_Snapshot]:
        """Hold the writer lock with a fresh snapshot of an existing index directory."""
        with self._lock, store.writer_lock(self.root):
            if store.read_current(self.root) is None:
                self._create_empty()
            self.refresh()
            yield self._snap

    def _create_empty(self) -> None:
        name = store.new_directory_name("idx")
        directory = self.root / name
        TextIndex(directory / store.TEXT_DIR, create=True, analysis=self.analyzers.analysis)
        ColumnsBuilder(directory / "base-000000", analyzers=self.analyzers).finish()
        store.write_state(directory, store.State("base-000000", "tail-000000.jsonl"))
        store.write_current(self.root, name)

    def _check_vectors(self, docs: Sequence[Mapping[str, Any]], dim: int | None) -> int | None:
        for doc in docs:
            vector = doc.get(VECTOR_FIELD)
            if vector is not None:
                dim = len(unit_vector(vector, dim))
        return dim

    def index(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Add or replace documents."""
        prepared = [prepare_document(doc) for doc in docs]
        if not prepared:
            return
        with self._writing() as snap:
            assert snap.state is not None and snap.directory is not None and snap.text is not None
            dim = self._check_vectors(prepared, snap.state.dim)
            with _text_commit(snap.text) as writer:
                for doc in prepared:
                    writer.put(doc)
            records = [{"op": "put", "id": doc["id"], "doc": _stored(doc)} for doc in prepared]
            self._publish(snap, records, dim)

    def delete(self, ids: Sequence[int]) -> None:
        """Remove documents by id."""
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return
        with self._writing() as snap:
            assert snap.state is not None and snap.directory is not None and snap.text is not None
            with _text_commit(snap.text) as writer:
                for asset_id in wanted:
                    writer.delete(asset_id)
            self._publish(snap, [{"op": "del", "id": i} for i in wanted], snap.state.dim)

    def _publish(self, snap: _Snapshot, records: list[dict[str, Any]], dim: int | None) -> None:
        assert snap.state is not None and snap.directory is not None
        state = snap.state
        end = store.append_tail(snap.directory / state.tail, state.tail_bytes, records)
        state = dataclasses.replace(state, tail_bytes=end, seq=state.seq + 1, dim=dim)
        store.write_state(snap.directory, state)
        self.refresh()
        changed = len(self._snap.tail_docs)
        if changed > max(MIN_COMPACT, min(MAX_COMPACT, self._snap.base.n // 50)):
            self._compact(self._snap)

    def _compact(self, snap: _Snapshot) -> None:
        """Fold the tail into a new base (the text index is unaffected)."""
        assert snap.state is not None and snap.directory is not None
        number = int(snap.state.base.rsplit("-", 1)[1]) + 1
        base_name, tail_name = f"base-{number:06d}", f"tail-{number:06d}.jsonl"
        builder = ColumnsBuilder(snap.directory / base_name, dim=snap.state.dim, analyzers=self.analyzers)
        try:
            for part in snap.parts:
                for row in np.flatnonzero(part.alive).tolist():
                    meaning = part.cols.meaning.vector(row) if part.cols.meaning is not None else None
                    builder.add(part.cols.doc(row), part.cols.vector(row), meaning)
            builder.finish()
        except BaseException:
            builder.abort()
            shutil.rmtree(snap.directory / base_name, ignore_errors=True)
            raise
        state = store.State(base_name, tail_name, 0, snap.state.seq + 1, builder.dim)
        store.write_state(snap.directory, state)
        keep = {base_name, tail_name, snap.state.base, snap.state.tail}
        store.remove_old(snap.directory, "base-", keep)
        store.remove_old(snap.directory, "tail-", keep)
        self.refresh()

    def rebuild(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Build a complete new index directory from ``docs`` and swap it in atomically."""
        with self._lock, store.writer_lock(self.root):
            name = store.new_directory_name("idx")
            directory = self.root / name
            text = TextIndex(directory / store.TEXT_DIR, create=True, analysis=self.analyzers.analysis)
            writer = text.writer()
            builder = ColumnsBuilder(directory / "base-000000", analyzers=self.analyzers)
            seen: set[int] = set()
            try:
                for raw in docs:
                    doc = prepare_document(raw)
                    fields = doc_fields(doc)  # read once, for the text index and the columns
                    if doc["id"] in seen:
                        writer.put(doc, fields)
                    else:
                        writer.add(doc, fields)
                        seen.add(doc["id"])
                    builder.add(doc, fields=fields)
                writer.commit()
                builder.finish()
                state = store.State("base-000000", "tail-000000.jsonl", 0, 0, builder.dim)
                store.write_state(directory, state)
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.rollback()
                builder.abort()
                shutil.rmtree(directory, ignore_errors=True)
                raise
            previous = store.read_current(self.root)
            store.write_current(self.root, name)
            store.remove_old(self.root, "idx-", {name} | ({previous} if previous else set()))
            self.refresh()


def _stored(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "name_sort"}


@contextlib.contextmanager
def _text_commit(text: TextIndex) -> Iterator[TextWriter]:
    """A text writer that commits when the block succeeds and rolls back when it fails."""
    writer = text.writer()
    try:
        yield writer
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
