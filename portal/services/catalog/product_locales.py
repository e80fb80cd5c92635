"""Product names and descriptions in other languages: import columns, storage shape and display choice.

Import columns name a field and a locale: ``name@de``, ``description@fr-CH`` or the shape Akeneo exports
use, ``name-de_DE`` / ``description-fr_FR-ecommerce`` (locale, then an optional channel). Values are stored
by language (``Product.translations = {"de": {"name": ..., "description": ...}}``), searched with the
instance's language analysis, and shown in the viewer's language where present (default text otherwise).
A column that names a localizable field with a malformed or unknown locale is a clear error, never an
attribute by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from portal.errors import ValidationError

LOCALIZABLE = ("name", "description")
TEXT_LIMITS = {"name": 300, "description": 20_000}
MAX_LANGUAGES = 50
# ISO 639-1 language codes.
_ISO_639_1 = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id
ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu
lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu
rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr
ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
LANGUAGES = frozenset(_ISO_639_1.split())
_LOCALE = re.compile(r"^(?P<lang>[A-Za-z]{2,3})(?:[_-](?P<region>[A-Za-z]{2}|\d{3}))?$")
# Akeneo: "<field>-<ll_CC>" optionally followed by "-<channel>".
_AKENEO = re.compile(
    r"^(?P<field>[A-Za-z_ ]+?)-(?P<locale>[A-Za-z]{2,3}(?:_[A-Za-z]{2})?)(?:-(?P<channel>\w+))?$"
)
_FIELD_ALIASES = {"product_name": "name", "title": "name"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def language_of(locale: str) -> str:
    """The language code of a locale (``de_DE``, ``de-CH``, ``DE`` -> ``de``); ValidationError when it is
    malformed or not an ISO 639-1 language."""
    text = str(locale).strip()
    match = _LOCALE.match(text)
    if not match:
        raise ValidationError(f"malformed locale {text[:40]!r}; use a language code such as de or de_DE")
    lang = match["lang"].lower()
    if lang not in LANGUAGES:
        raise ValidationError(f"unknown language {lang!r} in locale {text[:40]!r}")
    return lang


def _field(name: str) -> str | None:
    key = re.sub(r"[\s\-.]+", "_", name.strip().lower()).strip("_")
    key = _FIELD_ALIASES.get(key, key)
    return key if key in LOCALIZABLE else None


def parse_column(header: object) -> tuple[str, str] | None:
    """``(field, language)`` when a column header is a localized product field, else None (an attribute).

    ``name@de`` with a bad locale raises ValidationError; so does ``price@de`` (not localizable). The Akeneo
    shape counts only when its prefix is a localizable field (``name-de_DE``), so ``t-shirt`` stays an
    attribute.
    """
    text = str(header).strip()
    if "@" in text:
        base, _, locale = text.partition("@")
        field = _field(base)
        if field is None:
            if base.strip().lower() in (
                "article_number",
                "model_code",
                "price",
                "currency",
                "category",
                "brand",
            ):
                raise ValidationError(
                    f"column {text[:60]!r}: only {' and '.join(LOCALIZABLE)} can be localized"
                )
            return None
        return field, language_of(locale)
    match = _AKENEO.match(text)
    if match is None or _field(match["field"]) is None:
        return None
    return str(_field(match["field"])), language_of(match["locale"])


def clean_text(field: str, value: Any) -> str | None:
    """A localized value, trimmed (single-line for names); None when blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{field} must be text")
    text = _CONTROL.sub("", str(value)).strip()
    if field != "description":
        text = " ".join(text.split())
    limit = TEXT_LIMITS[field]
    if len(text) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters")
    return text or None


def add(translations: dict[str, dict[str, str | None]], field: str, lang: str, value: Any) -> None:
    """Put one localized value in; two different values for one field and language are an error."""
    text = clean_text(field, value)
    entry = translations.setdefault(lang, {})
    if field in entry and entry[field] not in (None, text) and text is not None:
        raise ValidationError(f"two different values given for {field}@{lang}")
    if text is not None or field not in entry:
        entry[field] = text
    if len(translations) > MAX_LANGUAGES:
        raise ValidationError(f"more than {MAX_LANGUAGES} languages")


def collect(key: object, value: Any, translations: dict[str, dict[str, str | None]]) -> bool:
    """Take a row's localized column (or its ``translations`` object) into ``translations``; False when
    ``key`` is something else."""
    if key == "translations":
        for lang, texts in parse_object(value).items():
            for name, text in texts.items():
                add(translations, name, lang, text)
        return True
    localized = parse_column(key)
    if localized is None:
        return False
    add(translations, localized[0], localized[1], value)
    return True


def parse_object(value: Any) -> dict[str, dict[str, str | None]]:
    """The API form ``{"de": {"name": ..., "description": ...}}``, validated."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError('translations must be an object such as {"de": {"name": "..."}}')
    out: dict[str, dict[str, str | None]] = {}
    for locale, fields in value.items():
        lang = language_of(str(locale))
        if not isinstance(fields, dict):
            raise ValidationError(f"translations.{str(locale)[:20]} must be an object of name/description")
        for name, text in fields.items():
            field = _field(str(name))
            if field is None:
                raise ValidationError(f"translations.{lang}.{str(name)[:40]}: only name and description")
            add(out, field, lang, text)
    return out


def merged(old: Mapping[str, Any] | None, new: Mapping[str, Mapping[str, str | None]]) -> dict[str, Any]:
    """``old`` with ``new`` applied: a None value removes that field; an emptied language goes away."""
    out: dict[str, dict[str, str]] = {k: dict(v) for k, v in (old or {}).items() if isinstance(v, dict)}
    for lang, fields in new.items():
        entry = out.setdefault(lang, {})
        for field, text in fields.items():
            if text is None:
                entry.pop(field, None)
            else:
                entry[field] = text
        if not entry:
            out.pop(lang)
    return dict(sorted(out.items()))


# --- display -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductText:
    """The name and description to show, and their language (None: the default text)."""

    name: str
    description: str | None
    language: str | None = None
    description_language: str | None = None


def preferred_languages(accept_language: str | None, preference: str | None = None) -> list[str]:
    """Languages the viewer reads, best first: an explicit preference, then ``Accept-Language`` by q."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, raw = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(raw)
                except ValueError:
                    quality = 0.0
        match = _LOCALE.match(tag.strip())
        if match and quality > 0:
            ranked.append((-quality, i, match["lang"].lower()))
    out = [preference.lower()] if preference else []
    for _q, _i, lang in sorted(ranked):
        if lang not in out:
            out.append(lang)
    return out


def display_text(
    name: str,
    description: str | None,
    translations: Mapping[str, Any] | None,
    languages: Iterable[str],
    default_language: str = "en",
) -> ProductText:
    """The name and description in the first of ``languages`` that has them, else the default text (which
    is in ``default_language``: a viewer who reads that before any translated one gets it)."""
    table = translations or {}
    shown_name: tuple[str, str | None] = (name, None)
    shown_desc: tuple[str | None, str | None] = (description, None)
    name_done = desc_done = False
    for lang in languages:
        if lang == default_language:
            break
        entry = table.get(lang)
        if not isinstance(entry, dict):
            continue
        if not name_done and entry.get("name"):
            shown_name, name_done = (str(entry["name"]), lang), True
        if not desc_done and entry.get("description"):
            shown_desc, desc_done = (str(entry["description"]), lang), True
    return ProductText(shown_name[0], shown_desc[0], shown_name[1], shown_desc[1])
