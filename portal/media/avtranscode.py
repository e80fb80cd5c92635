"""Web renditions of audio and video with PyAV: MP4 (H.264 + AAC, faststart) and M4A (AAC).

The same settings as ``ffmpeg -c:v libx264 -preset veryfast -crf 23 -c:a aac -b:a 128k -movflags
+faststart``: decoding and encoding are multi-threaded inside FFmpeg, frames are scaled with swscale.
Output time is bounded by ``MAX_DURATION_S``; ``progress`` is told the fraction done now and then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import av

from portal.errors import RejectedFile
from portal.media.avmedia import (
    _AV_ERRORS,
    MAX_DURATION_S,
    _check_video_size,
    _duration,
    _open,
    _reason,
    _video_stream,
)

log = logging.getLogger(__name__)

VIDEO_CRF: Final = "23"
VIDEO_PRESET: Final = "veryfast"
AUDIO_BITRATE: Final = 128_000
AUDIO_RATE: Final = 48_000
Progress = Callable[[float], None]


@dataclass(frozen=True)
class Transcoded:
    """What was written: frame size (0 for audio) and duration in seconds."""

    width: int
    height: int
    duration_s: float


def target_size(width: int, height: int, max_height: int | None) -> tuple[int, int]:
    """Even frame size with at most ``max_height`` lines (never enlarged), aspect ratio kept."""
    if max_height and height > max_height:
        width, height = round(width * max_height / height), max_height
    return max(2, width - width % 2), max(2, height - height % 2)


def transcode(
    source: Path,
    out: Path,
    *,
    max_height: int | None,
    video: bool = True,
    max_pixels: int = 200_000_000,
    progress: Progress | None = None,
) -> Transcoded:
    """Write an MP4 (``video``) or M4A (audio only) web rendition of ``source`` to ``out``.

    RejectedFile when the source has nothing to encode or cannot be decoded.
    """
    with _open(source) as inp:
        vin = _video_stream(inp) if video else None
        ain = inp.streams.audio[0] if inp.streams.audio else None
        if vin is None and ain is None:
            raise RejectedFile("no rendition: the file has no " + ("video" if video else "sound"))
        total = _duration(inp, vin or ain) or 0.0
        fmt = "mp4" if vin is not None else "ipod"
        with av.open(str(out), mode="w", format=fmt, options={"movflags": "+faststart"}) as outc:
            size = (0, 0)
            vout = aout = resampler = None
            if vin is not None:
                _check_video_size(vin.codec_context.width, vin.codec_context.height, max_pixels)
                vin.thread_type = "AUTO"
                size = target_size(vin.codec_context.width, vin.codec_context.height, max_height)
                rate = vin.average_rate or vin.guessed_rate or 25
                vout = outc.add_stream(
                    "libx264", rate=rate, options={"crf": VIDEO_CRF, "preset": VIDEO_PRESET}
                )
                vout.width, vout.height, vout.pix_fmt = size[0], size[1], "yuv420p"
            if ain is not None:
                aout = outc.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
                aout.bit_rate = AUDIO_BITRATE
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
            done = _pump(inp, outc, vin, ain, vout, aout, resampler, size, total, progress)
    return Transcoded(size[0], size[1], done)


def _pump(
    inp: Any, outc: Any, vin: Any, ain: Any, vout: Any, aout: Any, resampler: Any,
    size: tuple[int, int], total: float, progress: Progress | None,
) -> float:  # fmt: skip
    streams = [s for s in (vin, ain) if s is not None]
    last_report = 0.0
    seconds = 0.0
    try:
        for packet in inp.demux(*streams):
            for frame in packet.decode():
                if frame.time is not None:
                    seconds = max(seconds, float(frame.time))
                if seconds > MAX_DURATION_S:
                    raise RejectedFile(f"no rendition: the media runs longer than {MAX_DURATION_S} s")
                if packet.stream is vin:
                    scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p")
                    outc.mux(vout.encode(scaled))
                else:
                    for chunk in resampler.resample(frame):
                        outc.mux(aout.encode(chunk))
            if progress is not None and total and seconds - last_report >= max(1.0, total / 20):
                last_report = seconds
                progress(min(0.99, seconds / total))
        for stream in (vout, aout):
            if stream is not None:
                outc.mux(stream.encode(None))
    except RejectedFile:
        raise
    except _AV_ERRORS as exc:
        raise RejectedFile(f"no rendition: the media could not be converted: {_reason(exc)}") from exc
    if progress is not None:
        progress(1.0)
    return seconds
