"""A small, forgiving XMP (RDF/XML) reader.

It returns the top-level properties of an XMP packet as plain Python values keyed by Clark names
(``"{namespace}local"``): simple values as ``str``, ``rdf:Alt`` as the x-default (or first) string,
``rdf:Seq``/``rdf:Bag`` as lists, and structures as dicts. Parsing goes through defusedxml, so entity and
DTD tricks are refused rather than expanded.
"""

from __future__ import annotations

import logging
import re
from typing import Final
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

log = logging.getLogger(__name__)

XmpValue = str | list["XmpValue"] | dict[str, "XmpValue"]

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
NS: Final[dict[str, str]] = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
}
_CONTAINERS: Final = {f"{{{RDF}}}Alt", f"{{{RDF}}}Seq", f"{{{RDF}}}Bag"}
_RDF_ATTRS: Final = {f"{{{RDF}}}about", f"{{{RDF}}}ID", f"{{{RDF}}}nodeID", f"{{{RDF}}}parseType"}
_MAX_PACKET: Final = 4 * 1024 * 1024  # XMP larger than this is not descriptive metadata worth parsing
_ENVELOPE = re.compile(rb"<x:xmpmeta[\s>].*?</x:xmpmeta>|<rdf:RDF[\s>].*?</rdf:RDF>", re.DOTALL)


def key(prefix: str, local: str) -> str:
    """Clark name for a well-known prefix, e.g. ``key("dc", "title")``."""
    return f"{{{NS[prefix]}}}{local}"


def parse_xmp(packet: bytes | str) -> dict[str, XmpValue]:
    """Top-level XMP properties of a packet; an empty dict when it cannot be parsed (never raises)."""
    data = packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)
    data = data.strip(b"\x00 \t\r\n")
    if not data or len(data) > _MAX_PACKET:
        return {}
    root = _parse(data)
    if root is None:
        return {}
    props: dict[str, XmpValue] = {}
    for rdf in root.iter(f"{{{RDF}}}RDF"):
        for desc in rdf:
            if desc.tag != f"{{{RDF}}}Description":
                continue
            for name, value in _struct(desc).items():
                props.setdefault(name, value)
    return props


def _parse(data: bytes) -> Element | None:
    try:
        root: Element = SafeET.fromstring(data)
        return root
    except Exception as exc:  # noqa: BLE001  (malformed or hostile XML: try the bare envelope)
        log.debug("XMP packet does not parse as a whole: %r", exc)
    match = _ENVELOPE.search(data)
    if match is None:
        return None
    try:
        envelope: Element = SafeET.fromstring(match.group(0))
        return envelope
    except Exception as exc:  # noqa: BLE001  (unparseable XMP is ignored)
        log.debug("XMP envelope does not parse either: %r", exc)
        return None


def _struct(elem: Element) -> dict[str, XmpValue]:
    """Properties of a description/struct node: non-RDF attributes plus child elements."""
    out: dict[str, XmpValue] = {}
    for name, attr in elem.attrib.items():
        if name not in _RDF_ATTRS and not name.startswith(f"{{{XML_NS}}}"):
            out[name] = attr.strip()
    for child in elem:
        value = _value(child)
        if value is not None:
            out.setdefault(child.tag, value)
    return out


def _value(elem: Element) -> XmpValue | None:
    """Value of one property element, whatever RDF shape it uses."""
    resource = elem.get(f"{{{RDF}}}resource")
    if resource is not None:
        return resource.strip()
    if elem.get(f"{{{RDF}}}parseType") == "Resource":
        return _struct(elem)
    children = list(elem)
    if children:
        first = children[0]
        if first.tag in _CONTAINERS:
            return _container(first)
        if first.tag == f"{{{RDF}}}Description":
            return _struct(first)
        return _struct(elem)
    if any(name not in _RDF_ATTRS and not name.startswith(f"{{{XML_NS}}}") for name in elem.attrib):
        return _struct(elem)  # shorthand struct: fields as attributes
    return (elem.text or "").strip()


def _container(container: Element) -> XmpValue | None:
    items = [li for li in container if li.tag == f"{{{RDF}}}li"]
    if container.tag == f"{{{RDF}}}Alt":
        # Language alternatives: the x-default entry, else the first one.
        chosen = next((li for li in items if li.get(f"{{{XML_NS}}}lang") == "x-default"), None)
        chosen = chosen if chosen is not None else (items[0] if items else None)
        return _value(chosen) if chosen is not None else None
    values = [_value(li) for li in items]
    return [v for v in values if v not in (None, "")]


def text_of(value: XmpValue | None, sep: str = ", ") -> str | None:
    """A property as one string: lists are joined, structs ignored, empty -> None."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        parts = [v.strip() for v in value if isinstance(v, str) and v.strip()]
        return sep.join(parts) or None
    return None


def list_of(value: XmpValue | None) -> list[str]:
    """A property as a list of non-empty strings (a plain string becomes a one-item list)."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []
