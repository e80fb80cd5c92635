"""Custom field columns of exports: package manifests and link tables carry the values the package's
creator may see (staff-only fields only in packages staff built), one ``cf.<key>`` column per field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.custom_fields import FieldSpec, keyword_value, load_specs
from models import Asset, Package, Role
from portal.runtime import Runtime
from portal.services.catalog.custom_values import fields_for
from portal.services.governance.policy import Viewer

PREFIX = "cf."
CHUNK = 500
SEPARATOR = "|"  # between the values of a multi select


def export_fields(session: Session, viewer: Viewer) -> list[FieldSpec]:
    """The fields whose values this viewer's exports carry."""
    return fields_for(viewer, load_specs(session))


def column_names(specs: Sequence[FieldSpec]) -> list[str]:
    """The header of the custom columns, in display order."""
    return [PREFIX + spec.key for spec in specs]


def cell(value: Any) -> str:
    """A stored value as one CSV cell (option values of a multi select joined by ``|``)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return SEPARATOR.join(keyword_value(v) for v in value)
    return keyword_value(value)


def asset_cells(
    session: Session, specs: Sequence[FieldSpec], asset_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Per asset id the cells of the custom columns (in a few queries, not one per asset)."""
    ids = sorted({int(i) for i in asset_ids if i})
    out: dict[int, list[str]] = {}
    if not specs:
        return {i: [] for i in ids}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Asset.id, Asset.custom_fields).where(Asset.id.in_(ids[start : start + CHUNK]))
        )
        for asset_id, values in rows:
            stored = values or {}
            out[asset_id] = [cell(stored.get(spec.key)) for spec in specs]
    return out


def package_cells(
    rt: Runtime, package_id: int, asset_ids: Iterable[int]
) -> tuple[list[str], dict[int, list[str]]]:
    """A package manifest's custom columns (those its creator may see) and the cells per asset id."""
    with rt.db.session() as session:
        package = session.get(Package, package_id)
        if package is None:
            return [], {}
        specs = export_fields(session, Viewer(package.created_by_id, Role(package.viewer_role)))
        return column_names(specs), asset_cells(session, specs, asset_ids)
