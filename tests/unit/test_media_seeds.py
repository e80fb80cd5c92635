"""One verifying decode feeds the previews: same output as rendering from the file, seeds bounded."""

from __future__ import annotations

import threading
import time
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from portal.media.probe import probe_file
from portal.media.render import probe_with_base, render_from_base, render_previews
from portal.media.seeds import PreviewSeeds
from tests.helpers import ZOO

SAMPLES = [
    "hopper_orientation_7.jpg",
    "pil_sample_cmyk.jpg",
    "hopper_mask.png",
    "flower.webp",
    "imagedraw_polygon_width_I.tiff",
    "frame_size.mpo",
    "rgb.jpg",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_previews_from_probe_base_match_previews_from_file(name: str) -> None:
    path = ZOO / "good" / name
    info, base = probe_with_base(path, 50_000_000)
    assert base is not None
    assert info == probe_file(path, 50_000_000)
    seeded = render_from_base(base)
    direct = render_previews(path)
    for a, b in zip(seeded, direct, strict=True):
        assert (a.name, a.mime_type, a.width, a.height) == (b.name, b.mime_type, b.width, b.height)
        with Image.open(BytesIO(a.data)) as ia, Image.open(BytesIO(b.data)) as ib:
            diff = ImageChops.difference(ia.convert("RGB"), ib.convert("RGB"))
            assert max(ImageStat.Stat(diff).mean) < 2.0


def test_big_jpeg_probe_decodes_once_at_preview_scale(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    Image.linear_gradient("L").resize((3000, 2000)).convert("RGB").save(path, quality=80)
    info, base = probe_with_base(path, 50_000_000)
    assert (info.width, info.height) == (3000, 2000)
    assert base is not None and max(base.size) == 1280


def test_pdf_gives_no_base(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    Image.new("RGB", (40, 30), "blue").save(path, "PDF")
    info, base = probe_with_base(path, 50_000_000)
    assert info.format == "PDF" and base is None


def test_seed_cache_is_bounded_and_taken_once() -> None:
    now = [0.0]
    seeds = PreviewSeeds(capacity=2, max_age=60, clock=lambda: now[0])
    images = [Image.new("RGB", (2, 2)) for _ in range(4)]
    assert seeds.put(f"{0:064x}", images[0]) and seeds.put(f"{1:064x}", images[1])
    # Full: the entries already there are the next ones their jobs take, so the new one is refused.
    assert not seeds.put(f"{2:064x}", images[2])
    assert len(seeds) == 2
    assert seeds.take(f"{2:064x}") is None
    assert seeds.take(f"{0:064x}") is images[0]
    assert seeds.take(f"{0:064x}") is None  # taken once
    assert seeds.put(f"{2:064x}", images[2])  # room again
    # Entries nobody took expire, so they cannot block the cache.
    now[0] = 61.0
    assert seeds.put(f"{3:064x}", images[3])
    assert seeds.take(f"{1:064x}") is None and seeds.take(f"{2:064x}") is None
    assert seeds.take(f"{3:064x}") is images[3]


def test_a_full_cache_makes_the_producer_wait_while_entries_are_taken() -> None:
    """Backpressure: a put into a full cache waits for a take (a refused base costs its job a second
    decode of the file) instead of being refused at once."""
    seeds = PreviewSeeds(capacity=1)
    first, second = Image.new("RGB", (2, 2)), Image.new("RGB", (2, 2))
    assert seeds.put("a" * 64, first)
    seeds._last_take = time.monotonic()  # the takers are at work (as right after a take)
    taker = threading.Timer(0.2, seeds.take, args=("a" * 64,))
    started = time.monotonic()
    taker.start()
    assert seeds.put("b" * 64, second, wait=5.0)
    taker.join()
    assert 0.15 <= time.monotonic() - started < 5.0
    assert seeds.take("a" * 64) is None and seeds.take("b" * 64) is second


def test_a_full_cache_whose_takers_stalled_refuses_at_once() -> None:
    """Nothing taken for ``wait`` seconds (a job lane busy with something long): no wait at all."""
    seeds = PreviewSeeds(capacity=1)
    assert seeds.put("a" * 64, Image.new("RGB", (2, 2)))
    seeds._last_take = time.monotonic() - 10
    started = time.monotonic()
    assert not seeds.put("b" * 64, Image.new("RGB", (2, 2)), wait=1.0)
    assert time.monotonic() - started < 0.5
    assert len(seeds) == 1
