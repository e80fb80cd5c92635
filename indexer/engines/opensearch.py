"""The OpenSearch engine: documents in timestamped indices behind the alias ``<prefix>-assets``.

A rebuild fills a new index and moves the alias in one ``_aliases`` call, so searches switch at once. Vectors
are mapped as ``knn_vector`` and searched (exact cosine over the filtered set) only when the cluster has the
k-NN plugin; elsewhere they are left out of the documents and vector queries raise ``SearchUnavailable``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from indexer.analysis import RELAX_BELOW, Analysis, current
from indexer.compile_os import MAX_RESULT_WINDOW, index_mapping, index_settings, to_opensearch
from indexer.compile_synonyms import (
    SYNONYM_ANALYZER,
    SYNONYM_FILTER,
    SynonymGraph,
    parse_rules,
    probe_document,
    probe_query,
    probe_settings,
    settings_update,
    synonym_lines,
)
from indexer.compile_text import query_words
from indexer.engines.opensearch_results import parse_response
from indexer.errors import SearchError, SearchUnavailable
from indexer.fusion import hybrid_search
from indexer.query import PortalQuery, SearchResult
from indexer.schema import TEXT_VECTOR_FIELD, VECTOR_FIELD, prepare_document

BULK_CHUNK = 500
# How long a process trusts the synonym graph it read from the live index's settings.
GRAPH_SECONDS = 30.0
KNN_PLUGIN = "opensearch-knn"


class OpenSearchEngine:
    """Search through an OpenSearch cluster (opensearch-py)."""

    def __init__(
        self,
        hosts: str | Sequence[str] = "http://localhost:9200",
        *,
        prefix: str = "assetport",
        vector_dimension: int | None = None,
        client: OpenSearch | None = None,
        http_auth: tuple[str, str] | None = None,
        verify_certs: bool = True,
        shards: int = 1,
        timeout: float = 30.0,
        analysis: Analysis | None = None,
        synonyms: Sequence[str] = (),
    ) -> None:
        host_list = [hosts] if isinstance(hosts, str) else list(hosts)
        self.client = client or OpenSearch(
            hosts=host_list, http_auth=http_auth, verify_certs=verify_certs, timeout=timeout
        )
        self.alias = f"{prefix}-assets"
        self.analysis = analysis or current()
        self.vector_dimension = vector_dimension
        self.shards = shards
        self._knn: bool | None = None
        # The synonym list compiled into new indices (``set_synonyms`` updates live ones too).
        self._synonym_lines = synonym_lines(parse_rules(synonyms))
        self._graph_ok: bool | None = None  # does the cluster apply synonym_graph in searches (probed once)
        self._graph: tuple[float, SynonymGraph | None] | None = None  # (read at, graph of the live index)

    # --- cluster and index management ----------------------------------------------------------------

    def knn_supported(self) -> bool:
        """True when the cluster has the k-NN plugin (asked once)."""
        if self._knn is None:
            try:
                plugins = self.client.cat.plugins(format="json")
            except TransportError:
                plugins = []
            self._knn = any(KNN_PLUGIN in str(p.get("component", "")) for p in plugins or [])
        return self._knn

    def _index_has_vectors(self, field: str = VECTOR_FIELD) -> bool:
        try:
            mappings = self.client.indices.get_mapping(index=self.alias)
        except NotFoundError:
            return False
        return any(field in (m.get("mappings", {}).get("properties") or {}) for m in mappings.values())

    def _create_index(self, dim: int | None, text_dim: int | None = None) -> str:
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 1_000_000_000:09d}"
        knn = self.knn_supported() and (dim is not None or text_dim is not None)
        body = {
            "settings": index_settings(
                self.shards, knn=knn, analysis=self.analysis, synonyms=self._synonym_lines
            ),
            "mappings": index_mapping(
                dim if knn else None, self.analysis, text_vector_dimension=text_dim if knn else None
            ),
        }
        self.client.indices.create(index=name, body=body)
        return name

    def _ensure_alias(self, docs: Sequence[Mapping[str, Any]]) -> None:
        if self.client.indices.exists_alias(name=self.alias):
            return
        name = self._create_index(self._dimension(docs), _text_dimension(docs))
        self.client.indices.update_aliases(body={"actions": [{"add": {"index": name, "alias": self.alias}}]})

    def _dimension(self, docs: Iterable[Mapping[str, Any]]) -> int | None:
        if self.vector_dimension is not None:
            return self.vector_dimension
        for doc in docs:
            vector = doc.get(VECTOR_FIELD)
            if vector:
                return len(vector)
        return None

    def _actions(
        self, docs: Iterable[Mapping[str, Any]], index: str, keep_vectors: bool, keep_text: bool = False
    ) -> Iterator[dict[str, Any]]:
        for raw in docs:
            doc = prepare_document(raw)
            if not keep_vectors:
                doc.pop(VECTOR_FIELD, None)
            if not keep_text:  # an index without the text-vector mapping (no k-NN plugin, or older)
                doc.pop(TEXT_VECTOR_FIELD, None)
            yield {"_op_type": "index", "_index": index, "_id": str(doc["id"]), "_source": doc}

    # --- synonyms at query time ----------------------------------------------------------------------

    def set_synonyms(self, rules: Sequence[str]) -> bool:
        """Compile the managed synonym list (rule texts) into the indices' search-time ``synonym_graph``:
        new indices get it, live ones are closed, updated and opened (no reindex). True when it changed."""
        lines = synonym_lines(parse_rules(rules))
        with _errors():
            live = self._alias_indices()
            current = [self._index_synonyms(name) for name in live]
            if lines == self._synonym_lines and all(found == lines for found in current):
                return False
            self._synonym_lines = lines
            for name, found in zip(live, current, strict=True):
                if found != lines:
                    self.client.indices.close(index=name)
                    try:
                        self.client.indices.put_settings(index=name, body=settings_update(lines))
                    finally:
                        self.client.indices.open(index=name, wait_for_active_shards=1)
        self._graph = None
        return True

    def _index_synonyms(self, index: str) -> list[str] | None:
        """The synonym lines an index was compiled with (None: an index without the search analysers)."""
        found = self.client.indices.get_settings(index=index)
        analysis = (((found.get(index) or {}).get("settings") or {}).get("index") or {}).get("analysis") or {}
        if SYNONYM_ANALYZER not in (analysis.get("analyzer") or {}):
            return None
        lines = ((analysis.get("filter") or {}).get(SYNONYM_FILTER) or {}).get("synonyms")
        return [str(line) for line in lines] if isinstance(lines, list) else None

    def synonym_graph(self) -> SynonymGraph | None:
        """The synonym graph the live index applies at query time, or None: the index predates it, or the
        cluster ignores ``synonym_graph`` (then queries carry each word's synonyms as alternatives).
        Re-read every ``GRAPH_SECONDS`` (another process may have changed the list)."""
        cached = self._graph
        if cached is not None and time.monotonic() - cached[0] < GRAPH_SECONDS:
            return cached[1]
        graph = None
        live = self._alias_indices()
        lines = self._index_synonyms(live[-1]) if live else None
        if lines is not None and self._graph_supported():
            graph = SynonymGraph.of_lines(lines)
        self._graph = (time.monotonic(), graph)
        return graph

    def _graph_supported(self) -> bool:
        """Probe once: a throwaway index whose one rule maps a made-up word to another is searched for the
        first word; a cluster that applies ``synonym_graph`` finds its document."""
        if self._graph_ok is None:
            name = f"{self.alias}-synonym-probe-{time.time_ns() % 1_000_000_000:09d}"
            try:
                self.client.indices.create(index=name, body=probe_settings())
                self.client.index(index=name, id="1", body=probe_document(), refresh=True)
                hits = self.client.search(index=name, body=probe_query())["hits"]["hits"]
                self._graph_ok = bool(hits)
            except TransportError:
                self._graph_ok = False
            finally:
                with contextlib.suppress(TransportError):
                    self.client.indices.delete(index=name, ignore_unavailable=True)
        return self._graph_ok

    # --- the SearchEngine interface ------------------------------------------------------------------

    def index(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Add or replace documents; searchable when this returns."""
        batch = list(docs)
        if not batch:
            return
        with _errors():
            self._ensure_alias(batch)
            has_text = self._index_has_vectors(TEXT_VECTOR_FIELD)
            actions = self._actions(batch, self.alias, self._index_has_vectors(), has_text)
            helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, refresh="wait_for")

    def delete(self, ids: Sequence[int]) -> None:
        """Remove documents; unknown ids are ignored."""
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return
        with _errors():
            if not self.client.indices.exists_alias(name=self.alias):
                return
            actions = ({"_op_type": "delete", "_index": self.alias, "_id": str(i)} for i in wanted)
            _, errors = helpers.bulk(
                self.client, actions, chunk_size=BULK_CHUNK, refresh="wait_for", raise_on_error=False
            )
            failed = [e for e in errors if _status(e) != 404] if isinstance(errors, list) else []
            if failed:
                raise SearchError(f"could not delete {len(failed)} documents: {failed[:3]}")

    def search(self, q: PortalQuery) -> SearchResult:
        """Run a query (text and vector together are fused by reciprocal rank)."""
        if q.text and q.has_vector:
            return hybrid_search(self.search, q)
        result = self._search(q)
        if q.text and not q.relaxed and result.total < RELAX_BELOW and len(query_words(q.text)) >= 2:
            return self._search(dataclasses.replace(q, relaxed=True))  # all words found too little: most
        return result

    def _search(self, q: PortalQuery) -> SearchResult:
        with _errors():
            vector: list[float] | None = None
            if q.has_vector:
                if not self.knn_supported():
                    raise SearchUnavailable("vector search needs an OpenSearch cluster with the k-NN plugin")
                if q.similar_to is not None:
                    vector = self._vector_of(q.similar_to)
                    if vector is None:
                        return SearchResult(0, [], {name: [] for name in q.facets})
            try:
                response = self._page(q, vector)
            except NotFoundError:
                return SearchResult(0, [], {name: [] for name in q.facets})
        return parse_response(q, response)

    def _vector_of(self, asset_id: int) -> list[float] | None:
        try:
            found = self.client.get(index=self.alias, id=str(asset_id), _source_includes=[VECTOR_FIELD])
        except NotFoundError:
            return None
        vector = (found.get("_source") or {}).get(VECTOR_FIELD)
        return [float(v) for v in vector] if vector else None

    def _page(self, q: PortalQuery, vector: list[float] | None) -> dict[str, Any]:
        graph = self.synonym_graph() if q.text else None
        if q.offset + q.size <= MAX_RESULT_WINDOW:
            return dict(
                self.client.search(
                    index=self.alias,
                    body=to_opensearch(q, vector=vector, analysis=self.analysis, synonym_graph=graph),
                )
            )
        # Deep page: walk to the offset with search_after (sort values only), then fetch the page itself.
        after: list[Any] | None = None
        remaining = q.offset
        while remaining > 0:
            chunk = min(remaining, MAX_RESULT_WINDOW)
            body = to_opensearch(
                q,
                vector=vector,
                search_after=after,
                size=chunk,
                with_aggregations=False,
                analysis=self.analysis,
                synonym_graph=graph,
            )
            if after is None:
                body["from"] = 0
            body["_source"] = False
            body["track_total_hits"] = False
            hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            remaining -= len(hits)
        if remaining > 0:  # past the last hit: an empty page with the right total and facets
            return dict(
                self.client.search(
                    index=self.alias,
                    body=to_opensearch(
                        q, vector=vector, size=0, offset=0, analysis=self.analysis, synonym_graph=graph
                    ),
                )
            )
        body = to_opensearch(
            q, vector=vector, search_after=after, analysis=self.analysis, synonym_graph=graph
        )
        return dict(self.client.search(index=self.alias, body=body))

    def count(self) -> int:
        """Number of documents behind the alias."""
        with _errors():
            try:
                return int(self.client.count(index=self.alias)["count"])
            except NotFoundError:
                return 0

    def rebuild(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Fill a new index and move the alias to it in one step; older indices are deleted."""
        iterator = iter(docs)
        first = list(itertools.islice(iterator, BULK_CHUNK))
        with _errors():
            dim, text_dim = self._dimension(first), _text_dimension(first)
            name = self._create_index(dim, text_dim)
            try:
                keep = self.knn_supported() and dim is not None
                keep_text = self.knn_supported() and text_dim is not None
                actions = self._actions(itertools.chain(first, iterator), name, keep, keep_text)
                helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK)
                self.client.indices.refresh(index=name)
            except BaseException:
                self.client.indices.delete(index=name, ignore_unavailable=True)
                raise
            old = self._alias_indices()
            actions_ = [{"remove": {"index": index, "alias": self.alias}} for index in old]
            actions_.append({"add": {"index": name, "alias": self.alias}})
            self.client.indices.update_aliases(body={"actions": actions_})
            for index in old:
                self.client.indices.delete(index=index, ignore_unavailable=True)

    def _alias_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def refresh(self) -> None:
        """Make recent writes searchable."""
        with _errors(), contextlib.suppress(NotFoundError):
            self.client.indices.refresh(index=self.alias)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()


def _status(error: Mapping[str, Any]) -> int | None:
    for item in error.values():
        if isinstance(item, Mapping) and "status" in item:
            return int(item["status"])
    return None


class _errors:
    """Turns connection failures into ``SearchUnavailable``."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, OSConnectionError):
            raise SearchUnavailable(f"OpenSearch is unreachable: {exc}") from exc


def _text_dimension(docs: Iterable[Mapping[str, Any]]) -> int | None:
    """The length of the first text vector among ``docs`` (None without any)."""
    for doc in docs:
        vector = doc.get(TEXT_VECTOR_FIELD)
        if vector:
            return len(vector)
    return None
