"""Small, total helpers for metadata values: text decoding, dates, IPTC-IIM records and GPS numbers.

Each helper accepts whatever a hostile file may contain and answers None (or an empty result) rather than
raising, except where a caller explicitly guards it.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any, Final

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO = re.compile(
    r"^(\d{4})(?:[-:](\d{2})(?:[-:](\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_IPTC_TIME = re.compile(r"^(\d{2})(\d{2})(\d{2})([+-]\d{4})?$")
_XMP_COORD = re.compile(r"^(\d{1,3}),(\d{1,2}(?:\.\d+)?)(?:,(\d{1,2}(?:\.\d+)?))?([NSEW])$")
_MAX_IIM_DATASETS: Final = 10_000


def clean(value: str | None) -> str | None:
    """Strip control characters and surrounding whitespace; empty -> None."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value).strip()
    return text or None


def unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values in first-seen order, duplicates (ignoring case) removed."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


def _offset(text: str | None) -> str | None:
    if not text:
        return None
    if text == "Z":
        return "+00:00"
    match = _OFFSET.match(text.strip())
    if not match or int(match.group(2)) > 14 or int(match.group(3)) > 59:
        return None
    return f"{match.group(1)}{match.group(2)}:{match.group(3)}"


def iso_datetime(value: str | None, offset: str | None = None) -> str | None:
    """Normalise an EXIF ("2020:09:14 11:09:34") or XMP/ISO date(-time) to ISO 8601; invalid -> None.

    Partial XMP dates ("2018", "2018-10") stay partial; ``offset`` (EXIF OffsetTime*) applies when the value
    carries no zone of its own. Fractions of a second are dropped.
    """
    text = clean(value)
    if not text:
        return None
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        datetime(int(year), int(month or 1), int(day or 1))
        time(int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if int(year) < 1000:
        return None  # "0000:00:00 00:00:00" and friends: the camera had no clock set
    if month is None:
        return year
    if day is None:
        return f"{year}-{month}"
    if hour is None:
        return f"{year}-{month}-{day}"
    tz = _offset(zone) or (_offset(offset) if zone is None else None) or ""
    return f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}{tz}"


def iptc_datetime(date: str | None, time: str | None) -> str | None:
    """IPTC 2:55 ("CCYYMMDD", 00 for unknown parts) plus optional 2:60 ("HHMMSS±HHMM") as ISO 8601."""
    if not date or not re.fullmatch(r"\d{8}", date):
        return None
    year, month, day = date[:4], date[4:6], date[6:8]
    if month == "00":
        return iso_datetime(year)
    if day == "00":
        return iso_datetime(f"{year}-{month}")
    match = _IPTC_TIME.match(time or "")
    if not match:
        return iso_datetime(f"{year}-{month}-{day}")
    hh, mm, ss, zone = match.groups()
    return iso_datetime(f"{year}-{month}-{day}T{hh}:{mm}:{ss}", zone)


def parse_iim(data: bytes) -> dict[tuple[int, int], list[bytes]]:
    """Parse IPTC-IIM datasets (0x1C, record, dataset, length, value); stops quietly at the first bad one."""
    out: dict[tuple[int, int], list[bytes]] = {}
    pos, count = 0, 0
    while pos + 5 <= len(data) and count < _MAX_IIM_DATASETS:
        if data[pos] != 0x1C:
            if data[pos] == 0:  # padding to an even length inside the Photoshop resource
                pos += 1
                continue
            break
        record, dataset = data[pos + 1], data[pos + 2]
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        pos += 5
        if length & 0x8000:  # extended dataset: the low bits give the size of the length field
            size = length & 0x7FFF
            if size > 4:
                break
            length = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        value = data[pos : pos + length]
        if len(value) < length:
            break
        pos += length
        count += 1
        out.setdefault((record, dataset), []).append(value)
    return out


def decode_iptc(raw: bytes, utf8: bool) -> str:
    """Decode an IPTC value: UTF-8 when 1:90 says so, else UTF-8 if valid, else Windows-1252/Latin-1."""
    if utf8:
        return raw.decode("utf-8", "replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def exif_text(value: Any) -> str | None:
    """An EXIF ASCII value as text. Pillow decodes those as Latin-1; UTF-8 written by modern tools is
    repaired. NUL-separated parts (Copyright "photographer\\0editor") are joined with "; "."""
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
    elif isinstance(value, str):
        text = value
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = value.encode("latin-1").decode("utf-8")
    else:
        return None
    parts = [p for p in (clean(part) for part in text.split("\x00")) if p]
    return "; ".join(parts) or None


def xp_text(value: Any) -> str | None:
    """A Windows XP* EXIF tag (UTF-16LE bytes, sometimes delivered as a tuple of ints)."""
    if isinstance(value, tuple | list) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        value = bytes(value)
    if isinstance(value, str):
        return clean(value)
    if not isinstance(value, bytes) or len(value) < 2:
        return None
    return clean(value[: len(value) - len(value) % 2].decode("utf-16-le", "replace").split("\x00", 1)[0])


def user_comment(value: Any) -> str | None:
    """EXIF UserComment: an 8-byte charset prefix (ASCII, UNICODE, JIS, undefined) then the text."""
    if isinstance(value, str):
        return clean(value)
    if not isinstance(value, bytes) or len(value) <= 8:
        return None
    prefix, body = value[:8], value[8:]
    if prefix.startswith(b"UNICODE"):
        big_endian = body.startswith(b"\xfe\xff") or (len(body) > 1 and body[0] == 0 and body[1] != 0)
        text = body.decode("utf-16-be" if big_endian else "utf-16-le", "replace").lstrip("\ufeff")
    elif prefix.startswith(b"ASCII") or prefix == b"\x00" * 8:
        text = exif_text(body) or ""
    else:
        return None
    return clean(text.replace("\x00", ""))


def number(value: Any) -> float | None:
    """A finite float from an int, float or EXIF rational; anything else -> None."""
    if isinstance(value, tuple | list):
        if len(value) != 1:
            return None
        value = value[0]
    try:
        result = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def dms(value: Any) -> float | None:
    """Degrees from an EXIF (degrees, minutes, seconds) triple; a bare number is taken as degrees."""
    if isinstance(value, tuple | list) and 1 < len(value) <= 3:
        parts = [number(v) for v in value]
        if any(p is None or p < 0 for p in parts):
            return None
        weights = (1.0, 60.0, 3600.0)
        return sum(p / w for p, w in zip(parts, weights, strict=False) if p is not None)
    return number(value)


def ref(value: Any) -> str | None:
    """A GPS reference tag ("N", "S", b"W", b"\\x01", 1) as an upper-case string."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value.strip(" \x00")
        return text.upper()[:1] if text else ("\x00" if value.startswith("\x00") else None)
    return None


def rational(text: str | None) -> float | None:
    """An XMP rational ("66/100") or decimal string as float."""
    if not text:
        return None
    num, _, den = text.partition("/")
    try:
        result = float(num) / float(den) if den else float(num)
    except (ValueError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def xmp_coordinate(text: str | None) -> float | None:
    """An XMP GPSCoordinate ("44,51.0287N" or "44,51,1.72N") in signed decimal degrees."""
    match = _XMP_COORD.match((text or "").strip())
    if not match:
        return None
    deg, minutes, seconds, hemi = match.groups()
    value = int(deg) + float(minutes) / 60 + (float(seconds) / 3600 if seconds else 0.0)
    return -value if hemi in "SW" else value


def gps_point(lat: float | None, lon: float | None, alt: float | None) -> dict[str, float | None] | None:
    """A validated position; out-of-range values and the (0, 0) "no fix" placeholder give None."""
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None
    if alt is not None and not (math.isfinite(alt) and abs(alt) < 100_000):
        alt = None
    return {"lat": round(lat, 7), "lon": round(lon, 7), "alt": round(alt, 2) if alt is not None else None}
