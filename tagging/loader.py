"""Pick and load the configured vision model once per configuration (process-wide, thread-safe)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from tagging.base import Embedder, ModelUnavailable, VisionConfig

log = logging.getLogger(__name__)

KINDS = ("auto", "clip", "packaged", "off")

_cache: dict[VisionConfig, Any] = {}
_lock = threading.Lock()


def load_embedder(config: VisionConfig) -> Embedder | None:
    """The embedder ``config`` asks for, loaded, cached per configuration; None when ``kind`` is ``off``.

    ``auto`` loads CLIP and falls back to the packaged model when CLIP's weights cannot be loaded (unknown
    tag, missing file, not cached with no network); it logs which model it uses and why. ``clip`` and
    ``packaged`` raise ``ModelUnavailable`` when their model cannot be loaded; an unknown kind raises
    ``ValueError``.
    """
    kind = config.kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown vision model {config.kind!r}; use one of {', '.join(KINDS)}")
    if kind == "off":
        return None
    with _lock:
        cached = _cache.get(config)
        if cached is None:
            cached = _load(kind, config)
            _cache[config] = cached
    embedder: Embedder = cached
    return embedder


def clear_cache() -> None:
    """Forget every loaded embedder (tests; a settings change in a long-running process)."""
    with _lock:
        _cache.clear()


def describe(embedder: Embedder | None) -> str:
    """A line for the admin page: which model is in use, its vector size, text support and why it was
    chosen."""
    if embedder is None:
        return "vision features are off (ASSETPORT_VISION_MODEL=off)"
    describe_fn = getattr(embedder, "describe", None)
    text = describe_fn() if callable(describe_fn) else f"{embedder.model_id}, {embedder.dim}-d"
    note = getattr(embedder, "selection_note", "")
    return f"{text}. {note}" if note else str(text)


def _load(kind: str, config: VisionConfig) -> Any:
    if kind in ("auto", "clip"):
        from tagging.clip import ClipEmbedder

        clip = ClipEmbedder(
            config.clip_model, config.clip_pretrained, config.threads, config.cache_dir, config.runtime
        )
        try:
            clip.load()
        except ModelUnavailable as exc:
            if kind == "clip":
                raise
            log.warning("vision model: CLIP unavailable (%s); using the packaged EfficientNet-Lite0", exc)
            return _packaged(config, f"Chosen automatically: CLIP could not be loaded ({exc})")
        clip.selection_note = (
            "Chosen automatically: CLIP weights loaded" if kind == "auto" else "Configured: CLIP"
        )
        log.info("vision model: using %s (%s)", clip.model_id, clip.selection_note)
        return clip
    return _packaged(config, "Configured: packaged model")


def _packaged(config: VisionConfig, note: str) -> Any:
    from tagging.packaged import PackagedEmbedder

    packaged = PackagedEmbedder(config.threads, config.runtime, config.cache_dir).load()
    packaged.selection_note = note
    log.info("vision model: using %s (%s)", packaged.model_id, note)
    return packaged
