"""Custom field values: parsing and validating what a form or the API sends, applying it to an asset,
showing it per role, and the required-to-submit check.

Reusable by every form that edits assets (asset page, batch upload, bulk edit): ``parse_form_values`` reads
the inputs the ``custom_fields/_inputs.html`` macro renders, ``parse_values`` reads a JSON object. A
staff-only field is unknown to partners and the public: never shown, never accepted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from indexer.custom_fields import FieldSpec, load_specs
from models import Asset
from portal.errors import ValidationError
from portal.services.governance.policy import STAFF, Viewer

FORM_PREFIX = "cf."
# The keys of the fields a form rendered (hidden inputs): only those are saved, so a field the user did
# not see is never cleared, and an unticked yes/no box reads as "no" rather than "absent".
SHOWN_NAME = "cf_shown"
MAX_TEXT = 500
MAX_LONG_TEXT = 20_000
MAX_NUMBER = 1e15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormData(Protocol):
    """What a submitted form offers (werkzeug's MultiDict fits): every value of a name."""

    def getlist(self, key: str) -> list[Any]: ...


def fields_for(viewer: Viewer, specs: Sequence[FieldSpec]) -> list[FieldSpec]:
    """The definitions this viewer may see (staff-only ones for editors and above only)."""
    staff = viewer.at_least(STAFF)
    return [spec for spec in specs if staff or not spec.staff_only]


def visible_fields(session: Session, viewer: Viewer) -> list[FieldSpec]:
    """The definitions this viewer may see, in display order."""
    return fields_for(viewer, load_specs(session))


def clean_value(spec: FieldSpec, raw: Any) -> Any:
    """One value checked against its definition: the stored form, or None to clear it. A wrong value is a
    ValidationError naming the field and what it accepts."""
    name = spec.label()
    if raw is None or raw == "" or raw == []:
        return None
    if spec.type in ("text", "long_text"):
        if not isinstance(raw, str):
            raise ValidationError(f"{name}: expected text")
        text = _CONTROL.sub("", raw).strip()
        if spec.type == "text":
            text = " ".join(text.split())
        limit = MAX_TEXT if spec.type == "text" else MAX_LONG_TEXT
        if len(text) > limit:
            raise ValidationError(f"{name}: longer than {limit} characters")
        return text or None
    if spec.type == "number":
        return _number(name, raw)
    if spec.type == "date":
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(f"{name}: expected a date as YYYY-MM-DD, got {str(raw)[:30]!r}") from None
    if spec.type == "boolean":
        return _boolean(name, raw)
    items = raw if isinstance(raw, list) else [raw]
    if spec.type == "select" and len(items) > 1:
        raise ValidationError(f"{name}: pick one value")
    values: list[str] = []
    for item in items:
        if not isinstance(item, str) or spec.option(item.strip()) is None:
            allowed = ", ".join(o.value for o in spec.options[:20])
            raise ValidationError(f"{name}: {str(item)[:40]!r} is not one of the choices ({allowed})")
        if item.strip() not in values:
            values.append(item.strip())
    if not values:
        return None
    return values if spec.type == "multi_select" else values[0]


def _number(name: str, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError(f"{name}: expected a number")
    try:
        number = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise ValidationError(f"{name}: expected a number, got {str(raw)[:30]!r}") from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise ValidationError(f"{name}: expected a finite number below {MAX_NUMBER:g}")
    return int(number) if number.is_integer() else number


def _boolean(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValidationError(f"{name}: expected yes or no")


def parse_values(specs: Sequence[FieldSpec], viewer: Viewer, data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object of values (field key -> value, null clears) validated for this viewer: an unknown key,
    or a staff-only one sent by a partner, is a ValidationError."""
    if not isinstance(data, Mapping):
        raise ValidationError("fields must be an object of field key -> value")
    known = {spec.key: spec for spec in fields_for(viewer, specs)}
    out: dict[str, Any] = {}
    for key, raw in data.items():
        spec = known.get(str(key))
        if spec is None:
            raise ValidationError(f"unknown custom field {key!r}")
        out[spec.key] = clean_value(spec, raw)
    return out


def parse_form_values(specs: Sequence[FieldSpec], viewer: Viewer, form: FormData) -> dict[str, Any]:
    """The values of the custom field inputs a form rendered (``cf_shown`` names them) for this viewer;
    fields the form did not show, or the viewer may not see, are not in the result (left untouched)."""
    known = {spec.key: spec for spec in fields_for(viewer, specs)}
    out: dict[str, Any] = {}
    for key in dict.fromkeys(str(k) for k in form.getlist(SHOWN_NAME)):
        spec = known.get(key)
        if spec is None:
            continue  # a field deleted since the form was rendered, or one this viewer may not write
        name = FORM_PREFIX + key
        sent = [v for v in form.getlist(name) if v]
        if spec.type == "multi_select":
            raw: Any = sent
        elif spec.type == "boolean":
            raw = sent[-1] if sent else "no"
        else:
            raw = sent[-1] if sent else None
        out[key] = clean_value(spec, raw)
    return out


def apply_values(asset: Asset, values: Mapping[str, Any]) -> list[str]:
    """Write validated values onto an asset (None removes one); returns the keys that changed."""
    current = dict(asset.custom_fields or {})
    changed: list[str] = []
    for key, value in values.items():
        if value is None:
            if key in current:
                del current[key]
                changed.append(key)
        elif current.get(key) != value:
            current[key] = value
            changed.append(key)
    if changed:
        asset.custom_fields = current  # a new dict: the JSON column sees the change
    return changed


def shown_values(specs: Sequence[FieldSpec], viewer: Viewer, asset: Asset) -> list[tuple[FieldSpec, str]]:
    """(definition, display text) of the asset's values this viewer may see, in display order."""
    values = asset.custom_fields or {}
    out = []
    for spec in fields_for(viewer, specs):
        text = spec.display(values.get(spec.key))
        if text:
            out.append((spec, text))
    return out


def values_for(
    specs: Sequence[FieldSpec], viewer: Viewer, values: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The stored values this viewer may see (API models, exports, manifests)."""
    stored = values or {}
    return {spec.key: stored[spec.key] for spec in fields_for(viewer, specs) if spec.key in stored}


def missing_required(specs: Sequence[FieldSpec], asset: Asset) -> list[FieldSpec]:
    """The required fields the asset has no value for (submitting for review needs them all)."""
    values = asset.custom_fields or {}
    return [spec for spec in specs if spec.required and values.get(spec.key) in (None, "", [])]


def require_complete(session: Session, asset: Asset) -> None:
    """Raise a ValidationError listing the required fields the asset lacks (the submit rule)."""
    missing = missing_required(load_specs(session), asset)
    if missing:
        names = ", ".join(spec.label() for spec in missing)
        raise ValidationError(
            f"fill in the required fields before submitting for review: {names}",
            missing=[spec.key for spec in missing],
        )


def option_labels(session: Session, viewer: Viewer) -> dict[str, tuple[str, dict[str, str]]]:
    """Per facet field (``cf.<key>`` / ``cfs.<key>``) the viewer may see: its label and option labels
    (for the search page's facet sidebar)."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for spec in visible_fields(session, viewer):
        if spec.facet:
            labels = {o.value: o.label() for o in spec.options}
            if spec.type == "boolean":
                labels = {"yes": "Yes", "no": "No"}
            out[spec.index_field] = (spec.label(), labels)
    return out


def facet_names(session: Session, viewer: Viewer) -> list[str]:
    """The facet fields of the custom fields this viewer may see."""
    return [spec.index_field for spec in visible_fields(session, viewer) if spec.facet]
