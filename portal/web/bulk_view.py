"""What the bulk edit preview shows: the custom field changes asked for, and the sample rows (field, before,
after) with custom field values spread out per field under their labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from indexer.custom_fields import FieldSpec
from portal.services.catalog.bulk_fields import PART


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field_text(spec: FieldSpec | None, value: Any) -> str:
    if spec is None or value is None:
        return _text(value)
    return spec.display(value) or "—"


def asked_fields(raw: Mapping[str, Any], fields: Sequence[FieldSpec]) -> list[tuple[str, str]]:
    """(field label, what happens) for each custom field the change set sets or clears."""
    specs = {spec.key: spec for spec in fields}
    out = [
        (specs[k].label() if k in specs else k, "set to " + _field_text(specs.get(k), v))
        for k, v in (raw.get("set_fields") or {}).items()
    ]
    out += [(specs[k].label() if k in specs else k, "cleared") for k in raw.get("clear_fields") or []]
    return out


def sample_rows(samples: Sequence[Mapping[str, Any]], fields: Sequence[FieldSpec]) -> list[dict[str, Any]]:
    """One row per asset and changed field of the preview's samples (custom fields by label)."""
    specs = {spec.key: spec for spec in fields}
    rows: list[dict[str, Any]] = []
    for item in samples:
        for name, change in (item.get("changes") or {}).items():
            if name != PART:
                row = {"asset_id": item["asset_id"], "field": name.replace("_", " "),
                       "before": _text(change["from"]), "after": _text(change["to"])}  # fmt: skip
                rows.append(row)
                continue
            before, after = change["from"] or {}, change["to"] or {}
            for key in [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]:
                spec = specs.get(key)
                rows.append({"asset_id": item["asset_id"], "field": spec.label() if spec else key,
                             "before": _field_text(spec, before.get(key)),
                             "after": _field_text(spec, after.get(key))})  # fmt: skip
    return rows
