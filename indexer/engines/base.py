"""The interface every search engine implements (embedded tantivy + numpy, OpenSearch)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from indexer.query import PortalQuery, SearchResult

Document = Mapping[str, Any]


@runtime_checkable
class SearchEngine(Protocol):
    """A search index of asset documents (see ``indexer.documents``), keyed by the document's ``id``."""

    def index(self, docs: Iterable[Document]) -> None:
        """Add or replace these documents (by id); visible to searches once this returns."""
        ...

    def delete(self, ids: Sequence[int]) -> None:
        """Remove these ids; unknown ids are ignored."""
        ...

    def search(self, q: PortalQuery) -> SearchResult:
        """Run a query: total, the requested page of hits and the facet counts."""
        ...

    def count(self) -> int:
        """Number of documents in the index."""
        ...

    def rebuild(self, docs: Iterable[Document]) -> None:
        """Build a fresh index from ``docs`` and swap it in at once; searches see the old one until then."""
        ...

    def refresh(self) -> None:
        """Make the latest changes visible to this handle's searches."""
        ...

    def set_synonyms(self, rules: Sequence[str]) -> bool:
        """Take the managed synonym list (rule texts, ``indexer.synonyms``) into the index where the engine
        compiles it (OpenSearch: the search-time ``synonym_graph``); True when the index changed."""
        ...

    def close(self) -> None:
        """Release files, locks and connections."""
        ...
