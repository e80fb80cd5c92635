"""Vision models (CLIP through open-clip-torch; the packaged offline model), auto-tagging, similarity and
near-duplicates. Never imports Flask; the portal calls in, never the other way.

Importing ``tagging`` is cheap: torch is imported only by ``tagging.clip``, ``tagging.packaged`` and
``tagging.autotag``'s model helpers, each of which imports ``tagging.compat`` first.

How the portal uses it (a batch of PIL images, e.g. in the embedding/tagging job)::

    from tagging.base import VisionConfig, ModelUnavailable, TextNotSupported
    from tagging.loader import load_embedder, describe
    from tagging.autotag import tagger_for
    from tagging.vocabulary import DEFAULT_VOCABULARY, Tag, parse_vocabulary_csv
    from tagging.similarity import near_duplicate_threshold, top_k, near_duplicate_clusters

    embedder = load_embedder(VisionConfig(kind=settings.vision_model, clip_model=..., clip_pretrained=...))
    if embedder is None:            # kind "off"
        return
    tagger = tagger_for(embedder, vocabulary)          # vocabulary: list[Tag] (DB rows or the default)
    result = tagger.analyze(images)                    # ONE forward pass per image
    result.model_id                                    # store with vectors and suggestions
    result.vectors                                     # (n, embedder.dim) float32, unit rows
    result.scores                                      # (n, len(vocabulary)) float32 in [0, 1]
    result.suggestions[i]                              # [Suggestion(tag, score)] >= threshold, best first

    describe(embedder)                                 # one line for the admin page
    if embedder.supports_text:                         # CLIP only; the packaged model raises TextNotSupported
        query_vector = embedder.embed_texts(["red sneaker on white"])[0]
    query_vector = embedder.embed_images([uploaded_image])[0]          # search by image

Images may be any PIL mode: transparency is flattened onto white. Decode and downscale big originals
(e.g. to the 1280-px preview) before calling; the models work at 224 px. Batches of ~32 are efficient;
``embed_images``/``analyze`` split longer lists themselves. Every model is loaded lazily under a lock and
is safe to call from several threads. ``ModelUnavailable`` means a model's weights cannot be loaded
(``load_embedder`` handles it for ``auto`` by falling back to the packaged model).
"""
