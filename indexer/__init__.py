"""Search: documents built from the database, the PortalQuery value object, its compilers and the engines.

Pure of Flask and of the portal package: only models, the standard library, SQLAlchemy, tantivy, numpy and
opensearch-py are imported here.
"""

from indexer.engines import SearchEngine, open_engine
from indexer.errors import SearchError, SearchUnavailable
from indexer.fusion import fuse_rrf
from indexer.query import DEFAULT_FACETS, FacetValue, PortalQuery, SearchHit, SearchResult

__all__ = [
    "DEFAULT_FACETS",
    "FacetValue",
    "PortalQuery",
    "SearchEngine",
    "SearchError",
    "SearchHit",
    "SearchResult",
    "SearchUnavailable",
    "fuse_rrf",
    "open_engine",
]
