"""Vector graphics: SVG through resvg (checked first: no scripts, no DTD/entities, no external
references), EPS/AI through Ghostscript with ``-dSAFER`` in a limited subprocess.

Both render at a chosen size, so there is no pixel bomb; the original stays the download for print and
is never served inline (SVG can carry script, which a browser would run on our origin).
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from defusedxml import ElementTree as SafeET
from PIL import Image

from portal.errors import RejectedFile
from portal.media import sandbox

MAX_SVG_BYTES: Final = 20 * 1024 * 1024
MAX_SVG_ELEMENTS: Final = 200_000
MAX_RENDER_EDGE: Final = 8000
GS_TIMEOUT_S: Final = 60.0
GS_MEMORY: Final = 2 * sandbox.GIB
# Matched against the stripped value: "\s*" on both sides of an optional unit tried every split of a
# run of spaces (quadratic: a width of 20 MB of spaces held the upload for days).
_LENGTH: Final = re.compile(r"([0-9.]+)\s*+(px|pt|mm|cm|in)?")
# A url( that does not point into the document (#id). Possessive quantifiers: one way to match, linear.
# The former check accepted an attribute holding one internal url(#a) next to an external one, and
# was quadratic on "url(#url(#...".
_EXTERNAL_URL: Final = re.compile(r"(?i)url\(\s*+['\"]?+(?!#)")
_UNITS: Final[dict[str, float]] = {"px": 1.0, "pt": 96 / 72, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_BBOX: Final = re.compile(rb"%%(?:HiRes)?BoundingBox:\s*([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)")
_FORBIDDEN: Final = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}


@dataclass(frozen=True)
class VectorInfo:
    """Size in CSS pixels (SVG) or points (EPS), and the title when the file names one."""

    width: int | None
    height: int | None
    title: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def check_svg(path: Path) -> tuple[bytes, VectorInfo]:
    """Read and vet an SVG: RejectedFile for DTDs/entities (XXE, billion laughs), scripts, event handlers,
    external references and oversized documents. Returns its bytes and size."""
    if path.stat().st_size > MAX_SVG_BYTES:
        raise RejectedFile(f"SVG larger than {MAX_SVG_BYTES} bytes")
    data = path.read_bytes()
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml: DTD/entity forbidden; else malformed XML
        raise RejectedFile(f"hostile or corrupt SVG: {type(exc).__name__}: {exc}"[:300]) from exc
    if _local(root.tag) != "svg":
        raise RejectedFile("corrupt SVG: the root element is not <svg>")
    title = None
    for count, el in enumerate(root.iter()):
        if count > MAX_SVG_ELEMENTS:
            raise RejectedFile(f"SVG has more than {MAX_SVG_ELEMENTS} elements")
        name = _local(el.tag)
        if name in _FORBIDDEN:
            raise RejectedFile(f"SVG refused: it contains a <{name}> element (scripts are not accepted)")
        if name == "title" and title is None and el.text:
            title = el.text.strip()[:500] or None
        for attr, value in el.attrib.items():
            attr_name = _local(attr)
            if attr_name.startswith("on"):
                raise RejectedFile(f"SVG refused: event handler attribute {attr_name!r} (scripts)")
            if attr_name == "href" and not _internal(value):
                raise RejectedFile("SVG refused: it references an external resource")
            if _EXTERNAL_URL.search(value):
                raise RejectedFile("SVG refused: it references an external resource")
    width, height = _svg_size(root)
    return data, VectorInfo(width, height, title)


def _internal(value: str) -> bool:
    text = value.strip().lower()
    return text.startswith("#") or text.startswith("data:image/")


def _length(value: str | None) -> float | None:
    match = _LENGTH.fullmatch((value or "").strip())
    if not match:
        return None
    return float(match.group(1)) * _UNITS[match.group(2) or "px"]


def _svg_size(root: object) -> tuple[int | None, int | None]:
    attrib = getattr(root, "attrib", {})
    w, h = _length(attrib.get("width")), _length(attrib.get("height"))
    if (w is None or h is None) and attrib.get("viewBox"):
        parts = re.split(r"[\s,]+", attrib["viewBox"].strip())
        if len(parts) == 4:
            with contextlib.suppress(ValueError):
                w, h = float(parts[2]), float(parts[3])
    if not w or not h or w <= 0 or h <= 0:
        return None, None
    return round(w), round(h)


def render_svg(path: Path, max_edge: int) -> Image.Image:
    """Rasterise a vetted SVG so that its longest edge is ``max_edge`` px (RGBA)."""
    import resvg_py  # local: only SVGs need it

    data, info = check_svg(path)
    edge = min(max_edge, MAX_RENDER_EDGE)
    w, h = info.width or edge, info.height or edge
    factor = edge / max(w, h)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    try:
        png = resvg_py.svg_to_bytes(
            svg_string=data.decode("utf-8", "replace"), width=size[0], height=size[1], skip_system_fonts=False
        )
        image = Image.open(io.BytesIO(bytes(png)))
        image.load()
    except Exception as exc:  # resvg: ValueError on invalid SVG; Pillow on odd output
        raise RejectedFile(f"no preview: the SVG could not be rendered: {exc}"[:300]) from exc
    return image.convert("RGBA")


def eps_info(head: bytes) -> VectorInfo:
    """Size in points from the EPS bounding box comment (None when it has none)."""
    match = _BBOX.search(head)
    if not match:
        return VectorInfo(None, None)
    x0, y0, x1, y1 = (float(v) for v in match.groups())
    w, h = round(x1 - x0), round(y1 - y0)
    return VectorInfo(w, h) if w > 0 and h > 0 else VectorInfo(None, None)


def ghostscript() -> str | None:
    """Ghostscript's command when installed, else None."""
    return sandbox.find_tool("gs")


def render_eps(path: Path, max_edge: int, head: bytes = b"") -> Image.Image:
    """Rasterise an EPS/AI file's first page with Ghostscript (-dSAFER, limited subprocess), RGB."""
    tool = ghostscript()
    if tool is None:
        raise sandbox.ToolMissing("no preview: Ghostscript is not installed on this server")
    info = eps_info(head or path.read_bytes()[:65536])
    longest = max(info.width or 612, info.height or 792)
    dpi = max(1.0, min(1200.0, 72.0 * min(max_edge, MAX_RENDER_EDGE) / longest))
    with tempfile.TemporaryDirectory(prefix="gs-") as tmp:
        out = Path(tmp) / "page.png"
        sandbox.run_limited(
            [
                tool, "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dQUIET", "-dNOINTERPOLATE", "-dEPSCrop",
                "-dFirstPage=1", "-dLastPage=1", "-dMaxBitmap=500000000", "-sDEVICE=png16m",
                f"-r{dpi:.2f}", "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4", f"-sOutputFile={out}",
                str(path.resolve()),
            ],
            cwd=Path(tmp),
            timeout_s=GS_TIMEOUT_S,
            memory_bytes=GS_MEMORY,
            label="PostScript rendering",
        )  # fmt: skip
        if not out.is_file():
            raise RejectedFile("no preview: Ghostscript produced no image")
        with Image.open(out) as im:
            im.load()
            return im.convert("RGB")
