"""The vision model of this process: configured by the settings, loaded once, shared by jobs and pages.

Loading a model takes seconds and hundreds of megabytes, so one embedder per configuration is kept for the
life of the process (tests with the same tiny model share it too). ``off`` means no model: no embeddings,
no suggestions, no similarity; pages say so instead of failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from portal.errors import PortalError
from portal.settings import Settings
from tagging.base import Embedder, VisionConfig
from tagging.loader import KINDS, describe, load_embedder

log = logging.getLogger(__name__)


class VisionUnavailable(PortalError):
    """Vision is switched off, or the configured model could not be loaded."""

    status = 503
    code = "vision_unavailable"


@dataclass(frozen=True)
class ModelInfo:
    """What the admin page says about the active model."""

    kind: str
    model_id: str | None
    dim: int | None
    supports_text: bool
    detail: str


def vision_config(settings: Settings) -> VisionConfig:
    """The tagging package's configuration from ``ASSETPORT_VISION_MODEL`` / ``CLIP_*`` settings."""
    kind = (settings.vision_model or "auto").strip().lower()
    if kind not in KINDS:
        raise VisionUnavailable(f"ASSETPORT_VISION_MODEL must be one of {', '.join(KINDS)}, not {kind!r}")
    return VisionConfig(
        kind=kind,
        clip_model=settings.clip_model,
        clip_pretrained=settings.clip_pretrained,
        threads=settings.vision_threads,
        cache_dir=str(settings.instance_dir / "models"),
        runtime="torch" if settings.vision_runtime.strip().lower() == "torch" else "onnx",
    )


def vision_enabled(settings: Settings) -> bool:
    """False when vision is switched off (nothing is embedded, no job is queued)."""
    return (settings.vision_model or "auto").strip().lower() != "off"


def embedder(settings: Settings) -> Embedder:
    """The loaded model for these settings (loaded on first use, then shared: ``load_embedder`` caches it
    per configuration); VisionUnavailable when off."""
    config = vision_config(settings)
    try:
        loaded = load_embedder(config)
    except (OSError, RuntimeError, ValueError) as exc:  # ModelUnavailable is a RuntimeError
        raise VisionUnavailable(f"the vision model could not be loaded: {exc}") from exc
    if loaded is None:
        raise VisionUnavailable("vision is switched off (ASSETPORT_VISION_MODEL=off)")
    return loaded


def maybe_embedder(settings: Settings) -> Embedder | None:
    """The model, or None when vision is off or the model cannot be loaded (logged)."""
    if not vision_enabled(settings):
        return None
    try:
        return embedder(settings)
    except VisionUnavailable as exc:
        log.warning("vision unavailable: %s", exc.message)
        return None


def active_model_id(settings: Settings) -> str | None:
    """The model id vectors are stored and indexed under, or None without a model."""
    model = maybe_embedder(settings)
    return model.model_id if model is not None else None


def model_info(settings: Settings) -> ModelInfo:
    """The active model described for the admin page (``off`` and load failures included)."""
    kind = (settings.vision_model or "auto").strip().lower()
    if kind == "off":
        return ModelInfo(kind, None, None, False, "Vision is switched off (ASSETPORT_VISION_MODEL=off).")
    try:
        model = embedder(settings)
    except VisionUnavailable as exc:
        return ModelInfo(kind, None, None, False, exc.message)
    return ModelInfo(kind, model.model_id, model.dim, model.supports_text, describe(model))
