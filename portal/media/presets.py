"""Rendition presets as plain values: the built-in channels and the fingerprint that keys the cache.

A rendition is stored with the fingerprint of the preset it was built with; a preset whose settings
change gets a new fingerprint, so an old file is never served for it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, replace
from typing import Final

from portal.media.filenames import template_problems

IMAGE_FORMATS: Final = ("JPEG", "PNG", "WEBP", "TIFF")
#: Audio/video renditions: MP4 (H.264 + AAC, faststart; ``max_edge`` is the frame height) and M4A (AAC).
AV_FORMATS: Final = ("MP4", "M4A")
FORMATS: Final = IMAGE_FORMATS + AV_FORMATS
COLOURS: Final = ("srgb", "keep", "cmyk")
MIME: Final[dict[str, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "MP4": "video/mp4",
    "M4A": "audio/mp4",
}
EXTENSION: Final[dict[str, str]] = {
    "JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif", "MP4": "mp4", "M4A": "m4a",
}  # fmt: skip
NAME_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
HEX_RE: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
# Bump when the rendering code changes what it produces, so every cached rendition is rebuilt.
RENDERER_VERSION: Final = 1


@dataclass(frozen=True)
class PresetSpec:
    """Everything that decides the bytes of a rendition (plus its display label and file-name template).

    ``max_edge`` None keeps the full size. ``colour``: ``srgb`` converts to sRGB (web), ``keep`` keeps the
    source profile and embeds it (print; untagged sources get sRGB embedded), ``cmyk`` converts to the
    configured CMYK profile (falls back to ``keep`` when none is configured).
    """

    name: str
    format: str
    max_edge: int | None
    dpi: int | None = None
    colour: str = "srgb"
    quality: int = 85
    background: str = "#ffffff"
    keep_alpha: bool = False
    write_metadata: bool = True
    filename_template: str = "{title}_{preset}.{ext}"
    label: str = ""

    @property
    def mime_type(self) -> str:
        """The content type of the files this preset makes."""
        return MIME[self.format]

    @property
    def extension(self) -> str:
        """The file extension (no dot)."""
        return EXTENSION[self.format]

    @property
    def background_rgb(self) -> tuple[int, int, int]:
        """The background colour as an RGB triple."""
        value = self.background.lstrip("#")
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)

    def fingerprint(self, cmyk_profile: str | None = None) -> str:
        """A hash of every setting that changes the output (not the label or file-name template)."""
        data = asdict(self)
        for ignored in ("label", "filename_template", "name"):
            data.pop(ignored)
        data["renderer"] = RENDERER_VERSION
        if self.colour == "cmyk":
            data["cmyk_profile"] = cmyk_profile or ""
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def with_changes(self, **changes: object) -> PresetSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


BUILTIN: Final[dict[str, PresetSpec]] = {
    spec.name: spec
    for spec in (
        PresetSpec(
            "thumb", "WEBP", 320, quality=80, keep_alpha=True, write_metadata=False, label="Thumbnail"
        ),
        PresetSpec("preview", "JPEG", 1280, quality=85, write_metadata=False, label="Preview"),
        PresetSpec(
            "web",
            "JPEG",
            2048,
            dpi=72,
            quality=85,
            filename_template="{title}_web.{ext}",
            label="Web (sRGB JPEG, 2048 px)",
        ),
        PresetSpec(
            "print",
            "TIFF",
            None,
            dpi=300,
            colour="keep",
            filename_template="{title}_print.{ext}",
            label="Print (TIFF, 300 dpi, ICC)",
        ),
        PresetSpec(
            "video-720",
            "MP4",
            720,
            write_metadata=False,
            filename_template="{title}_720p.{ext}",
            label="Web video (MP4 H.264/AAC, 720p)",
        ),
        PresetSpec(
            "video-1080",
            "MP4",
            1080,
            write_metadata=False,
            filename_template="{title}_1080p.{ext}",
            label="Web video (MP4 H.264/AAC, 1080p)",
        ),
        PresetSpec(
            "audio-web",
            "M4A",
            None,
            write_metadata=False,
            filename_template="{title}_web.{ext}",
            label="Web audio (AAC, 128 kbit/s)",
        ),
    )
}
# The previews job builds these two itself (without a fingerprint): its output counts as fresh while
# the preset keeps its built-in settings.
PREVIEW_JOB_PRESETS: Final = ("thumb", "preview")


def validate(spec: PresetSpec) -> list[str]:
    """Problems with a preset's settings, as messages for the person editing it (empty: fine)."""
    problems = []
    if not NAME_RE.match(spec.name):
        problems.append("name: lower-case letters, digits, '-' and '_' only (at most 50)")
    if spec.name == "original":
        problems.append("name: 'original' is reserved for the uploaded file")
    if spec.format not in FORMATS:
        problems.append(f"format: one of {', '.join(FORMATS)}")
    if spec.max_edge is not None and not 16 <= spec.max_edge <= 20000:
        problems.append("longest edge: between 16 and 20000 px, or empty for full size")
    if spec.dpi is not None and not 1 <= spec.dpi <= 4800:
        problems.append("dpi: between 1 and 4800")
    if spec.colour not in COLOURS:
        problems.append(f"colour: one of {', '.join(COLOURS)}")
    if not 1 <= spec.quality <= 100:
        problems.append("quality: between 1 and 100")
    if not HEX_RE.match(spec.background):
        problems.append("background: a colour like #ffffff")
    problems.extend(template_problems(spec.filename_template))
    return problems


#: Which rendition formats each media kind can be delivered in (the presets admin and the asset page offer
#: only these): stills come from every kind but audio, whose picture is its waveform.
KIND_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "image": IMAGE_FORMATS,
    "document": IMAGE_FORMATS,
    "vector": IMAGE_FORMATS,
    "video": IMAGE_FORMATS + AV_FORMATS,
    "audio": ("M4A", "PNG", "JPEG", "WEBP"),
}


def applies_to(spec: PresetSpec, media_kind: str) -> bool:
    """True when ``spec`` can render a file of ``media_kind``."""
    return spec.format in KIND_FORMATS.get(media_kind, IMAGE_FORMATS)
