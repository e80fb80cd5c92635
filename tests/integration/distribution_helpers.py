"""Helpers for the distribution tests: ingest fixture files, release assets directly in the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from models import Asset, AssetStatus, Visibility
from portal.runtime import Runtime
from portal.services.catalog.ingest import ingest_file


def ingest(rt: Runtime, path: Path, name: str | None = None, **kw: object) -> int:
    """Ingest one file and return its asset id (fails the test on a rejected file)."""
    result = ingest_file(rt, path, name or path.name, **kw)  # type: ignore[arg-type]
    assert result.ok and result.asset_id is not None, result.error
    return result.asset_id


def release(
    rt: Runtime,
    asset_id: int,
    *,
    visibility: str = Visibility.PARTNER.value,
    status: str = AssetStatus.APPROVED.value,
    expires: datetime | None = None,
    creator: str | None = None,
    copyright: str | None = None,
) -> None:
    """Set an asset's workflow state directly (the governance workflow is not needed for these tests)."""
    with rt.db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status = status
        asset.visibility = visibility
        asset.rights_expire_at = expires
        if status == AssetStatus.APPROVED.value:
            asset.approved_version_id = asset.current_version_id
        if creator is not None:
            asset.creator = creator
        if copyright is not None:
            asset.copyright = copyright
