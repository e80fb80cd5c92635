"""Descriptive and personal metadata embedded in images (EXIF, IPTC-IIM, XMP, PNG text).

Precedence is XMP > IPTC > EXIF (then PNG text chunks): XMP is what current tools edit, IPTC is the older
mirror, EXIF is mostly what the camera wrote. Every field is extracted on its own and garbage is skipped
with a debug log, so a broken EXIF block never costs the image (or the other fields).

``private`` keeps data about people and places apart from the descriptive ``embedded`` fields: GPS position
and serial numbers / owner names that identify a camera's owner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Final, TypeVar

from PIL import Image, IptcImagePlugin, TiffImagePlugin

from portal.media import textutil as tu
from portal.media.xmp import XmpValue, key, list_of, parse_xmp, text_of

log = logging.getLogger(__name__)

# EXIF tag numbers (IFD0, Exif IFD, GPS IFD).
_IFD_EXIF: Final = 0x8769
_IFD_GPS: Final = 0x8825
_IFD0_TEXT: Final[dict[str, int]] = {
    "description": 0x010E,  # ImageDescription
    "creator": 0x013B,  # Artist
    "copyright": 0x8298,
    "camera_make": 0x010F,
    "camera_model": 0x0110,
    "software": 0x0131,
}
_XP: Final[dict[str, int]] = {"title": 0x9C9B, "description": 0x9C9C, "creator": 0x9C9D, "keywords": 0x9C9E}
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _USER_COMMENT = 0x9003, 0x9011, 0x9286
_LENS_MAKE, _LENS_MODEL = 0xA433, 0xA434
_PRIVATE_EXIF: Final[dict[str, int]] = {"camera_serial": 0xA431, "lens_serial": 0xA435, "owner": 0xA430}
# Camera firmware fills ImageDescription with these; they describe nothing.
_PLACEHOLDERS: Final = {"olympus digital camera", "sony dsc", "default", "untitled", "image", "picture"}

# IPTC-IIM record 2 datasets.
_IPTC_TEXT: Final[dict[str, tuple[int, int]]] = {
    "title": (2, 5),
    "headline": (2, 105),
    "description": (2, 120),
    "copyright": (2, 116),
    "city": (2, 90),
    "country": (2, 101),
    "credit": (2, 110),
    "source": (2, 115),
}
_IPTC_KEYWORDS, _IPTC_BYLINE, _IPTC_DATE, _IPTC_TIME = (2, 25), (2, 80), (2, 55), (2, 60)
_IPTC_CHARSET: Final = (1, 90)

# XMP properties per field, first found wins.
_XMP_TEXT: Final[dict[str, tuple[str, ...]]] = {
    "title": (key("dc", "title"),),
    "description": (key("dc", "description"),),
    "copyright": (key("dc", "rights"),),
    "camera_make": (key("tiff", "Make"),),
    "camera_model": (key("tiff", "Model"),),
    "lens": (key("aux", "Lens"), key("exifEX", "LensModel")),
    "software": (key("xmp", "CreatorTool"),),
    "headline": (key("photoshop", "Headline"),),
    "city": (key("photoshop", "City"),),
    "country": (key("photoshop", "Country"),),
    "credit": (key("photoshop", "Credit"),),
    "source": (key("photoshop", "Source"),),
}
_XMP_DATES: Final = (
    key("photoshop", "DateCreated"),
    key("exif", "DateTimeOriginal"),
    key("xmp", "CreateDate"),
)
_XMP_PRODUCTS: Final = key("Iptc4xmpExt", "ProductInImage")
_PRODUCT_ID_FIELDS: Final = ("ProductGTIN", "ProductId", "ProductIdentifier")
_PNG_TEXT: Final[dict[str, str]] = {
    "Title": "title",
    "Description": "description",
    "Author": "creator",
    "Copyright": "copyright",
    "Software": "software",
}

Fields = dict[str, Any]
T = TypeVar("T")


def read_embedded(im: Image.Image) -> tuple[dict[str, Any], dict[str, Any]]:
    """Extract ``(embedded, private)`` metadata from an opened image; never raises.

    ``embedded`` holds descriptive fields (title, description, keywords, creator, copyright, captured_at,
    camera_make, camera_model, lens, software, headline, city, country, credit, source, article_numbers),
    only those present. ``private`` holds ``{"gps": {"lat", "lon", "alt"}}`` and owner-identifying values.
    All values are JSON-serialisable (strings, lists of strings, floats).
    """
    exif = _guard("EXIF", lambda: im.getexif(), None)
    no_xmp: dict[str, XmpValue] = {}
    xmp = _guard("XMP", lambda: parse_xmp(_xmp_packet(im)), no_xmp)
    no_iptc: dict[tuple[int, int], list[bytes]] = {}
    iptc = _guard("IPTC", lambda: _iptc_datasets(im), no_iptc)

    embedded: Fields = {}
    sources: list[tuple[str, Callable[[], Fields]]] = [
        ("XMP", lambda: _from_xmp(xmp)),
        ("IPTC", lambda: _from_iptc(iptc)),
        ("EXIF", lambda: _from_exif(exif) if exif is not None else {}),
        ("PNG text", lambda: _from_png_text(im.info)),
    ]
    nothing: Fields = {}
    for name, extract in sources:
        for field, value in _guard(name, extract, nothing).items():
            embedded.setdefault(field, value)

    private: Fields = {}
    gps = _guard("GPS", lambda: _exif_gps(exif), None) if exif is not None else None
    if gps is None:
        gps = _guard("XMP GPS", lambda: _xmp_gps(xmp), None)
    if gps is not None:
        private["gps"] = gps
    elif exif is not None and _guard("GPS", lambda: bool(exif.get_ifd(_IFD_GPS)), False):
        # A GPS block is there but holds no usable position: say so (the file still carries location data).
        private["gps_unparsed"] = True
    for field, value in _guard("private EXIF", lambda: _private_exif(exif, xmp), nothing).items():
        private.setdefault(field, value)
    return embedded, private


def _guard(what: str, fn: Callable[[], T], default: T) -> T:
    """Run one extraction step; on any error log it at debug level and fall back to ``default``."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001  (garbage metadata must never fail the image)
        log.debug("ignoring unreadable %s metadata: %r", what, exc)
        return default


# --- XMP -------------------------------------------------------------------------------------------------


def _xmp_packet(im: Image.Image) -> bytes | str:
    """The raw XMP packet wherever the format plugin put it (JPEG/TIFF/WebP/HEIF: "xmp"; PNG: iTXt key)."""
    for name in ("xmp", "XML:com.adobe.xmp"):
        value = im.info.get(name)
        if isinstance(value, bytes | str) and value:
            return value
    return b""


def _from_xmp(props: dict[str, XmpValue]) -> Fields:
    out: Fields = {}
    for field, names in _XMP_TEXT.items():
        for name in names:
            value = tu.clean(text_of(props.get(name)))
            if value:
                out[field] = value
                break
    creators = [c for c in (tu.clean(v) for v in list_of(props.get(key("dc", "creator")))) if c]
    if creators:
        out["creator"] = ", ".join(creators)
    keywords = tu.unique(tu.clean(v) for v in list_of(props.get(key("dc", "subject"))))
    if keywords:
        out["keywords"] = keywords
    for name in _XMP_DATES:
        when = tu.iso_datetime(text_of(props.get(name)))
        if when:
            out["captured_at"] = when
            break
    articles = tu.unique(tu.clean(v) for v in _product_ids(props.get(_XMP_PRODUCTS)))
    if articles:
        out["article_numbers"] = articles
    return out


def _product_ids(value: XmpValue | None) -> Iterable[str]:
    """Identifiers from IPTC Extension "Product in image" structures (GTIN or product id fields)."""
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    for item in items:
        if isinstance(item, dict):
            for field in _PRODUCT_ID_FIELDS:
                ident = text_of(item.get(key("Iptc4xmpExt", field)))
                if ident:
                    yield ident


def _xmp_gps(props: dict[str, XmpValue]) -> dict[str, float | None] | None:
    lat = tu.xmp_coordinate(text_of(props.get(key("exif", "GPSLatitude"))))
    lon = tu.xmp_coordinate(text_of(props.get(key("exif", "GPSLongitude"))))
    alt = tu.rational(text_of(props.get(key("exif", "GPSAltitude"))))
    if alt is not None and text_of(props.get(key("exif", "GPSAltitudeRef"))) == "1":
        alt = -alt
    return tu.gps_point(lat, lon, alt)


# --- IPTC ------------------------------------------------------------------------------------------------


def _iptc_datasets(im: Image.Image) -> dict[tuple[int, int], list[bytes]]:
    """IPTC-IIM datasets from JPEG (Photoshop APP13), TIFF (tag 33723) or HEIF (metadata box)."""
    raw: bytes | None = None
    photoshop = im.info.get("photoshop")
    if isinstance(photoshop, dict) and isinstance(photoshop.get(0x0404), bytes):
        raw = photoshop[0x0404]
    for item in im.info.get("metadata") or ():
        if isinstance(item, dict) and item.get("type") == "iptc" and isinstance(item.get("data"), bytes):
            raw = item["data"]
    if raw is not None:
        return tu.parse_iim(raw)
    if isinstance(im, TiffImagePlugin.TiffImageFile):
        info = IptcImagePlugin.getiptcinfo(im) or {}
        return {k: (v if isinstance(v, list) else [v]) for k, v in info.items()}
    return {}


def _from_iptc(data: dict[tuple[int, int], list[bytes]]) -> Fields:
    if not data:
        return {}
    utf8 = any(b"\x1b%G" in v for v in data.get(_IPTC_CHARSET, []))

    def texts(dataset: tuple[int, int]) -> list[str]:
        return [s for s in (tu.clean(tu.decode_iptc(v, utf8)) for v in data.get(dataset, [])) if s]

    out: Fields = {}
    for field, dataset in _IPTC_TEXT.items():
        values = texts(dataset)
        if values:
            out[field] = values[0]
    bylines = tu.unique(texts(_IPTC_BYLINE))
    if bylines:
        out["creator"] = ", ".join(bylines)
    keywords = tu.unique(texts(_IPTC_KEYWORDS))
    if keywords:
        out["keywords"] = keywords
    dates, times = texts(_IPTC_DATE), texts(_IPTC_TIME)
    when = tu.iptc_datetime(dates[0] if dates else None, times[0] if times else None)
    if when:
        out["captured_at"] = when
    return out


# --- EXIF ------------------------------------------------------------------------------------------------


def _from_exif(exif: Image.Exif) -> Fields:
    out: Fields = {}
    for field, tag in _IFD0_TEXT.items():
        value = _guard(f"EXIF {tag:#x}", partial(tu.exif_text, exif.get(tag)), None)
        if value and not (field == "description" and value.lower() in _PLACEHOLDERS):
            out[field] = value
    for field, tag in _XP.items():
        value = _guard(f"EXIF {tag:#x}", partial(tu.xp_text, exif.get(tag)), None)
        if not value:
            continue
        if field == "keywords":
            words = tu.unique(tu.clean(w) for w in value.split(";"))
            if words:
                out.setdefault("keywords", words)
        else:
            out.setdefault(field, value)
    sub = _exif_ifd(exif)
    when = tu.iso_datetime(tu.exif_text(sub.get(_DATETIME_ORIGINAL)), tu.exif_text(sub.get(_OFFSET_ORIGINAL)))
    if when:
        out["captured_at"] = when
    lens = _guard("lens", partial(_lens, sub), None)
    if lens:
        out["lens"] = lens
    comment = _guard("UserComment", partial(tu.user_comment, sub.get(_USER_COMMENT)), None)
    if comment and comment.lower() not in _PLACEHOLDERS:
        out.setdefault("description", comment)
    return out


def _exif_ifd(exif: Image.Exif) -> dict[int, Any]:
    """The Exif sub-IFD (capture data), or an empty dict when it is missing or unreadable."""
    empty: dict[int, Any] = {}
    return _guard("Exif IFD", partial(exif.get_ifd, _IFD_EXIF), empty)


def _lens(sub: dict[int, Any]) -> str | None:
    model = tu.exif_text(sub.get(_LENS_MODEL))
    make = tu.exif_text(sub.get(_LENS_MAKE))
    if model and make and not model.lower().startswith(make.lower()):
        return f"{make} {model}"
    return model or make


def _exif_gps(exif: Image.Exif) -> dict[str, float | None] | None:
    gps = exif.get_ifd(_IFD_GPS)
    if not gps:
        return None
    lat = tu.dms(gps.get(2))
    lon = tu.dms(gps.get(4))
    if lat is not None and tu.ref(gps.get(1)) == "S":
        lat = -lat
    if lon is not None and tu.ref(gps.get(3)) == "W":
        lon = -lon
    alt = tu.number(gps.get(6))
    if alt is not None and tu.ref(gps.get(5)) in ("\x01", "1"):
        alt = -alt
    return tu.gps_point(lat, lon, alt)


def _private_exif(exif: Image.Exif | None, xmp: dict[str, XmpValue]) -> Fields:
    out: Fields = {}
    xmp_names = {"camera_serial": key("aux", "SerialNumber"), "lens_serial": key("aux", "LensSerialNumber")}
    for field, name in xmp_names.items():
        value = tu.clean(text_of(xmp.get(name)))
        if value:
            out[field] = value
    if exif is not None:
        sub = _exif_ifd(exif)
        for field, tag in _PRIVATE_EXIF.items():
            value = tu.exif_text(sub.get(tag))
            if value:
                out.setdefault(field, value)
    return out


# --- PNG text chunks ---------------------------------------------------------------------------------------


def _from_png_text(info: dict[str | tuple[int, int], Any]) -> Fields:
    out: Fields = {}
    for chunk_key, field in _PNG_TEXT.items():
        value = info.get(chunk_key)
        text = tu.clean(value) if isinstance(value, str) else None
        if text:
            out[field] = text
    when = info.get("Creation Time")
    iso = tu.iso_datetime(when) if isinstance(when, str) else None
    if iso:
        out["captured_at"] = iso
    return out
