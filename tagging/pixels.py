"""Pixel statistics the packaged model uses for tags ImageNet classes cannot express: the product's
colours, its background, and whether it is a plain packshot. Cheap (a 96-px thumbnail) and
orientation-independent."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from tagging.base import flatten_rgb

THUMB = 96

# Reference colours (sRGB) for the default colour tags; a tag name not listed here scores 0.
REFERENCE_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (25, 25, 25),
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
    "red": (200, 40, 40),
    "orange": (240, 130, 30),
    "yellow": (240, 210, 40),
    "green": (50, 150, 70),
    "blue": (40, 80, 190),
    "purple": (120, 60, 160),
    "pink": (240, 140, 180),
    "brown": (120, 75, 40),
    "beige": (220, 200, 160),
    "teal": (40, 180, 170),
}


def small_copy(image: Image.Image) -> Image.Image:
    """The image scaled to at most ``THUMB`` px, what every statistic here looks at. Pass it instead of the
    image to compute several statistics of one image: each then skips its own (identical) downscale."""
    w, h = image.size
    if max(w, h) <= THUMB:
        return image.copy()
    scale = THUMB / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # What thumbnail() gives (same size rule, filter and reducing gap), without first copying the whole
    # image: the copy was a third of the cost for a 1280-px preview.
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _thumbnail(image: Image.Image) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """RGB (flattened onto white) and alpha in [0, 1] of a small copy of the image."""
    small = small_copy(image)
    if small.mode == "P" and "transparency" in small.info:
        small = small.convert("RGBA")
    alpha = (
        np.asarray(small.getchannel("A"), dtype=np.float32) / 255.0
        if small.mode in ("RGBA", "LA", "PA")
        else np.ones(small.size[::-1], dtype=np.float32)
    )
    rgb = np.asarray(flatten_rgb(small), dtype=np.float32)
    return rgb, alpha


def _border(a: NDArray[np.float32], width: int = 3) -> NDArray[np.float32]:
    return np.concatenate(
        [
            a[:width].reshape(-1, *a.shape[2:]),
            a[-width:].reshape(-1, *a.shape[2:]),
            a[:, :width].reshape(-1, *a.shape[2:]),
            a[:, -width:].reshape(-1, *a.shape[2:]),
        ]
    )


def background_scores(image: Image.Image) -> dict[str, float]:
    """Shares in [0, 1] of the image border that is transparent, white, one plain colour, or busy
    (a scene); the keys are the default background tag names."""
    rgb, alpha = _thumbnail(image)
    border_rgb, border_alpha = _border(rgb), _border(alpha)
    transparent = float(np.mean(border_alpha < 0.1))
    opaque = border_alpha >= 0.1
    if not opaque.any():
        return {
            "transparent background": transparent,
            "white background": 0.0,
            "coloured background": 0.0,
            "scene background": 0.0,
        }
    pixels = border_rgb[opaque]
    share = 1.0 - transparent
    white = float(np.mean(pixels.min(axis=1) >= 235)) * share
    median = np.median(pixels, axis=0)
    plain = float(np.mean(np.abs(pixels - median).max(axis=1) <= 24)) * share
    coloured = max(0.0, plain - white) if median.min() < 235 else 0.0
    scene = max(0.0, share - max(plain, white))
    return {
        "transparent background": transparent,
        "white background": white,
        "coloured background": coloured,
        "scene background": scene,
    }


def foreground_mask(rgb: NDArray[np.float32], alpha: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Pixels that differ from the (median border) background and are not transparent; everything when
    that leaves almost nothing (a full-bleed photo)."""
    background = np.median(_border(rgb), axis=0)
    mask = (alpha >= 0.5) & (np.abs(rgb - background).max(axis=2) > 30)
    if mask.mean() < 0.03:
        mask = alpha >= 0.5
    return mask


def colour_shares(image: Image.Image, names: list[str]) -> NDArray[np.float32]:
    """For each colour name, the share of foreground pixels whose nearest reference colour it is."""
    rgb, alpha = _thumbnail(image)
    mask = foreground_mask(rgb, alpha)
    pixels = rgb[mask]
    out = np.zeros(len(names), dtype=np.float32)
    if pixels.size == 0:
        return out
    refs = np.array(list(REFERENCE_COLOURS.values()), dtype=np.float32)
    # Squared distance less the pixel's own (constant per pixel) |p|^2: |r|^2 - 2 p.r, one small matrix
    # product. Pixel and reference values are integers, so every term is exact in float32 and the nearest
    # colour is the very one the direct (pixels x refs x 3) difference finds, ties included.
    nearest = np.argmin((refs**2).sum(axis=1)[None, :] - 2.0 * (pixels @ refs.T), axis=1)
    counts = np.bincount(nearest, minlength=len(refs)) / len(pixels)
    index = {name: i for i, name in enumerate(REFERENCE_COLOURS)}
    for k, name in enumerate(names):
        if name.lower() in index:
            out[k] = counts[index[name.lower()]]
    return out


def setting_scores(bg: dict[str, float]) -> dict[str, float]:
    """Packshot vs lifestyle from the background alone, given the image's ``background_scores`` (detail
    and group shots cannot be told apart by pixels and score 0)."""
    plain = bg["transparent background"] + bg["white background"] + bg["coloured background"]
    return {
        "packshot": min(1.0, plain),
        "lifestyle": bg["scene background"],
        "detail": 0.0,
        "group shot": 0.0,
    }
