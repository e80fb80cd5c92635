"""The generated half of the media zoo (see tests/fixtures/media-zoo/LICENSE.md): clips, sounds and a
synthetic DNG made by PyAV and tifffile at test time, and hostile variants of every kind."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import av
import numpy as np
import tifffile

from tests.conftest import FIXTURES

ZOO = FIXTURES / "media-zoo"


def video(
    path: Path,
    *,
    codec: str = "libx264",
    fmt: str | None = None,
    size: tuple[int, int] = (320, 240),
    seconds: float = 1.0,
    fps: int = 25,
    audio: str | None = "aac",
    title: str | None = None,
) -> Path:
    """A short clip: moving bars over a gradient (not black, not flat), optionally with a 440 Hz tone."""
    w, h = size
    with av.open(str(path), "w", format=fmt) as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height = w, h
        vs.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if title:
            out.metadata["title"] = title
        aus = out.add_stream(audio, rate=48000, layout="stereo") if audio else None
        for i in range(max(1, int(seconds * fps))):
            img = np.zeros((h, w, 3), np.uint8)
            img[:, :, 0] = (np.arange(w)[None, :] * 255 // max(1, w)).astype(np.uint8)
            img[(i * 3) % h :, :, 1] = 180
            img[::8, :, 2] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if aus is not None:
            _tone(out, aus, seconds)
    return path


def _tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    rate = stream.codec_context.sample_rate
    size = stream.codec_context.frame_size or 1024
    t = np.arange(int(rate * seconds)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t) * np.minimum(1, t * 4)).astype(np.float32)
    fmt = stream.codec_context.format.name
    for k in range(0, len(wave) - size + 1, size):
        chunk = np.stack([wave[k : k + size]] * 2)
        if fmt == "s16":
            data = (chunk.T.reshape(1, -1) * 32767).astype(np.int16)
        elif fmt == "flt":
            data = chunk.T.reshape(1, -1)
        else:
            data = chunk
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="stereo")
        frame.sample_rate, frame.pts = rate, k
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def audio(path: Path, codec: str, fmt: str | None = None, rate: int = 48000, seconds: float = 1.0) -> Path:
    """A short 440 Hz tone in ``codec``."""
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="stereo")
        if codec == "libmp3lame":
            stream.codec_context.format = "fltp"
        _tone(out, stream, seconds)
    return path


def tag_mp3(path: Path, title: str, artist: str, copyright: str) -> Path:
    """Write ID3 title/artist/copyright with mutagen."""
    from mutagen.easyid3 import EasyID3
    from mutagen.id3 import ID3NoHeaderError

    try:
        tags = EasyID3(str(path))
    except ID3NoHeaderError:
        tags = EasyID3()
    tags["title"], tags["artist"], tags["copyright"] = title, artist, copyright
    tags.save(str(path))
    return path


def dng(path: Path, size: tuple[int, int] = (600, 400), seed: int = 1) -> Path:
    """A synthetic CFA (RGGB) DNG that LibRaw develops: a gradient with noise, 12-bit data."""
    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    cfa = ((x / w) * 3000 + (y / h) * 800 + 200).astype(np.uint16) + rng.integers(0, 50, (h, w), np.uint16)
    cfa[0::2, 1::2] = (cfa[0::2, 1::2] * 0.7).astype(np.uint16)
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    tags = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50708, "s", 0, "Assetport Synthetic", True),  # UniqueCameraModel
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50717, "I", 1, 4095, True),  # WhiteLevel
        (50721, "2i", 9, identity, True),  # ColorMatrix1
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
        (271, "s", 0, "Assetport", True),
        (272, "s", 0, "Synthetic", True),
    ]
    tifffile.imwrite(path, cfa, photometric=32803, extratags=tags)
    return path


def _patch_tiff_size(path: Path, width: int, height: int) -> None:
    """Rewrite ImageWidth/ImageLength of IFD0 in place (a RAW that lies about its size)."""
    data = bytearray(path.read_bytes())
    order = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack(order + "I", data[4:8])[0]
    count = struct.unpack(order + "H", data[offset : offset + 2])[0]
    for i in range(count):
        at = offset + 2 + 12 * i
        tag, _kind = struct.unpack(order + "HH", data[at : at + 4])
        if tag in (256, 257):
            value = width if tag == 256 else height
            data[at + 2 : at + 12] = struct.pack(order + "HII", 4, 1, value)
    path.write_bytes(bytes(data))


def good_samples(folder: Path) -> dict[str, Path]:
    """Every good generated sample by name (plus the committed vector and office ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {
        "clip.mp4": video(folder / "clip.mp4", title="Product spin"),
        "clip.webm": video(folder / "clip.webm", codec="libvpx-vp9", audio="libopus", fmt="webm"),
        "clip.mkv": video(folder / "clip.mkv", codec="mpeg4", audio=None, fmt="matroska"),
        "clip.avi": video(folder / "clip.avi", codec="mjpeg", audio=None, fmt="avi"),
        "clip.mov": video(folder / "clip.mov", fmt="mov", audio=None),
        "jingle.mp3": tag_mp3(
            audio(folder / "jingle.mp3", "libmp3lame", "mp3", 44100), "Jingle", "The Band", "CC0"
        ),
        "voice.wav": audio(folder / "voice.wav", "pcm_s16le", "wav"),
        "voice.flac": audio(folder / "voice.flac", "flac", "flac"),
        "voice.opus": audio(folder / "voice.opus", "libopus", "ogg"),
        "voice.m4a": audio(folder / "voice.m4a", "aac", "ipod"),
        "camera.dng": dng(folder / "camera.dng"),
    }  # fmt: skip
    for name in ("logo.svg", "logo.eps", "datasheet.docx", "launch.pptx", "prices.xlsx", "datasheet.odt",
                 "launch.odp"):  # fmt: skip
        out[name] = ZOO / name
    return out


def bad_samples(folder: Path) -> dict[str, Path]:
    """Hostile or broken files of every kind, each of which must be refused with a 4xx."""
    folder.mkdir(parents=True, exist_ok=True)
    clip = video(folder / "src.mp4", seconds=1.0)
    data = clip.read_bytes()
    out: dict[str, Path] = {}
    truncated = folder / "truncated.mp4"  # moov atom is at the end: cutting the file loses it
    truncated.write_bytes(data[: len(data) // 2])
    out["truncated.mp4"] = truncated
    mkv = video(folder / "src.mkv", codec="mpeg4", audio=None, fmt="matroska").read_bytes()
    rnd = random.Random(7)
    fuzzed = bytearray(mkv[:4]) + bytes(rnd.randrange(256) for _ in range(len(mkv) - 4))
    (folder / "fuzzed.mkv").write_bytes(bytes(fuzzed))
    out["fuzzed.mkv"] = folder / "fuzzed.mkv"
    out["huge.avi"] = video(folder / "huge.avi", codec="mjpeg", audio=None, fmt="avi", size=(8000, 4400),
                            seconds=0.04)  # fmt: skip
    (folder / "garbage.mp3").write_bytes(
        b"ID3\x04\x00\x00\x00\x00\x00\x10" + bytes(rnd.randrange(256) for _ in range(3000))
    )
    out["garbage.mp3"] = folder / "garbage.mp3"
    bomb = folder / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document>" + " " * 60_000_000 + "</w:document>")
    out["bomb.docx"] = bomb
    xxe = folder / "xxe.docx"
    with zipfile.ZipFile(xxe, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM '
                    '"file:///etc/passwd">]><d>&x;</d>')  # fmt: skip
    out["xxe.docx"] = xxe
    lying = dng(folder / "lying.dng")
    _patch_tiff_size(lying, 60000, 40000)
    out["lying.dng"] = lying
    truncated_raw = folder / "truncated.dng"
    truncated_raw.write_bytes(dng(folder / "t.dng").read_bytes()[:2000])
    out["truncated.dng"] = truncated_raw
    eps = folder / "truncated.eps"
    eps.write_bytes((ZOO / "logo.eps").read_bytes()[:120])
    out["truncated.eps"] = eps
    for name in ("bad-script.svg", "bad-onload.svg", "bad-xxe.svg", "bad-laughs.svg", "bad-external.svg"):
        out[name] = ZOO / name
    return out
