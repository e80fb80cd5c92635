"""The search document's fields, shared by the document builder, the query compilers and both engines.

One definition here keeps the engines in step: which fields are keywords (filterable, facetable), which are
searched as text and with what weight, how a title sorts and how an attribute name becomes a field name.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

# Exact-value fields: stored as lists of strings (a scalar is a one-element list), filtered in filter context.
KEYWORD_FIELDS: tuple[str, ...] = (
    "file_type",
    "mime_type",
    "media_kind",
    "orientation",
    "megapixel_band",
    "duration_band",
    "page_band",
    "codec",
    "color_mode",
    "tags",
    "auto_tags",
    "status",
    # What partners and the public see of the workflow: "approved" while an approved version is out
    # (also during the review of a newer one), else the status itself. The permission filter uses it.
    "public_status",
    "visibility",
    "category",
    "product_type",
    "brand",
    "article_numbers",
    "model_codes",
    "product_names",
    "collections",
    "uploaded_by",
)
# The fields a user may filter and facet on (besides every ``attr.*`` field): every keyword field but the
# one that is only shown (product names facet the suggestions).
FACET_FIELDS: frozenset[str] = frozenset(KEYWORD_FIELDS) - {"mime_type"}
ATTR_PREFIX = "attr."
# Custom metadata fields (``indexer.custom_fields``): facets shown to everyone, staff-only facets, and the
# searched words of the searchable fields shown to everyone.
PUBLIC_PREFIX = "cf."
STAFF_PREFIX = "cfs."
CUSTOM_TEXT_FIELD = "custom_text"
# The searched words of every attribute value: gathered from the ``attr.*`` fields, not stored; a document
# may carry extra spellings of its measures in it (``prepare_document``: "2.5l" is also "2.5 l").
ATTR_TEXT_FIELD = "attr_text"
# Searched only (no keyword, no facet): what a document serves by inheritance (``indexer.variants``: the
# article numbers and attribute values of the sibling variants that inherit it), and the product names and
# descriptions in other languages (``name@de`` columns of the import).
VARIANT_TEXT_FIELD = "variant_text"
LOCALIZED_NAMES_FIELD = "localized_names"
LOCALIZED_TEXT_FIELD = "localized_text"
SEARCH_ONLY_FIELDS: tuple[str, ...] = (VARIANT_TEXT_FIELD, LOCALIZED_NAMES_FIELD, LOCALIZED_TEXT_FIELD)
# Full-text fields and their BM25 weights. Keyword fields that are also searched as words get a ``.text``
# sub-field in OpenSearch; the embedded engine indexes the same words under the plain name.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 3.0),
    ("article_numbers", 5.0),
    ("model_codes", 3.0),
    ("product_names", 2.0),
    # Names in other languages, as much as names; their descriptions as little as attribute values.
    (LOCALIZED_NAMES_FIELD, 2.0),
    (LOCALIZED_TEXT_FIELD, 0.5),
    ("tags", 2.0),
    ("auto_tags", 1.0),
    ("description", 1.0),
    ("original_filename", 1.0),
    ("brand", 1.5),
    ("category", 1.0),
    ("product_type", 1.0),
    # Every product attribute value (``attr.*``, the variants' own included), below names.
    (ATTR_TEXT_FIELD, 0.5),
    # Inherited variants' article numbers and attribute values: below the variant's own pictures.
    (VARIANT_TEXT_FIELD, 0.4),
    # The text of documents (PDF pages, Office files), bounded per document at ingest.
    ("content", 0.5),
    # Searchable custom field values (never staff-only ones: see ``indexer.custom_fields``).
    (CUSTOM_TEXT_FIELD, 1.0),
)
# Fields whose values are also indexed separator- and case-insensitively (``indexer.analysis``).
ARTICLE_FIELDS: tuple[str, ...] = ("article_numbers", "model_codes")
# Added to the score of a document whose article number equals the whole query, so it ranks first.
EXACT_ARTICLE_BOOST = 1000.0
# Both engines split text into runs of letters and digits, lower-cased and folded to ASCII: "404.038.96_1"
# gives 404, 038, 96, 1 on either side (the standard analyser would keep "404.038.96_1" as one token).
TOKEN_PATTERN = r"[\p{L}\p{N}]+"
NAME_SORT_FIELD = "name_sort"
VECTOR_FIELD = "vector"
# The packaged text model's embedding of a document's product and metadata text (meaning search).
TEXT_VECTOR_FIELD = "text_vector"
VECTOR_FIELDS: tuple[str, ...] = (VECTOR_FIELD, TEXT_VECTOR_FIELD)
MEGAPIXEL_BANDS: tuple[tuple[float, str], ...] = (
    (1.0, "<1 MP"),
    (4.0, "1-4 MP"),
    (12.0, "4-12 MP"),
    (24.0, "12-24 MP"),
)
LARGEST_BAND = ">24 MP"
_ATTR_NAME = re.compile(r"^[a-z0-9_]{1,100}$")
_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def is_attr_field(name: str) -> bool:
    """True for a well-formed product-attribute field such as ``attr.colour``."""
    return name.startswith(ATTR_PREFIX) and bool(_ATTR_NAME.match(name[len(ATTR_PREFIX) :]))


def is_custom_field_name(name: str) -> bool:
    """True for a well-formed custom field facet (``cf.season``, staff-only ``cfs.cost_centre``)."""
    for prefix in (PUBLIC_PREFIX, STAFF_PREFIX):
        if name.startswith(prefix):
            return bool(_CUSTOM_KEY.match(name[len(prefix) :]))
    return False


def is_staff_field(name: str) -> bool:
    """True for a staff-only custom facet field: partners and the public may not filter or facet on it."""
    return name.startswith(STAFF_PREFIX) and is_custom_field_name(name)


@functools.lru_cache(maxsize=4096)
def is_facet_field(name: str) -> bool:
    """True when ``name`` may be filtered and faceted on (asked for every field of every document indexed:
    remembered)."""
    return name in FACET_FIELDS or is_attr_field(name) or is_custom_field_name(name)


def is_keyword_field(name: str) -> bool:
    """True for every exact-value field (facetable ones, ``mime_type``, ``product_names``, ``attr.*``,
    custom facets ``cf.*`` / ``cfs.*``)."""
    return name in KEYWORD_FIELDS or is_attr_field(name) or is_custom_field_name(name)


def normalise_attr_name(name: str) -> str:
    """An attribute name as a field-name part: ASCII, lower case, runs of other characters become ``_``."""
    # casefold first: it spells out letters NFKD cannot decompose ("ß" -> "ss").
    folded = unicodedata.normalize("NFKD", str(name).casefold()).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub("_", folded).strip("_")[:100]


def attr_field(name: str) -> str | None:
    """The facet field of a product attribute (``"Colour family"`` -> ``attr.colour_family``), or None."""
    part = normalise_attr_name(name)
    return f"{ATTR_PREFIX}{part}" if part else None


def attr_values(value: Any) -> list[str]:
    """An attribute value (scalar or list) as facet strings; nested objects and empty values are skipped."""
    items: Iterable[Any] = value if isinstance(value, list | tuple | set) else [value]
    out: list[str] = []
    for item in items:
        if item is None or isinstance(item, dict | list | tuple | set):
            continue
        if isinstance(item, bool):
            text = "true" if item else "false"
        elif isinstance(item, float) and math.isfinite(item) and item.is_integer():
            text = str(int(item))  # 2.0 and 2 are the same facet value
        else:
            text = str(item)
        text = " ".join(text.split())
        if text and text not in out:
            out.append(text)
    return out


def text_values(doc: Mapping[str, Any], name: str) -> list[str]:
    """The searched strings of a text field (``attr_text``: every ``attr.*`` value of the document)."""
    if name != ATTR_TEXT_FIELD:
        return keyword_values(doc.get(name))
    out: list[str] = []
    for key, value in doc.items():
        if key.startswith(ATTR_PREFIX):
            out.extend(keyword_values(value))
    out.extend(keyword_values(doc.get(ATTR_TEXT_FIELD)))
    return out


def name_sort_key(title: str | None) -> str:
    """The key the "name" sort orders by: the title case-folded with whitespace collapsed."""
    return " ".join((title or "").casefold().split())


def megapixel_band(width: int | None, height: int | None) -> str | None:
    """The resolution band of an image (``"4-12 MP"``), or None without dimensions."""
    if not width or not height:
        return None
    megapixels = width * height / 1_000_000
    for limit, label in MEGAPIXEL_BANDS:
        if megapixels < limit:
            return label
    return LARGEST_BAND


DURATION_BANDS: tuple[tuple[float, str], ...] = (
    (10.0, "<10 s"),
    (60.0, "10-60 s"),
    (300.0, "1-5 min"),
    (1800.0, "5-30 min"),
)
PAGE_BANDS: tuple[tuple[int, str], ...] = ((2, "1 page"), (6, "2-5 pages"), (21, "6-20 pages"))


def duration_band(seconds: float | None) -> str | None:
    """The length band of audio or video (``"10-60 s"``), or None without a duration."""
    if seconds is None:
        return None
    return next((label for limit, label in DURATION_BANDS if seconds < limit), ">30 min")


def page_band(pages: int | None) -> str | None:
    """The page-count band of a document or presentation (``"2-5 pages"``), or None."""
    if not pages:
        return None
    return next((label for limit, label in PAGE_BANDS if pages < limit), ">20 pages")


def keyword_values(value: Any) -> list[str]:
    """A keyword field's value as a list of non-empty strings (None -> [], scalar -> [scalar])."""
    if value is None:
        return []
    if type(value) is str:  # the common case, without the generic conversion below
        return [value] if value else []
    items = value if isinstance(value, list | tuple) else [value]
    return [text for text in (str(v) for v in items if v is not None) if text != ""]


def prepare_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a search document with its derived fields filled in (both engines index this form)."""
    out = dict(doc)
    if "id" not in out:
        raise ValueError("a search document needs an 'id'")
    out["id"] = int(out["id"])
    out[NAME_SORT_FIELD] = name_sort_key(out.get("title"))
    # The other spellings of attribute measures ("2.5l" / "2.5 l"); OpenSearch copies the values themselves
    # into ``attr_text`` (copy_to), the embedded engine reads them from the ``attr.*`` fields.
    values = [v for key, value in out.items() if key.startswith(ATTR_PREFIX) for v in keyword_values(value)]
    forms = [form for form in measure_forms_of(values) if form not in values]
    if forms:
        out[ATTR_TEXT_FIELD] = forms
    else:
        out.pop(ATTR_TEXT_FIELD, None)
    return out


_MEASURE = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]{1,4})\b")


def measure_forms(value: str) -> list[str]:
    """Other spellings of the measures in a value: ``2.5l`` -> ``2.5 l``, ``500 ml`` -> ``500ml``."""
    if not _MEASURE.search(value):
        return []
    forms = [_MEASURE.sub(r"\1\2", value), _MEASURE.sub(r"\1 \2", value)]
    return [f for f in dict.fromkeys(forms) if f != value]


def measure_forms_of(values: Iterable[str]) -> list[str]:
    """Values with their other measure spellings, without duplicates."""
    out: list[str] = []
    for value in values:
        for form in (value, *measure_forms(value)):
            if form not in out:
                out.append(form)
    return out
