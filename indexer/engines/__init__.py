"""Search engines behind one interface; ``open_engine`` picks one from a URL.

- ``embedded:///absolute/path`` or ``embedded://relative/path``: tantivy + numpy in a local directory;
- ``http(s)://[user:password@]host:port[/prefix][?prefix=assetport&dim=512&verify_certs=false]``: OpenSearch,
  with indices and the alias named ``<prefix>-assets``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from indexer.analysis import Analysis
from indexer.engines.base import SearchEngine

__all__ = ["SearchEngine", "open_engine"]


def open_engine(url: str, analysis: Analysis | None = None) -> SearchEngine:
    """The engine a search URL names (see the module docstring); ``analysis``: the instance's languages
    (``ASSETPORT_SEARCH_LANGUAGES`` when not given)."""
    parts = urlsplit(url)
    if parts.scheme == "embedded":
        from indexer.engines.embedded import EmbeddedEngine

        raw = url[len("embedded://") :] if url.startswith("embedded://") else url[len("embedded:") :]
        path = unquote(raw.split("?", 1)[0])
        if not path:
            raise ValueError(f"no directory in search URL {url!r}")
        return EmbeddedEngine(Path(path), analysis=analysis)
    if parts.scheme in ("http", "https"):
        from indexer.engines.opensearch import OpenSearchEngine

        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        prefix = options.get("prefix") or parts.path.strip("/") or "assetport"
        dim = int(options["dim"]) if options.get("dim") else None
        verify = options.get("verify_certs", "true").lower() not in ("0", "false", "no")
        netloc = parts.hostname or "localhost"
        host = f"{parts.scheme}://{netloc}:{parts.port or (443 if parts.scheme == 'https' else 9200)}"
        auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        return OpenSearchEngine(
            host, prefix=prefix, vector_dimension=dim, http_auth=auth, verify_certs=verify, analysis=analysis
        )
    raise ValueError(f"unsupported search URL {url!r}: use embedded:///path or http(s)://host:port")
