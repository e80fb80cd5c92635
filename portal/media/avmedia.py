"""Audio and video through PyAV (FFmpeg): probe facts, verify decoding, pick a poster frame, draw a waveform.

Every loop over packets or frames is bounded (packets per step, a duration limit, a pixel limit checked
from the stream header before a frame is decoded), so a hostile container cannot keep a worker busy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import av
import numpy as np
from PIL import Image, ImageDraw

from portal.errors import RejectedFile

log = logging.getLogger(__name__)

#: Longest accepted duration (an endless or absurd stream is refused at upload).
MAX_DURATION_S: Final = 4 * 3600
#: Largest accepted video frame (8K UHD); the portal's general pixel limit applies as well.
MAX_VIDEO_PIXELS: Final = 7680 * 4320
#: Packets read at most while looking for one decodable frame.
MAX_PACKETS_PER_FRAME: Final = 600
POSTER_SAMPLES: Final = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)
_AV_ERRORS: Final = (av.FFmpegError, ValueError, OverflowError, IndexError, MemoryError, EOFError)
_MP4_FAMILY: Final = "mov,mp4,m4a,3gp,3g2,mj2"
_WEB_CODECS: Final = {"vp8", "vp9", "av1", "opus", "vorbis"}
_AUDIO_CONTAINERS: Final[dict[str, tuple[str, str, str]]] = {
    "mp3": ("MP3", "audio/mpeg", "mp3"),
    "wav": ("WAV", "audio/wav", "wav"),
    "flac": ("FLAC", "audio/flac", "flac"),
    "ogg": ("OGG", "audio/ogg", "ogg"),
    "aac": ("AAC", "audio/aac", "aac"),
    "aiff": ("AIFF", "audio/aiff", "aif"),
}
_TAGS: Final = ("title", "artist", "copyright", "album", "date", "comment")


@dataclass(frozen=True)
class AvFacts:
    """What probing an audio or video file found."""

    is_video: bool
    format: str  # "MP4", "MOV", "WEBM", "MKV", "AVI", "MP3", "WAV", "FLAC", "OGG", "M4A", ...
    mime_type: str
    extension: str
    width: int | None
    height: int | None
    facts: dict[str, Any]
    tags: dict[str, str]


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", options={"probesize": "10000000"})
    except _AV_ERRORS as exc:
        raise RejectedFile(f"truncated or corrupt media file: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    """The error's text without the file's server path (FFmpeg errors name it)."""
    text = getattr(exc, "strerror", None) if isinstance(exc, av.FFmpegError) else None
    return (str(text or exc).strip() or type(exc).__name__)[:300]


def _video_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _duration(container: av.container.InputContainer, stream: av.stream.Stream | None) -> float | None:
    if container.duration:
        return container.duration / 1_000_000
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def probe_av(path: Path, max_pixels: int) -> AvFacts:
    """Describe an audio or video file and verify that its first frame decodes.

    RejectedFile for unreadable containers, files without audio or video, frames over the pixel limits,
    durations over ``MAX_DURATION_S`` and streams whose first frame does not decode.
    """
    with _open(path) as container:
        video = _video_stream(container)
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise RejectedFile("unsupported media file: it holds neither audio nor video")
        duration = _duration(container, video or audio)
        if duration is not None and duration > MAX_DURATION_S:
            raise RejectedFile(f"media too long: {duration:.0f} s exceeds the limit of {MAX_DURATION_S} s")
        facts: dict[str, Any] = {
            "duration_s": round(duration, 3) if duration is not None else None,
            "container": container.format.name,
            "bit_rate": int(container.bit_rate) if container.bit_rate else None,
            "audio_tracks": len(container.streams.audio),
        }
        width = height = None
        if video is not None:
            width, height = video.codec_context.width, video.codec_context.height
            _check_video_size(width, height, max_pixels)
            rate = video.average_rate or video.guessed_rate
            facts.update(video_codec=video.codec_context.name, fps=round(float(rate), 3) if rate else None)
            rotation = _first_video_frame(container, video)
            facts["rotation"] = rotation
        if audio is not None:
            ctx = audio.codec_context
            facts.update(
                audio_codec=ctx.name.removesuffix("float"), sample_rate=ctx.sample_rate, channels=ctx.channels
            )
            if video is None:
                _first_audio_frame(container, audio)
        created = container.metadata.get("creation_time")
        if created:
            facts["created"] = str(created)[:40]
        fmt, mime, ext = _type_of(container, video is not None, facts)
        tags = {
            k: str(v)[:500] for k, v in container.metadata.items() if k.lower() in _TAGS and str(v).strip()
        }
    if video is None:
        tags = read_audio_tags(path) or tags
    facts["codec"] = facts.get("video_codec") or facts.get("audio_codec")
    return AvFacts(video is not None, fmt, mime, ext, width, height, facts, tags)


def _check_video_size(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise RejectedFile(f"corrupt video: invalid dimensions {width}\u00d7{height}")
    limit = min(max_pixels, MAX_VIDEO_PIXELS)
    if width * height > limit:
        raise RejectedFile(
            f"video frame too large: {width}\u00d7{height} exceeds the limit of {limit} pixels"
        )


def _first_video_frame(container: av.container.InputContainer, stream: av.VideoStream) -> int:
    """Decode the first frame (bounded); its rotation in degrees."""
    frame = _next_frame(container, stream)
    if frame is None:
        raise RejectedFile("truncated or corrupt video: no frame could be decoded")
    if frame.width * frame.height > MAX_VIDEO_PIXELS:
        raise RejectedFile("video frame too large")
    return int(getattr(frame, "rotation", 0) or 0)


def _first_audio_frame(container: av.container.InputContainer, stream: av.AudioStream) -> None:
    if _next_frame(container, stream) is None:
        raise RejectedFile("truncated or corrupt audio: no sound could be decoded")


def _next_frame(container: av.container.InputContainer, stream: av.stream.Stream) -> Any:
    """The next decodable frame of ``stream`` within ``MAX_PACKETS_PER_FRAME`` packets, else None."""
    try:
        for count, packet in enumerate(container.demux(stream)):
            if count >= MAX_PACKETS_PER_FRAME:
                return None
            for frame in packet.decode():
                return frame
    except _AV_ERRORS as exc:
        raise RejectedFile(f"truncated or corrupt media file: {_reason(exc)}") from exc
    return None


def _type_of(
    container: av.container.InputContainer, is_video: bool, facts: dict[str, Any]
) -> tuple[str, str, str]:
    name = container.format.name
    codecs = {facts.get("video_codec"), facts.get("audio_codec")} - {None}
    if name == _MP4_FAMILY:
        brand = str(container.metadata.get("major_brand", "")).strip()
        if not is_video:
            return "M4A", "audio/mp4", "m4a"
        if brand == "qt":
            return "MOV", "video/quicktime", "mov"
        if brand == "M4V":
            return "M4V", "video/x-m4v", "m4v"
        return "MP4", "video/mp4", "mp4"
    if name.startswith("matroska"):
        web = codecs <= _WEB_CODECS
        if not is_video:
            return ("WEBA", "audio/webm", "weba") if web else ("MKA", "audio/x-matroska", "mka")
        return ("WEBM", "video/webm", "webm") if web else ("MKV", "video/x-matroska", "mkv")
    if name == "avi":
        return "AVI", "video/x-msvideo", "avi"
    if not is_video and name in _AUDIO_CONTAINERS:
        fmt, mime, ext = _AUDIO_CONTAINERS[name]
        if name == "ogg" and "opus" in codecs:
            return "OPUS", "audio/ogg", "opus"
        return fmt, mime, ext
    raise RejectedFile(
        f"unsupported media container {name!r}; accepted are MP4/MOV/M4V, WebM, MKV, AVI, "
        "MP3, WAV, AAC/M4A, FLAC and OGG/Opus"
    )


def read_audio_tags(path: Path) -> dict[str, str]:
    """Title, artist, album, copyright and date from ID3, Vorbis comments or MP4 atoms (mutagen)."""
    import mutagen  # local: only audio needs it

    try:
        tagged = mutagen.File(str(path), easy=True)
    except Exception as exc:  # noqa: BLE001  (broken tags never reject a playable file)
        log.debug("unreadable audio tags in %s: %r", path, exc)
        return {}
    if tagged is None or not tagged.tags:
        return {}
    out: dict[str, str] = {}
    for key in _TAGS:
        try:
            values = tagged.tags.get(key)
        except Exception:  # noqa: BLE001  (EasyID3 raises for keys it does not map)
            values = None
        if values:
            text = str(values[0] if isinstance(values, list) else values).strip()
            if text:
                out[key] = text[:500]
    return out


def _score(gray: np.ndarray) -> float:
    """Higher for sharp, well exposed frames: mean gradient, damped for very dark/bright/flat frames."""
    g = gray.astype(np.float32)
    sharp = float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())
    mean, spread = float(g.mean()), float(g.std())
    if mean < 40 or mean > 220:
        sharp *= 0.2
    if spread < 12:
        sharp *= 0.2
    return sharp


def poster_frame(path: Path, max_edge: int, max_pixels: int) -> Image.Image:
    """A representative frame (not black, not blurred) as RGB, longest edge at most ``max_edge``.

    Looks at the key frame near each of a few points in the clip and keeps the best by ``_score``.
    """
    with _open(path) as container:
        stream = _video_stream(container)
        if stream is None:
            raise RejectedFile("no preview: the file has no video")
        _check_video_size(stream.codec_context.width, stream.codec_context.height, max_pixels)
        stream.codec_context.skip_frame = "NONKEY"  # only key frames are looked at: cheap to decode
        duration = _duration(container, stream)
        best: tuple[float, Any] | None = None
        points = POSTER_SAMPLES if duration and duration > 1 else (0.0,)
        for point in points:
            frame = _frame_near(container, stream, (duration or 0) * point)
            if frame is None:
                continue
            w = 160
            h = max(2, round(frame.height * w / max(1, frame.width)))
            score = _score(frame.reformat(width=w, height=h, format="gray").to_ndarray())
            if best is None or score > best[0]:
                best = (score, frame)
        if best is None:
            raise RejectedFile("no preview: no video frame could be decoded")
        frame = best[1]
        factor = min(1.0, max_edge / max(frame.width, frame.height))
        size = (max(2, round(frame.width * factor)), max(2, round(frame.height * factor)))
        image = frame.reformat(width=size[0], height=size[1], format="rgb24").to_image()
        rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    return image.rotate(rotation, expand=True) if rotation else image


FILMSTRIP_FRAMES: Final = 8


def filmstrip(path: Path, max_pixels: int, frames: int = FILMSTRIP_FRAMES, height: int = 120) -> Image.Image:
    """Key frames spread evenly over the clip, side by side at ``height`` px (the asset page's strip)."""
    with _open(path) as container:
        stream = _video_stream(container)
        if stream is None:
            raise RejectedFile("no filmstrip: the file has no video")
        _check_video_size(stream.codec_context.width, stream.codec_context.height, max_pixels)
        stream.codec_context.skip_frame = "NONKEY"
        duration = _duration(container, stream) or 0.0
        tiles: list[Image.Image] = []
        for index in range(frames):
            frame = _frame_near(container, stream, duration * (index + 0.5) / frames)
            if frame is None:
                continue
            width = max(2, round(frame.width * height / max(1, frame.height)))
            tiles.append(frame.reformat(width=width, height=height, format="rgb24").to_image())
    if not tiles:
        raise RejectedFile("no filmstrip: no video frame could be decoded")
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 2 * (len(tiles) - 1), height), (33, 37, 41))
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + 2
    return strip


def _frame_near(container: av.container.InputContainer, stream: av.VideoStream, seconds: float) -> Any:
    try:
        if seconds > 0 and stream.time_base:
            container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
        return _next_frame(container, stream)
    except (RejectedFile, *_AV_ERRORS) as exc:
        log.debug("no frame near %.1f s: %r", seconds, exc)
        return None


WAVE_RATE: Final = 4000
_BLOCK: Final = 64


def waveform(path: Path, size: tuple[int, int] = (1280, 400)) -> Image.Image:
    """The sound's peak envelope drawn as a waveform image (RGB), for audio thumbs and previews."""
    peaks: list[np.ndarray] = []
    resampler = av.AudioResampler(format="s16", layout="mono", rate=WAVE_RATE)
    limit = MAX_DURATION_S * WAVE_RATE // _BLOCK
    count = 0
    with _open(path) as container:
        if not container.streams.audio:
            raise RejectedFile("no preview: the file has no sound")
        stream = container.streams.audio[0]
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    for out in resampler.resample(frame):
                        samples = np.abs(out.to_ndarray().reshape(-1).astype(np.int32))
                        usable = len(samples) - len(samples) % _BLOCK
                        if usable:
                            peaks.append(samples[:usable].reshape(-1, _BLOCK).max(axis=1))
                            count += usable // _BLOCK
                if count > limit:
                    break
        except _AV_ERRORS as exc:
            log.debug("audio decoding stopped early: %r", exc)
    if not peaks:
        raise RejectedFile("no preview: no sound could be decoded")
    return _draw_wave(np.concatenate(peaks), size)


def _draw_wave(envelope: np.ndarray, size: tuple[int, int]) -> Image.Image:
    width, height = size
    columns = np.array_split(envelope, min(width, len(envelope)))
    values = np.array([c.max() if len(c) else 0 for c in columns], dtype=np.float32)
    top = float(values.max()) or 1.0
    image = Image.new("RGB", size, (248, 249, 250))
    draw = ImageDraw.Draw(image)
    mid = height / 2
    step = width / len(values)
    for i, value in enumerate(values):
        half = max(1.0, value / top * (height * 0.45))
        x = i * step
        draw.rectangle((x, mid - half, x + max(1.0, step - 1), mid + half), fill=(13, 110, 253))
    return image
