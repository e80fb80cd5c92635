"""File-name templates (``{article_number}_{n}.{ext}``, ``{model_code}/{title}.{ext}``), safe path parts."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from typing import Final

FIELDS: Final = (
    "article_number",
    "model_code",
    "product_name",
    "title",
    "asset_id",
    "version",
    "preset",
    "n",
    "ext",
    "original",
)
_UNSAFE: Final = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_PART: Final = 120
MAX_PATH: Final = 400


class TemplateError(ValueError):
    """A template that names unknown fields or has broken braces."""


def template_fields(template: str) -> list[str]:
    """The field names a template uses; TemplateError for unknown ones or bad syntax."""
    try:
        parsed = [(name, spec, conv) for _lit, name, spec, conv in string.Formatter().parse(template)]
    except ValueError as exc:
        raise TemplateError(f"file name template: {exc}") from exc
    names = [name for name, _spec, _conv in parsed if name is not None]
    # A format spec or conversion runs Python's formatting on the value: "{title:d}" raised in the
    # package job, "{title:>999999999}" built a gigabyte string per file. Fields are plain text only.
    formatted = [
        "{" + name + ("!" + conv if conv else "") + (":" + spec if spec else "") + "}"
        for name, spec, conv in parsed
        if name is not None and (spec or conv)
    ]
    if formatted:
        raise TemplateError(
            f"file name template: {', '.join(formatted)}: formats and conversions are not supported; "
            "write each field as {name}"
        )
    unknown = sorted({n for n in names if n not in FIELDS})
    if unknown or any(not n for n in names):
        raise TemplateError(
            f"file name template: unknown field(s) {', '.join(unknown) or '{}'}; "
            f"use {', '.join('{' + f + '}' for f in FIELDS)}"
        )
    return names


def template_problems(template: str) -> list[str]:
    """Why a delivery file-name template cannot be used, as messages (empty: fine).

    One rule for presets and packages: known fields only, and ``{ext}`` present so every delivered
    file keeps an extension that matches its bytes.
    """
    try:
        names = template_fields(template)
    except TemplateError as exc:
        return [str(exc)]
    return [] if "ext" in names else ["file name template: must contain {ext}"]


def safe_part(text: str) -> str:
    """One path component: NFC, no separators or control characters, no leading dots, bounded length."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub("_", text).strip().strip(".").strip()
    text = re.sub(r"\s+", " ", text)
    if len(text) > MAX_PART:
        stem, dot, ext = text.rpartition(".")
        text = stem[: MAX_PART - len(ext) - 1] + "." + ext if dot and len(ext) <= 5 else text[:MAX_PART]
    return text or "_"


def render_path(template: str, values: Mapping[str, object]) -> str:
    """Fill a template and sanitise every ``/``-separated part (values cannot add directories)."""
    template_fields(template)
    filled = {
        name: safe_part(str(value)) if value not in (None, "") else "none" for name, value in values.items()
    }
    for name in FIELDS:
        filled.setdefault(name, "none")
    parts = [safe_part(p) for p in template.format_map(filled).split("/") if p.strip()]
    return "/".join(parts)[:MAX_PATH] or "_"


def render_filename(template: str, values: Mapping[str, object]) -> str:
    """A single file name (for Content-Disposition): folders in the template become ``_``."""
    return render_path(template, values).replace("/", "_")


def dedupe(path: str, taken: set[str]) -> str:
    """``path`` or ``path`` with ``_2``, ``_3`` ... before the extension, whichever is not taken yet."""
    candidate, counter = path, 1
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = path, ""
    while candidate.lower() in taken:
        counter += 1
        candidate = f"{stem}_{counter}.{ext}" if ext else f"{stem}_{counter}"
    taken.add(candidate.lower())
    return candidate
