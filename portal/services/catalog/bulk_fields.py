"""Bulk edit of custom field values: ``set_fields`` (key -> value) and ``clear_fields`` (keys) applied to
one asset through the metadata edit service, so the same validation and write rules apply as on the page.

Kept apart from ``portal.services.catalog.bulk`` (which only calls ``apply``/``snapshot``/``undo_changes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from indexer.custom_fields import load_specs
from portal.errors import ValidationError
from portal.services.catalog import custom_values, editing
from portal.services.governance.policy import Viewer

KEYS = frozenset({"set_fields", "clear_fields"})
MAX_KEYS = 100


def check(set_fields: Any, clear_fields: Any) -> None:
    """Shape checks before any asset is touched (the values themselves are checked per viewer)."""
    if not isinstance(set_fields, Mapping) or len(set_fields) > MAX_KEYS:
        raise ValidationError(f"set_fields must be an object of at most {MAX_KEYS} field key -> value")
    if not isinstance(clear_fields, list | tuple) or len(clear_fields) > MAX_KEYS:
        raise ValidationError(f"clear_fields must be a list of at most {MAX_KEYS} field keys")
    both = sorted(set(set_fields) & {str(k) for k in clear_fields})
    if both:
        raise ValidationError(f"a field is either set or cleared, not both: {', '.join(both)}")


def values(
    session: Session, viewer: Viewer, set_fields: Mapping[str, Any], clear_fields: Sequence[str]
) -> dict[str, Any]:
    """The validated values to write (None clears); unknown or hidden fields are a ValidationError."""
    check(set_fields, list(clear_fields))
    raw: dict[str, Any] = {str(k): None for k in clear_fields}
    raw.update({str(k): v for k, v in set_fields.items()})
    parsed = custom_values.parse_values(load_specs(session), viewer, raw)
    for key in set_fields:
        if parsed.get(str(key)) is None:
            raise ValidationError(f"set_fields: give a value for {key!r} (use clear_fields to clear it)")
    return parsed


def apply(
    session: Session,
    viewer: Viewer,
    asset_id: int,
    set_fields: Mapping[str, Any],
    clear_fields: Sequence[str],
    ip: str | None,
) -> list[str]:
    """Set and clear custom field values of one asset; returns the changed field names (audited)."""
    if not set_fields and not clear_fields:
        return []
    parsed = values(session, viewer, set_fields, clear_fields)
    edit = editing.MetadataEdit(None, None, None, given=frozenset(), custom_fields=parsed)
    return editing.update_asset_metadata(session, viewer, asset_id, edit, ip=ip)


def undo_changes(before: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The bulk changes that put an asset's values back: set what was there, clear what was added."""
    old = dict(before.get("fields") or {})
    now = dict(current.get("fields") or {})
    return {"set_fields": old, "clear_fields": sorted(k for k in now if k not in old)}
