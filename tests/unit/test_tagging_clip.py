"""The CLIP pipeline against open_clip itself, on a tiny randomly initialised model saved to a local file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tagging import compat  # noqa: F401  (before open_clip imports torchvision)

# isort: split
import open_clip
import torch

from tagging.autotag import TEMPLATES, Tagger, score_tags
from tagging.base import ModelUnavailable, VisionConfig
from tagging.clip import ClipEmbedder
from tagging.loader import clear_cache, describe, load_embedder
from tagging.vocabulary import Tag

TINY = "assetport-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "head_width": 32, "patch_size": 8},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random CLIP registered with open_clip and saved as a local checkpoint."""
    folder = tmp_path_factory.mktemp("tiny-clip")
    (folder / f"{TINY}.json").write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(folder)
    torch.manual_seed(7)
    model, _, _ = open_clip.create_model_and_transforms(TINY)
    path = folder / "tiny.pt"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def reference(tiny_checkpoint: Path) -> tuple[torch.nn.Module, object, object]:
    """open_clip's own model, transform and tokenizer for the same weights."""
    model, _, preprocess = open_clip.create_model_and_transforms(TINY, pretrained=str(tiny_checkpoint))
    return model.eval(), preprocess, open_clip.get_tokenizer(TINY)


@pytest.fixture(scope="module")
def embedder(tiny_checkpoint: Path) -> ClipEmbedder:
    return ClipEmbedder(TINY, str(tiny_checkpoint), threads=1).load()


def _images(count: int) -> list[Image.Image]:
    rng = np.random.default_rng(3)
    sizes = [(48, 40), (64, 64), (33, 90), (120, 80), (40, 40), (70, 50), (50, 70)]
    return [
        Image.fromarray(rng.integers(0, 256, (*sizes[i % len(sizes)][::-1], 3), dtype=np.uint8))
        for i in range(count)
    ]


def _normalise(t: torch.Tensor) -> np.ndarray:
    return (t / t.norm(dim=-1, keepdim=True)).numpy()


def test_image_vectors_equal_open_clip(embedder: ClipEmbedder, reference: tuple) -> None:
    model, preprocess, _ = reference
    images = _images(5)
    with torch.no_grad():
        expected = _normalise(model.encode_image(torch.stack([preprocess(i) for i in images])))
    ours = embedder.embed_images(images)
    assert ours.shape == (5, 32) and ours.dtype == np.float32
    assert np.allclose(ours, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_text_vectors_equal_open_clip(embedder: ClipEmbedder, reference: tuple) -> None:
    model, _, tokenizer = reference
    texts = ["a red sneaker on white", "blue t-shirt", "a bottle of orange juice"]
    with torch.no_grad():
        expected = _normalise(model.encode_text(tokenizer(texts)))
    assert np.allclose(embedder.embed_texts(texts), expected, atol=1e-5)


def test_batching_matches_one_by_one(embedder: ClipEmbedder) -> None:
    images = _images(7)
    embedder.batch_size = 3
    try:
        batched = embedder.embed_images(images)
    finally:
        embedder.batch_size = 32
    single = np.concatenate([embedder.embed_images([img]) for img in images])
    assert np.allclose(batched, single, atol=1e-5)
    assert embedder.embed_images([]).shape == (0, 32)


def test_transparency_is_flattened_onto_white(embedder: ClipEmbedder) -> None:
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    white = Image.new("RGB", (40, 40), (255, 255, 255))
    assert np.allclose(embedder.embed_images([rgba]), embedder.embed_images([white]), atol=1e-6)


def test_model_id_names_the_checkpoint_hash(embedder: ClipEmbedder, tiny_checkpoint: Path) -> None:
    import hashlib

    sha = hashlib.sha256(tiny_checkpoint.read_bytes()).hexdigest()[:12]
    assert embedder.model_id == f"clip:{TINY}:{sha}"
    assert embedder.dim == 32 and embedder.supports_text


def _expected_scores(reference: tuple, vocab: list[Tag], vectors: np.ndarray) -> np.ndarray:
    """Zero-shot scores computed independently from open_clip: per tag the renormalised mean of its
    prompt x template text vectors; softmax at the model's temperature over the group plus 'product'."""
    model, _, tokenizer = reference

    def ensemble(phrases: list[str]) -> np.ndarray:
        with torch.no_grad():
            t = _normalise(model.encode_text(tokenizer([tp.format(p) for p in phrases for tp in TEMPLATES])))
        mean = t.mean(axis=0)
        return mean / np.linalg.norm(mean)

    text = np.stack([ensemble(tag.texts()) for tag in vocab])
    neutral = ensemble(["product"])
    scale = float(model.logit_scale.exp().item())
    logits = np.concatenate([vectors @ text.T, (vectors @ neutral)[:, None]], axis=1) * scale
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True))[:, :-1]


def test_zero_shot_scores_and_thresholds(embedder: ClipEmbedder, reference: tuple) -> None:
    vocab = [Tag("sneaker", ["sneaker", "running shoe"]), Tag("bottle", []), Tag("t-shirt", ["tee"])]
    images = _images(3)
    analysis = Tagger(embedder, vocab).analyze(images)
    expected = _expected_scores(reference, vocab, analysis.vectors)
    assert np.allclose(analysis.scores, expected, atol=1e-5)
    assert ((analysis.scores >= 0) & (analysis.scores <= 1)).all()

    # Thresholds just below / above the actual scores of image 0: only the first tag is suggested.
    s = analysis.scores[0]
    tuned = [
        Tag("sneaker", ["sneaker", "running shoe"], threshold=float(s[0]) - 1e-4),
        Tag("bottle", [], threshold=float(s[1]) + 1e-4),
        Tag("t-shirt", ["tee"], threshold=1.0),
    ]
    suggestions = score_tags(embedder, [images[0]], tuned)
    assert [x.tag for x in suggestions[0]] == ["sneaker"]
    assert suggestions[0][0].score == pytest.approx(float(s[0]), abs=1e-4)
    # Stored vectors score the same as images.
    from_vectors = score_tags(embedder, analysis.vectors[:1], tuned)
    assert [x.tag for x in from_vectors[0]] == ["sneaker"]


def test_missing_file_and_unknown_tag_are_model_unavailable(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist"):
        ClipEmbedder(TINY, str(tmp_path / "missing.pt")).load()
    with pytest.raises(ModelUnavailable, match="unknown pretrained tag"):
        ClipEmbedder("ViT-B-32", "no-such-tag").load()
    with pytest.raises(ModelUnavailable, match="unknown CLIP model"):
        ClipEmbedder("no-such-model", str(tiny_checkpoint)).load()
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelUnavailable):
        ClipEmbedder(TINY, str(corrupt)).load()
    # A real hub tag that is not cached, offline: fails at once instead of retrying for a minute.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="not cached"):
        ClipEmbedder("ViT-B-32", "laion2b_s34b_b79k", cache_dir=str(tmp_path / "cache")).load()


def test_loader_picks_clip_and_falls_back_to_packaged(tmp_path: Path, tiny_checkpoint: Path) -> None:
    clear_cache()
    try:
        assert load_embedder(VisionConfig(kind="off")) is None
        clip = load_embedder(VisionConfig(kind="auto", clip_model=TINY, clip_pretrained=str(tiny_checkpoint)))
        assert clip is not None and clip.model_id.startswith(f"clip:{TINY}:")
        assert "CLIP weights loaded" in describe(clip)
        again = load_embedder(
            VisionConfig(kind="auto", clip_model=TINY, clip_pretrained=str(tiny_checkpoint))
        )
        assert again is clip  # cached per configuration

        missing = str(tmp_path / "missing.pt")
        fallback = load_embedder(VisionConfig(kind="auto", clip_model=TINY, clip_pretrained=missing))
        assert fallback is not None and fallback.model_id == "packaged:efficientnet-lite0"
        assert not fallback.supports_text
        assert "CLIP could not be loaded" in describe(fallback) and "does not exist" in describe(fallback)

        with pytest.raises(ModelUnavailable):
            load_embedder(VisionConfig(kind="clip", clip_model=TINY, clip_pretrained=missing))
        with pytest.raises(ValueError, match="unknown vision model"):
            load_embedder(VisionConfig(kind="bogus"))
        assert "off" in describe(None)
    finally:
        clear_cache()


def test_prepare_then_analyze_prepared_equals_analyze(embedder: ClipEmbedder) -> None:
    # The tagging job preprocesses on its decode threads; the result must be the one-call result.
    tagger = Tagger(embedder, [Tag("shoe", "object", 0.0), Tag("bag", "object", 0.0)])
    images = _images(5)
    whole = tagger.analyze(images)
    split = tagger.analyze_prepared([tagger.prepare(img) for img in images])
    assert np.allclose(whole.vectors, embedder.embed_images(images), atol=1e-5)
    assert np.allclose(split.vectors, whole.vectors, atol=1e-6)
    assert np.allclose(split.scores, whole.scores, atol=1e-6)
    assert tagger.analyze_prepared([]).vectors.shape == (0, 32)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_onnx_runtime_vectors_match_open_clip(embedder: ClipEmbedder, reference: tuple) -> None:
    """The default runtime is ONNX Runtime; both towers agree with open_clip's encode_image(preprocess(img))
    and encode_text(tokenize(t)) to cosine >= 0.999 (fp32)."""
    model, preprocess, tokenizer = reference
    assert embedder.inference_runtime == "onnx" and "runs on onnx" in embedder.describe()
    images = _images(7)
    texts = ["a red sneaker on white", "blue t-shirt", "a bottle of orange juice", "x"]
    with torch.no_grad():
        image_ref = model.encode_image(torch.stack([preprocess(i) for i in images])).numpy()
        text_ref = model.encode_text(tokenizer(texts)).numpy()
    assert _cosines(embedder.embed_images(images), image_ref).min() >= 0.999
    assert _cosines(embedder.embed_texts(texts), text_ref).min() >= 0.999


def _own_copy(checkpoint: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / checkpoint.name
    copy.write_bytes(checkpoint.read_bytes())
    return copy


def test_onnx_graphs_are_cached_by_weights_hash(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """Graphs are exported once, next to the weights, per model id and weights hash; other weights get
    their own files; the torch runtime exports nothing and gives the same vectors."""
    weights = _own_copy(tiny_checkpoint, tmp_path / "w")
    cache = tmp_path / "w" / "onnx"
    first = ClipEmbedder(TINY, str(weights), threads=1, cache_dir=str(tmp_path / "c")).load()
    files = sorted(cache.glob("*.onnx"))
    assert len(files) == 2 and {f.name.split(".")[-4] for f in files} == {"image", "text"}
    stamps = [f.stat().st_mtime_ns for f in files]
    again = ClipEmbedder(TINY, str(weights), threads=1).load()
    assert [f.stat().st_mtime_ns for f in sorted(cache.glob("*.onnx"))] == stamps
    images = _images(3)
    assert np.allclose(first.embed_images(images), again.embed_images(images), atol=1e-6)

    torch.manual_seed(11)
    other_model, _, _ = open_clip.create_model_and_transforms(TINY)
    other = tmp_path / "w" / "other.pt"
    torch.save(other_model.state_dict(), other)
    ClipEmbedder(TINY, str(other), threads=1).load()
    assert len(list(cache.glob("*.onnx"))) == 4

    plain_weights = _own_copy(tiny_checkpoint, tmp_path / "t")
    plain = ClipEmbedder(TINY, str(plain_weights), threads=1, runtime="torch")
    assert plain.load().inference_runtime == "torch" and not (tmp_path / "t" / "onnx").exists()
    assert _cosines(plain.embed_images(images), first.embed_images(images)).min() >= 0.999


def test_corrupt_graph_is_exported_again(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """A damaged cached graph is not fatal: it is exported again."""
    weights = _own_copy(tiny_checkpoint, tmp_path / "w")
    ClipEmbedder(TINY, str(weights), threads=1).load()
    for path in (tmp_path / "w" / "onnx").glob("*.onnx"):
        path.write_bytes(b"not a graph")
    mended = ClipEmbedder(TINY, str(weights), threads=1).load()
    assert mended.inference_runtime == "onnx"
    assert mended.embed_images(_images(2)).shape == (2, 32)
    assert all(p.read_bytes() != b"not a graph" for p in (tmp_path / "w" / "onnx").glob("*.onnx"))
