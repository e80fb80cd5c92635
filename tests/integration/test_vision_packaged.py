"""The packaged offline model on the demo catalogue: transformed copies find their original, tags make
sense, near-duplicates cluster. The model loads once per module."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from tagging.autotag import Tagger
from tagging.base import TextNotSupported, flatten_rgb
from tagging.packaged import PackagedEmbedder
from tagging.similarity import near_duplicate_clusters, near_duplicate_threshold, top_k

IMAGES = Path(__file__).resolve().parents[2] / "portal" / "demo" / "catalog" / "images"


def _crop80(im: Image.Image) -> Image.Image:
    w, h = im.size
    return im.crop((round(w * 0.1), round(h * 0.1), round(w * 0.9), round(h * 0.9)))


def _half(im: Image.Image) -> Image.Image:
    return im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR)


def _jpeg40(im: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    flatten_rgb(im).save(buf, "JPEG", quality=40)
    return Image.open(io.BytesIO(buf.getvalue()))


def _bright15(im: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(flatten_rgb(im)).enhance(1.15)


def _all(im: Image.Image) -> Image.Image:
    return _jpeg40(_bright15(ImageOps.mirror(_half(_crop80(im)))))


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "crop 80%": _crop80,
    "resize 50%": _half,
    "jpeg q40": _jpeg40,
    "mirror": ImageOps.mirror,
    "brightness +15%": _bright15,
    "all five": _all,
}


@pytest.fixture(scope="module")
def model() -> PackagedEmbedder:
    return PackagedEmbedder(threads=2).load()


@pytest.fixture(scope="module")
def originals() -> list[tuple[str, Image.Image]]:
    """The demo images, byte-identical duplicates removed."""
    seen: set[str] = set()
    unique: list[tuple[str, Image.Image]] = []
    for path in sorted(IMAGES.glob("*.png")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            with Image.open(path) as img:
                img.load()
                unique.append((path.name, img))
    assert len(unique) >= 40
    return unique


@pytest.fixture(scope="module")
def original_vectors(model: PackagedEmbedder, originals: list[tuple[str, Image.Image]]) -> np.ndarray:
    return model.embed_images([img for _, img in originals])


@pytest.fixture(scope="module")
def copy_vectors(model: PackagedEmbedder, originals: list[tuple[str, Image.Image]]) -> dict[str, np.ndarray]:
    """Vectors of every original's transformed copy, per transform."""
    return {
        name: model.embed_images([transform(img) for _, img in originals])
        for name, transform in TRANSFORMS.items()
    }


def test_transformed_copies_find_their_original(
    copy_vectors: dict[str, np.ndarray], original_vectors: np.ndarray
) -> None:
    hits = total = 0
    lines = []
    for name, copies in copy_vectors.items():
        found = [top_k(vec, original_vectors, 1)[0][0] for vec in copies]
        ok = sum(1 for i, row in enumerate(found) if row == i)
        hits, total = hits + ok, total + len(found)
        lines.append(f"{name}: {ok}/{len(found)}")
    rate = hits / total
    print(f"\npackaged model, top-1 original for transformed copies: {rate:.1%} ({'; '.join(lines)})")
    assert rate >= 0.95


def test_near_duplicate_threshold_separates_copies_from_other_products(
    model: PackagedEmbedder, copy_vectors: dict[str, np.ndarray], original_vectors: np.ndarray
) -> None:
    threshold = near_duplicate_threshold(model.model_id)
    # Re-encoded, resized and mirrored copies are always flagged...
    for name in ("resize 50%", "jpeg q40", "mirror"):
        copies = copy_vectors[name]
        assert (np.sum(copies * original_vectors, axis=1) >= threshold).all()
    # ...while distinct demo images (colour variants included) rarely pair up above it.
    sims = original_vectors @ original_vectors.T
    pairs = sims[np.triu_indices(len(sims), 1)]
    assert np.mean(pairs >= threshold) <= 0.02


def test_hole_12_colour_variants_are_not_flagged_on_the_demo_catalogue(
    model: PackagedEmbedder, originals: list[tuple[str, Image.Image]], original_vectors: np.ndarray
) -> None:
    """Distinct demo pictures above the threshold all show different article numbers (which are never
    flagged); colour variants and other views of one article stay below it."""
    threshold = near_duplicate_threshold(model.model_id)
    article = [name.split("_", 1)[0] for name, _ in originals]
    sims = original_vectors @ original_vectors.T
    same_article = [
        (originals[i][0], originals[j][0], round(float(sims[i, j]), 3))
        for i, j in zip(*np.triu_indices(len(sims), 1), strict=True)
        if sims[i, j] >= threshold and article[i] == article[j]
    ]
    assert not same_article, same_article


def test_vectors_are_unit_mirror_invariant_and_batch_independent(
    model: PackagedEmbedder, originals: list[tuple[str, Image.Image]], original_vectors: np.ndarray
) -> None:
    assert original_vectors.shape == (len(originals), 1280)
    assert np.allclose(np.linalg.norm(original_vectors, axis=1), 1.0, atol=1e-5)
    img = originals[0][1]
    assert np.allclose(model.embed_images([ImageOps.mirror(img)])[0], original_vectors[0], atol=1e-4)
    model.batch_size = 4
    try:
        rebatched = model.embed_images([im for _, im in originals[:9]])
    finally:
        model.batch_size = 32
    assert np.allclose(rebatched, original_vectors[:9], atol=1e-4)
    with pytest.raises(TextNotSupported):
        model.embed_texts(["red sneaker"])


def test_clusters_group_byte_identical_duplicates(model: PackagedEmbedder) -> None:
    groups: dict[str, list[str]] = {}
    for path in sorted(IMAGES.glob("*.png")):
        groups.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), []).append(path.name)
    dupes = [names for names in groups.values() if len(names) > 1][:2]
    assert dupes, "the demo catalogue has byte-identical duplicates"
    singles = [names[0] for names in groups.values() if len(names) == 1][:4]
    subset = [n for names in dupes for n in names] + singles
    vectors = model.embed_images([Image.open(IMAGES / n) for n in subset])
    clusters = near_duplicate_clusters(subset, vectors, near_duplicate_threshold(model.model_id))
    for names in dupes:
        assert any(set(names) <= set(cluster) for cluster in clusters), (names, clusters)


def test_packaged_tags_make_sense(model: PackagedEmbedder) -> None:
    tagger = Tagger(model)
    names = {"98616713_1.png": "bottle", "76491340_2.png": "t-shirt", "993223583_3.png": "shoe"}
    analysis = tagger.analyze([Image.open(IMAGES / n) for n in names])
    assert analysis.model_id == "packaged:efficientnet-lite0"
    assert ((analysis.scores >= 0) & (analysis.scores <= 1)).all()
    for (name, expected), suggestions in zip(names.items(), analysis.suggestions, strict=True):
        tags = [s.tag for s in suggestions]
        assert expected in tags, (name, tags)
        assert "packshot" in tags, (name, tags)
    teal = [s.tag for s in analysis.suggestions[1]]
    assert "teal" in teal and "transparent background" in teal
    # The job's split path (preprocessing on decode threads, then the forward pass) gives the same.
    split = tagger.analyze_prepared([tagger.prepare(Image.open(IMAGES / n)) for n in names])
    assert np.allclose(split.vectors, analysis.vectors, atol=1e-6)
    assert np.allclose(split.scores, analysis.scores, atol=1e-6)
