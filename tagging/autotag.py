"""Auto-tagging: calibrated scores in [0, 1] for every vocabulary tag, and suggestions above each tag's
threshold. One forward pass per image yields the vector and the scores (``Tagger.analyze``).

CLIP: zero-shot with prompt ensembles. Each tag's text vector is the renormalised mean of its prompts
filled into several templates. A tag's score is a softmax, at CLIP's own temperature, over the tags of its
group plus a neutral "a product" prompt, so 0.5 means "clearly the best fit in its group".

Packaged model (no text tower): ``object``/``material`` tags score the ImageNet probability mass of the
classes whose names MiniLM finds close to the tag's prompts; ``colour``, ``background`` and ``setting``
tags come from pixel statistics (``tagging.pixels``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from tagging import pixels
from tagging.base import Embedder, TextNotSupported, Vectors, chunks, normalize_rows
from tagging.classmap import class_mapping
from tagging.vocabulary import DEFAULT_VOCABULARY, Tag

Scores = NDArray[np.float32]

TEMPLATES = (
    "a photo of a {}.",
    "a product photo of a {}.",
    "a studio photo of a {}.",
    "a close-up photo of a {}.",
    "an e-commerce photo of a {}.",
)
NEUTRAL_PROMPT = "product"


@dataclass(frozen=True)
class Suggestion:
    """A tag proposed for an image with its calibrated score in [0, 1]."""

    tag: str
    score: float


@dataclass(frozen=True)
class Prepared:
    """One image after ``Tagger.prepare``: the model's input (a preprocessed tensor, or the image itself
    for embedders without a separate preprocessing step) and, for the packaged model, its pixel-statistic
    tag scores (one per vocabulary tag)."""

    model_input: Any
    extra: NDArray[np.float32] | None


@dataclass
class Analysis:
    """The result of one pass over a batch: unit vectors (n, dim), tag scores (n, len(vocabulary)) and,
    per image, the suggestions at or above their tag's threshold, best first."""

    model_id: str
    vectors: Vectors
    scores: Scores
    suggestions: list[list[Suggestion]]


class Tagger:
    """Scores a vocabulary with one embedder. Text/class mappings are computed once per Tagger (lazily,
    locked), so keep one per (embedder, vocabulary); ``tagger_for`` caches them."""

    def __init__(self, embedder: Embedder, vocabulary: Sequence[Tag] | None = None) -> None:
        self.embedder = embedder
        self.vocabulary: list[Tag] = list(vocabulary if vocabulary is not None else DEFAULT_VOCABULARY)
        self._lock = threading.Lock()
        self._text: Vectors | None = None
        self._neutral: Vectors | None = None
        self._class_map: NDArray[np.float32] | None = None

    @property
    def model_id(self) -> str:
        """The embedder's model id (store it with vectors and suggestions)."""
        return self.embedder.model_id

    def analyze(self, images: Sequence[Image.Image]) -> Analysis:
        """Vectors, scores and suggestions for a batch of PIL images, one forward pass per image."""
        return self.analyze_prepared([self.prepare(image) for image in images])

    def prepare(self, image: Image.Image) -> Prepared:
        """Everything about one image that is not the forward pass: the model's input tensor and (packaged
        model) the pixel-statistic scores. Thread-safe and GIL-light, so a job runs it on its decode
        threads while the model works on the previous batch; ``analyze_prepared`` does the rest."""
        mode = self._mode()
        if mode == "generic":
            return Prepared(image, None)
        tensor = self.embedder.preprocess([image])[0]  # type: ignore[attr-defined]
        return Prepared(tensor, self._pixel_scores(image) if mode == "packaged" else None)

    def analyze_prepared(self, prepared: Sequence[Prepared]) -> Analysis:
        """``analyze`` for images already through ``prepare``: the forward passes (in batches of the
        embedder's ``batch_size``) and the tag scores."""
        if not prepared:
            return Analysis(
                self.model_id, np.zeros((0, self.embedder.dim), np.float32), self._no_scores(), []
            )
        mode = self._mode()
        if mode == "generic":
            images = [p.model_input for p in prepared]
            analyze_fn = getattr(self.embedder, "analyze", None)
            if self.embedder.supports_text or not callable(analyze_fn):
                vectors = self.embedder.embed_images(images)
                scores = self.score_vectors(vectors)
            else:
                vectors, probs = analyze_fn(images)
                scores = self._packaged_scores(images, probs)
            return Analysis(self.model_id, vectors, scores, self.suggest(scores))
        size = int(getattr(self.embedder, "batch_size", 32))
        batches = [torch_stack([p.model_input for p in part]) for part in chunks(prepared, size)]
        if mode == "clip":
            vectors = np.concatenate([self.embedder.embed_tensor(b) for b in batches])  # type: ignore[attr-defined]
            scores = self.score_vectors(vectors)
        else:
            parts = [self.embedder.forward(b) for b in batches]  # type: ignore[attr-defined]
            vectors = np.concatenate([v for v, _ in parts])
            extra = np.stack([p.extra for p in prepared if p.extra is not None])
            scores = self._semantic_scores(np.concatenate([c for _, c in parts]), extra)
        return Analysis(self.model_id, vectors, scores, self.suggest(scores))

    def _mode(self) -> str:
        """``clip`` / ``packaged`` when the embedder splits preprocessing from its forward pass, else
        ``generic`` (any other ``Embedder``: images go straight to ``embed_images``/``analyze``)."""

        def has(name: str) -> bool:
            return callable(getattr(self.embedder, name, None))

        if has("preprocess") and self.embedder.supports_text and has("embed_tensor"):
            return "clip"
        if has("preprocess") and not self.embedder.supports_text and has("forward"):
            return "packaged"
        return "generic"

    def _no_scores(self) -> Scores:
        return np.zeros((0, len(self.vocabulary)), dtype=np.float32)

    def score_vectors(self, vectors: Vectors) -> Scores:
        """CLIP tag scores from stored image vectors (no image needed); ``TextNotSupported`` otherwise."""
        if not self.embedder.supports_text:
            raise TextNotSupported(f"{self.model_id} scores tags from images, not from stored vectors")
        text, neutral = self._text_vectors()
        scale = float(getattr(self.embedder, "logit_scale", 100.0))
        logits = scale * (np.asarray(vectors, dtype=np.float32) @ text.T)
        neutral_logits = scale * (np.asarray(vectors, dtype=np.float32) @ neutral.T)[:, 0]
        scores = np.zeros_like(logits)
        for columns in self._groups().values():
            group = np.concatenate([logits[:, columns], neutral_logits[:, None]], axis=1)
            group -= group.max(axis=1, keepdims=True)  # stable softmax
            exp = np.exp(group)
            scores[:, columns] = (exp / exp.sum(axis=1, keepdims=True))[:, :-1]
        return scores.astype(np.float32)

    def suggest(self, scores: Scores) -> list[list[Suggestion]]:
        """Per image, the tags whose score reaches their threshold, best first (ties by name)."""
        result = []
        for row in np.asarray(scores):
            hits = [
                Suggestion(tag.name, round(float(s), 4))
                for tag, s in zip(self.vocabulary, row, strict=True)
                if s >= tag.threshold and s > 0
            ]
            result.append(sorted(hits, key=lambda h: (-h.score, h.tag)))
        return result

    # -- CLIP -----------------------------------------------------------------------------------------
    def _text_vectors(self) -> tuple[Vectors, Vectors]:
        with self._lock:
            if self._text is None or self._neutral is None:
                self._text = np.stack([self._ensemble(tag.texts()) for tag in self.vocabulary])
                self._neutral = self._ensemble([NEUTRAL_PROMPT])[None, :]
            return self._text, self._neutral

    def _ensemble(self, phrases: Sequence[str]) -> NDArray[np.float32]:
        texts = [template.format(p) for p in phrases for template in TEMPLATES]
        mean = self.embedder.embed_texts(texts).mean(axis=0, keepdims=True)
        return normalize_rows(mean)[0]

    def _groups(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for i, tag in enumerate(self.vocabulary):
            groups.setdefault(tag.group, []).append(i)
        return groups

    # -- packaged -------------------------------------------------------------------------------------
    def _packaged_scores(self, images: Sequence[Image.Image], probs: NDArray[np.float32]) -> Scores:
        extra = np.stack([self._pixel_scores(image) for image in images]) if images else self._no_scores()
        return self._semantic_scores(probs, extra)

    def _semantic_scores(self, probs: NDArray[np.float32], extra: Scores) -> Scores:
        """Pixel-statistic scores (colour, background, setting columns) plus object/material scores from
        the ImageNet class probabilities; the groups' columns are disjoint."""
        scores = np.array(extra, dtype=np.float32, copy=True)
        semantic = [i for i, t in enumerate(self.vocabulary) if t.group in ("object", "material")]
        if semantic:
            scores[:, semantic] = np.clip(probs @ self._class_mapping()[semantic].T, 0.0, 1.0)
        return scores

    def _pixel_scores(self, image: Image.Image) -> NDArray[np.float32]:
        """One image's colour, background and setting scores (0 in every other column)."""
        row = np.zeros(len(self.vocabulary), dtype=np.float32)
        image = pixels.small_copy(image)  # once for all statistics (each would downscale it again)
        colours = [i for i, t in enumerate(self.vocabulary) if t.group == "colour"]
        if colours:
            row[colours] = pixels.colour_shares(image, [self.vocabulary[i].name for i in colours])
        background = pixels.background_scores(image)
        by_name = {**background, **pixels.setting_scores(background)}
        for i, tag in enumerate(self.vocabulary):
            if tag.group in ("background", "setting"):
                row[i] = by_name.get(tag.name.lower(), 0.0)
        return row

    def _class_mapping(self) -> NDArray[np.float32]:
        """(tags x 1000) weights in [0, 1]: how much each ImageNet class speaks for each tag."""
        with self._lock:
            if self._class_map is None:
                self._class_map = class_mapping(self.vocabulary)
            return self._class_map


def torch_stack(tensors: Sequence[Any]) -> Any:
    """``torch.stack`` with torch imported only when a model actually runs (importing ``tagging`` stays
    cheap)."""
    import torch

    return torch.stack(list(tensors))


_taggers: dict[tuple[int, tuple[Tag, ...]], Tagger] = {}
_taggers_lock = threading.Lock()


def tagger_for(embedder: Embedder, vocabulary: Sequence[Tag] | None = None) -> Tagger:
    """A cached Tagger for this embedder and vocabulary (text vectors are computed once)."""
    vocab = tuple(vocabulary if vocabulary is not None else DEFAULT_VOCABULARY)
    key = (id(embedder), vocab)
    with _taggers_lock:
        tagger = _taggers.get(key)
        if tagger is None or tagger.embedder is not embedder:
            if len(_taggers) > 16:
                _taggers.clear()  # vocabularies change rarely; a tiny cache is plenty
            tagger = _taggers[key] = Tagger(embedder, vocab)
        return tagger


def score_tags(
    embedder: Embedder,
    images_or_vectors: Sequence[Image.Image] | Vectors,
    vocabulary: Sequence[Tag] | None = None,
) -> list[list[Suggestion]]:
    """Suggestions per image. CLIP accepts images or stored vectors; the packaged model needs images."""
    tagger = tagger_for(embedder, vocabulary)
    if isinstance(images_or_vectors, np.ndarray):
        return tagger.suggest(tagger.score_vectors(images_or_vectors))
    return tagger.analyze(list(images_or_vectors)).suggestions
