"""Bulk edit of custom field values: ``set_fields`` (key -> value) and ``clear_fields`` (keys), as a change
kind of the set-based bulk engine (``bulk_changes`` registers it) and a part (``custom_fields``: an asset's
stored values, written in bulk, undone field by field).

The shape is checked once per request (a field both set and cleared is a ValidationError); the values are
checked once per job against the definitions this viewer may see (``custom_values.parse_values``), and a
wrong value refuses every asset with the reason, like the single-asset edit would. A change of values is
guarded like the title and description (``Field.METADATA``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from indexer.custom_fields import load_specs
from models import Asset
from portal.errors import ValidationError
from portal.services.catalog import custom_values
from portal.services.catalog.bulk_parts import Context, Part, Rows, register_part
from portal.services.governance.fields import Field

KEYS = frozenset({"set_fields", "clear_fields"})
PART = "custom_fields"
MAX_KEYS = 100


@dataclass
class FieldChange:
    """A parsed ``set_fields``/``clear_fields`` request; ``prepare`` validates the values for the viewer."""

    set_fields: dict[str, Any]
    clear_fields: list[str]
    values: dict[str, Any] = field(default_factory=dict)  # validated: key -> value (None clears)
    error: str | None = None  # why every asset is refused (a wrong or unknown value)


def parse(given: Mapping[str, Any]) -> FieldChange:
    """Shape checks before any asset is touched (the values themselves are checked per viewer)."""
    set_fields = given.get("set_fields") or {}
    clear_fields = given.get("clear_fields") or []
    if not isinstance(set_fields, Mapping) or len(set_fields) > MAX_KEYS:
        raise ValidationError(f"set_fields must be an object of at most {MAX_KEYS} field key -> value")
    if not isinstance(clear_fields, list | tuple) or len(clear_fields) > MAX_KEYS:
        raise ValidationError(f"clear_fields must be a list of at most {MAX_KEYS} field keys")
    if not all(isinstance(k, str) for k in clear_fields):
        raise ValidationError("clear_fields must be a list of field keys")
    both = sorted(set(set_fields) & set(clear_fields))
    if both:
        raise ValidationError(f"a field is either set or cleared, not both: {', '.join(both)}")
    if not set_fields and not clear_fields:
        raise ValidationError("name at least one custom field to set or clear")
    return FieldChange({str(k): v for k, v in set_fields.items()}, list(dict.fromkeys(clear_fields)))


def prepare(session: Session, ctx: Context, change: FieldChange) -> None:
    """Validate the values once per job against the definitions the viewer may see (staff-only fields are
    unknown to partners); a wrong value is kept as the reason every asset is refused."""
    raw: dict[str, Any] = {k: None for k in change.clear_fields}
    raw.update(change.set_fields)
    try:
        values = custom_values.parse_values(load_specs(session), ctx.viewer, raw)
        for key in change.set_fields:
            if values.get(key) is None:
                raise ValidationError(f"set_fields: give a value for {key!r} (use clear_fields to clear it)")
    except ValidationError as exc:
        change.error = exc.message
        return
    change.values = values


def apply(ctx: Context, asset: Asset, state: dict[str, Any], change: FieldChange) -> tuple[int, str] | None:
    """The asset's values with the change applied (None removes a value)."""
    if change.error is not None:
        return 422, change.error
    current = dict(state[PART])
    for key, value in change.values.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    state[PART] = current
    return None


def _load(session: Session, assets: Mapping[int, Asset]) -> dict[int, Any]:
    return {i: dict(a.custom_fields or {}) for i, a in assets.items()}


def _store(session: Session, ctx: Context, rows: Rows) -> None:
    for asset_id, _before, after in rows:
        ctx.assets[asset_id].custom_fields = dict(after)  # a new dict: the JSON column sees the change


def revert(current: Any, before: Any, after: Any) -> dict[str, Any]:
    """Undo field by field: each field the job changed gets its value before the job back (or goes away);
    fields the job did not touch keep what they have now."""
    out = dict(current or {})
    for key in set(before) | set(after):
        if before.get(key) == after.get(key):
            continue
        if key in before:
            out[key] = before[key]
        else:
            out.pop(key, None)
    return out


register_part(Part(PART, Field.METADATA, _load, _store, revert))
