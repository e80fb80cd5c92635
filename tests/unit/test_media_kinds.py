"""Unit checks of the media-kind helpers: detection from bytes, bands, sizes and the limited subprocess."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from indexer.schema import duration_band, page_band
from portal.errors import RejectedFile
from portal.media import kinds, sandbox, vector
from portal.media.avtranscode import target_size
from portal.media.presets import BUILTIN, applies_to, validate
from tests.media_zoo import ZOO


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", True),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", False),  # a HEIF image
        (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", False),  # Canon CR3 raw
        (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01", True),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", True),
        (b"ID3\x04\x00", True),
        (b"\xff\xfb\x90\x64", True),  # MPEG audio frame sync
        (b"\xff\xd8\xff\xe0", False),  # JPEG
        (b"hello world", False),
    ],
)
def test_audio_and_video_containers_are_told_from_their_bytes(head: bytes, expected: bool) -> None:
    assert kinds.is_av(head) is expected


def test_detection_ignores_the_file_name(tmp_path: Path) -> None:
    fake = tmp_path / "logo.mp4"
    fake.write_bytes((ZOO / "logo.svg").read_bytes())
    assert kinds.detect(fake.read_bytes()[:4096], fake) == (kinds.SVG, "SVG")
    pptx = tmp_path / "slides.jpg"
    pptx.write_bytes((ZOO / "launch.pptx").read_bytes())
    assert kinds.detect(pptx.read_bytes()[:4096], pptx) == (kinds.OFFICE, "PPTX")


def test_bands() -> None:
    assert [duration_band(s) for s in (None, 5, 30, 90, 600, 3600)] == [
        None, "<10 s", "10-60 s", "1-5 min", "5-30 min", ">30 min",
    ]  # fmt: skip
    assert [page_band(p) for p in (None, 1, 3, 10, 50)] == [
        None,
        "1 page",
        "2-5 pages",
        "6-20 pages",
        ">20 pages",
    ]


def test_video_target_size_is_even_and_never_enlarged() -> None:
    assert target_size(1920, 1080, 720) == (1280, 720)
    assert target_size(640, 360, 720) == (640, 360)
    assert target_size(1281, 961, 720) == (960, 720)
    assert target_size(1283, 720, 1080) == (1282, 720)


def test_presets_fit_their_kinds() -> None:
    assert applies_to(BUILTIN["video-720"], "video") and not applies_to(BUILTIN["video-720"], "image")
    assert applies_to(BUILTIN["audio-web"], "audio") and applies_to(BUILTIN["audio-web"], "video")
    assert applies_to(BUILTIN["web"], "vector") and not applies_to(BUILTIN["print"], "audio")
    assert all(not validate(spec) for spec in BUILTIN.values())


def test_svg_with_a_css_external_url_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://x/y)"/></svg>')
    with pytest.raises(RejectedFile, match="external"):
        vector.check_svg(path)
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(#g)"/></svg>')
    assert vector.check_svg(path)[1].width is None


def test_a_runaway_converter_is_killed_at_its_time_limit(tmp_path: Path) -> None:
    with pytest.raises(RejectedFile, match="longer than"):
        sandbox.run_limited(
            [sys.executable, "-c", "while True: pass"], cwd=tmp_path, timeout_s=1, label="test"
        )


def test_a_converter_over_its_memory_limit_fails_cleanly(tmp_path: Path) -> None:
    grab = "x = bytearray(600 * 1024 * 1024)"
    with pytest.raises(RejectedFile, match="failed"):
        sandbox.run_limited(
            [sys.executable, "-c", grab], cwd=tmp_path, timeout_s=20, memory_bytes=400 * 2**20
        )


@pytest.mark.parametrize(
    "style",
    ["fill:url(#g);stroke:url(http://x/y)", "fill:URL(http://x/y)", "fill:url( 'https://x/y' )"],
)
def test_svg_with_an_external_url_beside_an_internal_one_is_refused(tmp_path: Path, style: str) -> None:
    # The former check accepted any attribute holding one url(#...) whatever else it held, and was
    # case-sensitive; CSS is not.
    path = tmp_path / "x.svg"
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><rect style="{style}"/></svg>')
    with pytest.raises(RejectedFile, match="external resource"):
        vector.check_svg(path)


def test_svg_sizes_with_spaces_and_hostile_runs(tmp_path: Path) -> None:
    path = tmp_path / "x.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width=" 10 mm " height="20px"/>')
    assert (vector.check_svg(path)[1].width, vector.check_svg(path)[1].height) == (38, 20)
    # Runs that made the former patterns quadratic (a 20 MB SVG held its upload for days): refused or
    # sizeless at once. No timing asserted; before the fix this test ran for about a minute.
    spaces = "1" + " " * 200_000 + "x"
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{spaces}" height="{spaces}"/>')
    assert vector.check_svg(path)[1].width is None
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="{"url(#" * 40_000}"/></svg>')
    assert vector.check_svg(path)[1].width is None
