"""Custom metadata fields in the search document: one value object per definition and the indexed form.

A field shown to everyone (audience ``all``) that is a facet becomes the keyword field ``cf.<key>``; a
staff-only facet becomes ``cfs.<key>``, which only staff may filter or facet on (``indexer.query`` refuses
it for partners and the public). Searchable fields of audience ``all`` add their words (select options by
value and by every label) to the ``custom_text`` text field. Staff-only fields are never full-text
searchable: the index is shared by every role, so their words would let a partner find what they may not
see (definitions refuse that combination).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.schema import CUSTOM_TEXT_FIELD, PUBLIC_PREFIX, STAFF_PREFIX
from models import CustomField

FIELD_TYPES: tuple[str, ...] = ("text", "long_text", "number", "date", "boolean", "select", "multi_select")
SELECT_TYPES = frozenset({"select", "multi_select"})
AUDIENCES: tuple[str, ...] = ("all", "staff")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Option:
    """One entry of a select field's controlled vocabulary."""

    value: str
    labels: Mapping[str, str]

    def label(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The label in ``language``, else English, else any, else the value."""
        return _pick(self.labels, language) or self.value


@dataclass(frozen=True)
class FieldSpec:
    """A custom field definition as plain values (no session needed to use it)."""

    id: int
    key: str
    type: str
    labels: Mapping[str, str]
    options: tuple[Option, ...]
    required: bool
    audience: str
    searchable: bool
    facet: bool
    position: int = 0

    @property
    def staff_only(self) -> bool:
        """True when only editors and above may see the field."""
        return self.audience == "staff"

    @property
    def index_field(self) -> str:
        """The keyword field the values are indexed under (``cf.<key>`` or ``cfs.<key>``)."""
        return f"{STAFF_PREFIX if self.staff_only else PUBLIC_PREFIX}{self.key}"

    def label(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The field's label in ``language``, else English, else any, else the key."""
        return _pick(self.labels, language) or self.key

    def option(self, value: str) -> Option | None:
        """The option with this value, or None."""
        return next((o for o in self.options if o.value == value), None)

    def display(self, value: Any, language: str = DEFAULT_LANGUAGE) -> str:
        """A stored value as people read it (option labels, yes/no, numbers without a needless ``.0``)."""
        if value is None or value == "" or value == []:
            return ""
        if self.type == "boolean":
            return "Yes" if value else "No"
        if self.type in SELECT_TYPES:
            items = value if isinstance(value, list) else [value]
            return ", ".join((self.option(str(v)) or Option(str(v), {})).label(language) for v in items)
        return keyword_value(value)


def _pick(labels: Mapping[str, str], language: str) -> str:
    for lang in (language, DEFAULT_LANGUAGE):
        if labels.get(lang):
            return str(labels[lang])
    return next((str(v) for v in labels.values() if v), "")


def spec_of(row: CustomField) -> FieldSpec:
    """The value object of a definition row."""
    raw = (row.options or {}).get("options") or []
    options = tuple(Option(str(o["value"]), dict(o.get("labels") or {})) for o in raw)
    return FieldSpec(
        row.id,
        row.key,
        row.type,
        dict(row.labels or {}),
        options,
        bool(row.required),
        row.audience,
        bool(row.searchable),
        bool(row.facet),
        row.position or 0,
    )


def load_specs(session: Session) -> list[FieldSpec]:
    """Every definition, in display order."""
    rows = session.scalars(select(CustomField).order_by(CustomField.position, CustomField.id))
    return [spec_of(row) for row in rows]


def keyword_value(value: Any) -> str:
    """A scalar value as its facet string (``2.0`` -> ``2``, True -> ``yes``)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _items(value: Any) -> Iterable[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def document_fields(specs: Sequence[FieldSpec], values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The search-document fields of an asset's custom values: facet keywords and the searched words."""
    out: dict[str, Any] = {}
    words: list[str] = []
    for spec in specs:
        items = list(_items((values or {}).get(spec.key)))
        if not items:
            continue
        if spec.facet:
            out[spec.index_field] = list(dict.fromkeys(keyword_value(v) for v in items))
        if spec.searchable and not spec.staff_only:
            for item in items:
                option = spec.option(str(item)) if spec.type in SELECT_TYPES else None
                texts = [str(item), *option.labels.values()] if option else [keyword_value(item)]
                words.extend(t for t in texts if t and t not in words)
    if words:
        out[CUSTOM_TEXT_FIELD] = words
    return out
