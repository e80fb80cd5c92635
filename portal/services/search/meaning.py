"""Meaning search in the service layer: the text model behind the index sync and the query, and the fusion
of word hits with meaning hits (``indexer.meaning``).

The query's embedding is remembered (LRU), so paging and facet clicks cost no model call. The meaning hits
come from the same ``PortalQuery`` with its text replaced by the query vector: the engine applies exactly
the same permission and filters to them as to the word hits. Queries without text, sorted by a field, or
with vector searches of their own never run it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from indexer.meaning import DEFAULT_FLOOR, TextEncoder, hybrid_meaning_search
from indexer.query import PortalQuery, SearchResult
from portal.runtime import Runtime
from portal.services.search.text_cache import SessionFactory, cached_encoder
from portal.settings import Settings

log = logging.getLogger(__name__)

QUERY_CACHE = 1024
MODES = ("auto", "on", "off")


class _Lru:
    """A small thread-safe LRU of query text -> unit vector."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[float, ...] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str], value: tuple[float, ...]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def discard(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._items.pop(key, None)


_queries = _Lru(QUERY_CACHE)
# The meaning searches of a request (query embedding when not remembered, text-vector kNN, CLIP kNN) run
# here beside its word search: ONNX Runtime and numpy release the GIL for their heavy parts.
_meaning_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="meaning-search")
# False: the previous path (embedding on the pool, meaning searches after the word search), kept for the
# bench to measure both in one run.
BESIDE = True
_embedding_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="query-embedding")


def meaning_enabled(settings: Settings) -> bool:
    """``ASSETPORT_SEARCH_MEANING``: auto (on unless vision is off), on, off."""
    mode = (settings.search_meaning or "auto").strip().lower()
    if mode not in MODES:
        raise ValueError(f"ASSETPORT_SEARCH_MEANING must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "auto":
        return (settings.vision_model or "auto").strip().lower() != "off"
    return mode == "on"


def meaning_floor(settings: Settings) -> float:
    """The minimum cosine of a text-vector hit."""
    return settings.search_meaning_floor if settings.search_meaning_floor > 0 else DEFAULT_FLOOR


def encode(texts: Sequence[str], settings: Settings | None = None) -> list[list[float]]:
    """Unit vectors of the packaged text model (MiniLM, offline; on ONNX Runtime unless
    ``ASSETPORT_VISION_RUNTIME=torch``, with ``ASSETPORT_VISION_THREADS`` threads) for these texts."""
    from tagging import textenc

    if settings is None:
        model = textenc.encoder()
    else:
        model = textenc.encoder(settings.vision_threads, settings.vision_runtime)
    return model.encode(list(texts)).tolist()


def text_encoder(settings: Settings, session_factory: SessionFactory | None = None) -> TextEncoder | None:
    """The encoder the index sync embeds documents with (batched), or None when meaning search is off.
    With ``session_factory`` each distinct text is embedded once per model (``text_cache``)."""

    def sync_encode(texts: Sequence[str]) -> list[list[float]] | None:
        # When the model cannot be loaded the documents are indexed without text vectors (logged) rather
        # than failing the sync; a reindex adds them later.
        try:
            return encode(texts, settings)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            log.warning("documents indexed without text vectors: %s", exc)
            return None

    if not meaning_enabled(settings):
        return None
    if session_factory is None:
        return sync_encode
    from tagging.textenc import MODEL_ID

    return cached_encoder(sync_encode, MODEL_ID, session_factory)


def query_vector(
    text: str, model: str = "minilm", settings: Settings | None = None
) -> tuple[float, ...] | None:
    """The (remembered) embedding of a query text; None when the model cannot be loaded (logged)."""
    key = (model, text.casefold())
    cached = _queries.get(key)
    if cached is not None:
        return cached
    try:
        vector = tuple(encode([text], settings)[0])
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        log.warning("meaning search unavailable: %s", exc)
        return None
    _queries.put(key, vector)
    return vector


def _clip_vector(rt: Runtime, text: str) -> tuple[float, ...] | None:
    """CLIP's text embedding of the query when CLIP is the vision model (its text-to-image scores join)."""
    from portal.services.vision.model import maybe_embedder

    model = maybe_embedder(rt.settings)
    if model is None or not model.supports_text:
        return None
    key = (model.model_id, text.casefold())
    cached = _queries.get(key)
    if cached is None:
        cached = tuple(float(v) for v in model.embed_texts([text])[0])
        _queries.put(key, cached)
    return cached


def wants_meaning(rt: Runtime, query: PortalQuery) -> bool:
    """True when ``query`` gets meaning hits: text, relevance order, no vector of its own, switched on."""
    return (
        bool(query.text)
        and query.sort == "relevance"
        and not query.has_vector
        and meaning_enabled(rt.settings)
    )


def _vector_source(rt: Runtime, text: str) -> Callable[[], tuple[float, ...] | None]:
    """The query embedding as a callable: remembered ones at once; an uncached one is computed by the
    meaning search that asks (on the meaning pool, beside the word search) or, on the previous path, on
    the embedding pool while the word search runs."""
    cached = _queries.get(("minilm", text.casefold()))
    if cached is not None:
        return lambda: cached
    if BESIDE:
        return lambda: query_vector(text, "minilm", rt.settings)
    future = _embedding_pool.submit(query_vector, text, "minilm", rt.settings)
    return future.result


def meaning_search(rt: Runtime, query: PortalQuery) -> SearchResult:
    """Word hits fused with meaning hits (``indexer.meaning.hybrid_meaning_search``); word hits alone when
    the text model is unavailable."""
    vector = _vector_source(rt, query.text)
    try:
        clip = _clip_vector(rt, query.text)
    except (RuntimeError, ValueError) as exc:
        log.warning("CLIP scores left out of the fusion: %s", exc)
        clip = None
    engine = rt.search()
    floor, pool = meaning_floor(rt.settings), _meaning_pool if BESIDE else None
    try:
        return hybrid_meaning_search(engine.search, query, vector, floor, clip, executor=pool)
    except ValueError as exc:  # a CLIP vector of another dimension than the index: mid model switch
        log.warning("meaning search without CLIP scores: %s", exc)
        return hybrid_meaning_search(engine.search, query, vector, floor, executor=pool)
