"""Custom field values checked against their definitions: each type's accepted forms and clear refusals."""

from __future__ import annotations

from typing import Any

import pytest

from indexer.custom_fields import FieldSpec, Option, document_fields
from portal.errors import ValidationError
from portal.services.catalog.custom_values import clean_value, missing_required


def _spec(kind: str, **kw: Any) -> FieldSpec:
    options = (Option("a", {"en": "Alpha"}), Option("b", {"en": "Beta", "de": "Beta DE"}))
    base: dict[str, Any] = {"required": False, "audience": "all", "searchable": True, "facet": True}
    base.update(kw)
    return FieldSpec(1, "f", kind, {"en": "Field"}, options, **base)


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("text", "  two   words ", "two words"),
        ("long_text", "line one\nline two", "line one\nline two"),
        ("number", "2,5", 2.5),
        ("number", 3.0, 3),
        ("date", "2026-02-28", "2026-02-28"),
        ("boolean", "on", True),
        ("boolean", False, False),
        ("select", "b", "b"),
        ("multi_select", ["b", "a", "b"], ["b", "a"]),
        ("text", "", None),
        ("multi_select", [], None),
    ],
)
def test_accepted_values_are_stored_normalised(kind: str, raw: Any, stored: Any) -> None:
    assert clean_value(_spec(kind), raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw", "words"),
    [
        ("text", 5, "expected text"),
        ("text", "x" * 501, "longer than 500"),
        ("number", "many", "expected a number"),
        ("number", "nan", "finite"),
        ("number", True, "expected a number"),
        ("date", "2026-02-30", "YYYY-MM-DD"),
        ("boolean", "maybe", "yes or no"),
        ("select", "c", "not one of the choices (a, b)"),
        ("select", ["a", "b"], "pick one"),
        ("multi_select", ["a", 3], "not one of the choices"),
    ],
)
def test_wrong_values_are_refused_naming_the_field(kind: str, raw: Any, words: str) -> None:
    with pytest.raises(ValidationError, match="Field") as caught:
        clean_value(_spec(kind), raw)
    assert words in caught.value.message


def test_document_fields_and_required() -> None:
    public = _spec("multi_select", required=True)
    staff = FieldSpec(2, "g", "text", {"en": "G"}, (), True, "staff", False, True)
    doc = document_fields([public, staff], {"f": ["b"], "g": "secret"})
    assert doc == {"cf.f": ["b"], "cfs.g": ["secret"], "custom_text": ["b", "Beta", "Beta DE"]}

    class Asset:
        custom_fields: dict[str, Any] = {"f": []}

    assert [s.key for s in missing_required([public, staff], Asset())] == ["f", "g"]  # type: ignore[arg-type]
